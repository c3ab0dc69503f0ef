"""量化考核: scorecards of grid workers, departments and stations, villages and townships.

An administrator keeps the rules (``ScoringRule``: subject type, metric, weight, target, deduction per
failure). ``compute_scorecard`` measures every rule's metric for every subject over a month or quarter
and stores the result — rows per subject, items per rule, each item with the ids of the exact events and
workflow steps behind its figure — so that a past period's scores never change when events move on, and
every score can be traced to its records.

Metrics about events use the dashboards' definitions (``rollups.cohort_counts`` on the events reported in
the period, as they stand when the scorecard is computed); metrics about work done use the workflow
steps (``EventFlow``) taken in the period.

Points of one item: ``weight × attainment − deduction × failures``, kept between 0 and the weight, where
attainment is 1 for a rate at or beyond its target (or proportionally less) and for a count reaching its
target; failures are the records that count against the subject (events not closed on time, failed
verifications, returns, …). Without a base (nothing to measure) a rate scores the full weight.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.accounts.roles import Role
from jiceng.analytics.models import PeriodKind, Scorecard, ScoreItem, ScoreRow, ScoringRule, SubjectType
from jiceng.analytics.rollups import FACT_FIELDS, Facts, cohort_counts, local_day, local_zone
from jiceng.audit.actions import record
from jiceng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from jiceng.core.scope import jurisdiction_prefix
from jiceng.events.models import Event, EventFlow, EventState
from jiceng.events.workflow import flow_label, state_label
from jiceng.org.models import Region, RegionLevel, Unit, UnitKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

RATE_HIGH, RATE_LOW, COUNT, FAILURES = "rate_high", "rate_low", "count", "failures"
REGION_SUBJECTS = frozenset({SubjectType.VILLAGE, SubjectType.TOWNSHIP})
EVENT_SUBJECTS = frozenset({SubjectType.UNIT, SubjectType.VILLAGE, SubjectType.TOWNSHIP})
ASSESSED_UNIT_KINDS = (UnitKind.TOWNSHIP_STATION, UnitKind.DISPATCHED_AGENCY, UnitKind.COUNTY_DEPARTMENT)
MANAGER_LEVELS = frozenset({RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY})


@dataclass(frozen=True)
class Metric:
    code: str
    label: str | Promise
    kind: str
    subjects: frozenset[str]
    help: str | Promise = ""


METRICS: dict[str, Metric] = {
    m.code: m
    for m in (
        Metric("on_time_rate", gettext_lazy("On-time closure rate"), RATE_HIGH, EVENT_SUBJECTS),
        Metric("close_rate", gettext_lazy("Closure rate"), RATE_HIGH, EVENT_SUBJECTS),
        Metric("rework_rate", gettext_lazy("Rework rate"), RATE_LOW, EVENT_SUBJECTS),
        Metric("extension_rate", gettext_lazy("Extension rate"), RATE_LOW, EVENT_SUBJECTS),
        Metric("satisfaction", gettext_lazy("Satisfaction"), RATE_HIGH, EVENT_SUBJECTS),
        Metric(
            "overdue",
            gettext_lazy("Overdue events"),
            FAILURES,
            EVENT_SUBJECTS,
            gettext_lazy("Events of the period past a deadline, or closed after the handling deadline."),
        ),
        Metric(
            "dissatisfied",
            gettext_lazy("Dissatisfied evaluations"),
            FAILURES,
            EVENT_SUBJECTS,
            gettext_lazy("Events of the period whose reporter is dissatisfied."),
        ),
        Metric(
            "failed_verifications",
            gettext_lazy("Failed verifications"),
            FAILURES,
            EVENT_SUBJECTS,
            gettext_lazy("Verifications in the period that sent the subject's events back for rework."),
        ),
        Metric(
            "returns",
            gettext_lazy("Events returned"),
            FAILURES,
            frozenset({SubjectType.UNIT}),
            gettext_lazy("Events the unit sent back to the dispatcher in the period."),
        ),
        Metric(
            "reports",
            gettext_lazy("Events reported"),
            COUNT,
            frozenset({SubjectType.GRID_WORKER}),
            gettext_lazy("Events the grid worker reported in the period (target: how many)."),
        ),
        Metric(
            "verifications",
            gettext_lazy("Verifications done"),
            COUNT,
            frozenset({SubjectType.GRID_WORKER}),
            gettext_lazy("Handled events the grid worker verified in the period."),
        ),
        Metric(
            "on_spot",
            gettext_lazy("Handled on the spot"),
            COUNT,
            frozenset({SubjectType.GRID_WORKER}),
            gettext_lazy("Events the grid worker reported and handled on the spot in the period."),
        ),
        Metric(
            "patrol_days",
            gettext_lazy("Days on patrol"),
            COUNT,
            frozenset({SubjectType.GRID_WORKER}),
            gettext_lazy("Days of the period on which the grid worker patrolled (target: how many days)."),
        ),
        Metric(
            "visits",
            gettext_lazy("Visits made"),
            COUNT,
            frozenset({SubjectType.GRID_WORKER}),
            gettext_lazy("Visits to residents, households, houses and organizations recorded in the period."),
        ),
        Metric(
            "rejected_reports",
            gettext_lazy("Reports not accepted"),
            FAILURES,
            frozenset({SubjectType.GRID_WORKER}),
            gettext_lazy("Events the grid worker reported in the period that were rejected."),
        ),
    )
}
RATE_PARTS: dict[str, tuple[str, str]] = {
    # metric → (numerator counter, base): base "due" = accepted and not suspended; "evaluated".
    "on_time_rate": ("closed_on_time", "due"),
    "close_rate": ("closed", "due"),
    "rework_rate": ("reworked", "due"),
    "extension_rate": ("extended", "due"),
    "satisfaction": ("satisfied", "evaluated"),
}
FLOW_ACTIONS = ("report", "verify_pass", "verify_fail", "return")


def metric_choices(subject_type: str | None = None) -> list[tuple[str, str]]:
    return [
        (m.code, str(m.label)) for m in METRICS.values() if subject_type is None or subject_type in m.subjects
    ]


# --- periods ------------------------------------------------------------------------------------------------


def period_bounds(kind: str, start: date) -> tuple[date, date]:
    """The first day of the month or quarter containing ``start``, and the first day after it."""
    if kind == PeriodKind.QUARTER:
        first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
        months = 3
    elif kind == PeriodKind.MONTH:
        first, months = date(start.year, start.month, 1), 1
    else:
        raise InvalidInput(_("Unknown period."), code="invalid_period")
    month = first.month - 1 + months
    return first, date(first.year + month // 12, month % 12 + 1, 1)


def last_period(kind: str, today: date | None = None) -> date:
    """The first day of the last complete month or quarter."""
    today = today or local_day(timezone.now())
    current, _end = period_bounds(kind, today)
    return period_bounds(kind, current - timedelta(days=1))[0]


def period_label(kind: str, start: date) -> str:
    if kind == PeriodKind.QUARTER:
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=local_zone())


# --- measuring ----------------------------------------------------------------------------------------------


@dataclass
class Subject:
    type: str
    code: str
    name: str
    region_code: str
    match: Callable[[EventFacts], bool]
    flow_match: Callable[[FlowFacts], bool]
    pk: int = 0  # the unit's or the grid worker's id


@dataclass(frozen=True)
class EventFacts:
    id: int
    facts: Facts
    counts: dict[str, int]
    created_by_id: int


@dataclass(frozen=True)
class FlowFacts:
    id: int
    event_id: int
    action: str
    actor_id: int | None
    unit_id: int | None
    event_lead_unit_id: int | None
    event_region_code: str


@dataclass(frozen=True)
class WorkFacts:
    """A patrol or a visit of the period: (kind, id, worker, local day)."""

    kind: str
    id: int
    worker_id: int
    day: date


@dataclass
class Measure:
    value: float | None = None
    numerator: int = 0
    denominator: int = 0
    failures: int = 0
    event_ids: list[int] = field(default_factory=list)
    hit_event_ids: list[int] = field(default_factory=list)
    flow_ids: list[int] = field(default_factory=list)
    records: dict[str, list[int]] = field(default_factory=dict)


def _events(start: date, end: date) -> list[EventFacts]:
    rows = (
        Event.objects.filter(reported_at__gte=_moment(start), reported_at__lt=_moment(end))
        .order_by("pk")
        .values_list("pk", "created_by_id", *FACT_FIELDS)
    )
    out = []
    for pk, created_by_id, *values in rows.iterator(chunk_size=5000):
        facts = Facts(*values)
        out.append(EventFacts(pk, facts, cohort_counts(facts), created_by_id))
    return out


def _flows(start: date, end: date) -> list[FlowFacts]:
    rows = (
        EventFlow.objects.filter(at__gte=_moment(start), at__lt=_moment(end), action__in=FLOW_ACTIONS)
        .order_by("pk")
        .values_list(
            "pk", "event_id", "action", "actor_id", "unit_id", "event__lead_unit_id", "event__region_code"
        )
    )
    return [FlowFacts(*row) for row in rows.iterator(chunk_size=5000)]


def _work(start: date, end: date) -> list[WorkFacts]:
    from jiceng.worktools.models import Patrol, Visit

    since, until = _moment(start), _moment(end)
    patrols = Patrol.objects.filter(started_at__gte=since, started_at__lt=until).order_by("pk")
    visits = Visit.objects.filter(visited_at__gte=since, visited_at__lt=until).order_by("pk")
    return [
        *(WorkFacts("patrol", pk, worker, local_day(at)) for pk, worker, at in patrols.values_list(
            "pk", "worker_id", "started_at")),
        *(WorkFacts("visit", pk, visitor, local_day(at)) for pk, visitor, at in visits.values_list(
            "pk", "visitor_id", "visited_at")),
    ]  # fmt: skip


def _work_count(work: Iterable[WorkFacts], kind: str, *, distinct_days: bool) -> Measure:
    mine = [w for w in work if w.kind == kind]
    m = Measure(records={kind: [w.id for w in mine]})
    m.numerator = len({w.day for w in mine}) if distinct_days else len(mine)
    m.denominator = m.numerator
    m.value = float(m.numerator)
    return m


def _rate(metric: str, events: Iterable[EventFacts]) -> Measure:
    numerator, base = RATE_PARTS[metric]
    m = Measure()
    for e in events:
        c = e.counts
        if base == "due":
            in_base = bool(c.get("accepted")) and not c.get("suspended")
            hit = bool(c.get(numerator))
        else:
            in_base = bool(c.get("eval_satisfied") or c.get("eval_basic") or c.get("eval_dissatisfied"))
            hit = bool(c.get("eval_satisfied") or c.get("eval_basic"))
        if in_base:
            m.event_ids.append(e.id)
            if hit:
                m.hit_event_ids.append(e.id)
    m.numerator, m.denominator = len(m.hit_event_ids), len(m.event_ids)
    m.value = m.numerator / m.denominator if m.denominator else None
    higher = METRICS[metric].kind == RATE_HIGH
    m.failures = m.denominator - m.numerator if higher else m.numerator
    return m


def _event_failures(events: Iterable[EventFacts], hit: Callable[[EventFacts], bool]) -> Measure:
    m = Measure()
    for e in events:
        m.event_ids.append(e.id)
        if hit(e):
            m.hit_event_ids.append(e.id)
    m.numerator = m.failures = len(m.hit_event_ids)
    m.denominator = len(m.event_ids)
    m.value = float(m.numerator)
    return m


def _flow_count(flows: Iterable[FlowFacts], actions: set[str], failures: bool) -> Measure:
    m = Measure()
    for f in flows:
        if f.action in actions:
            m.flow_ids.append(f.id)
            if f.event_id not in m.event_ids:
                m.event_ids.append(f.event_id)
    m.hit_event_ids = list(m.event_ids)
    m.numerator = len(m.flow_ids)
    m.value = float(m.numerator)
    m.failures = m.numerator if failures else 0
    return m


def measure(
    metric: str,
    subject: Subject,
    events: list[EventFacts],
    flows: list[FlowFacts],
    work: list[WorkFacts] | None = None,
) -> Measure:
    """One metric of one subject over the period's events, flows and work records (already loaded)."""
    if subject.type == SubjectType.GRID_WORKER:
        if metric in ("patrol_days", "visits"):
            own = [w for w in work or () if w.worker_id == subject.pk]
            kind = "patrol" if metric == "patrol_days" else "visit"
            return _work_count(own, kind, distinct_days=metric == "patrol_days")
        mine = [f for f in flows if f.actor_id == subject.pk]
        if metric == "reports":
            return _flow_count(mine, {"report"}, failures=False)
        if metric == "verifications":
            return _flow_count(mine, {"verify_pass", "verify_fail"}, failures=False)
        reported = [e for e in events if e.created_by_id == subject.pk]
        if metric == "on_spot":
            m = _event_failures(reported, lambda e: e.facts.on_spot)
            m.failures = 0
            m.event_ids = list(m.hit_event_ids)
            m.denominator = m.numerator
            return m
        if metric == "rejected_reports":
            return _event_failures(reported, lambda e: e.facts.state == EventState.REJECTED)
        raise ValueError(metric)
    own_events = [e for e in events if subject.match(e)]
    if metric in RATE_PARTS:
        return _rate(metric, own_events)
    if metric == "overdue":
        return _event_failures(own_events, lambda e: bool(e.counts.get("overdue")))
    if metric == "dissatisfied":
        return _event_failures(own_events, lambda e: bool(e.counts.get("eval_dissatisfied")))
    own_flows = [f for f in flows if subject.flow_match(f)]
    if metric == "failed_verifications":
        return _flow_count(own_flows, {"verify_fail"}, failures=True)
    if metric == "returns":
        return _flow_count([f for f in flows if f.unit_id == subject.pk], {"return"}, failures=True)
    raise ValueError(metric)


def points(rule: ScoringRule, metric: Metric, m: Measure) -> Decimal:
    """weight × attainment − deduction × failures, between 0 and the weight."""
    weight = Decimal(rule.weight)
    target = Decimal(rule.target) if rule.target is not None else None
    value = Decimal(str(m.value)) if m.value is not None else None
    attainment = Decimal(1)
    if metric.kind == RATE_HIGH and value is not None:
        if target is None or target <= 0:
            attainment = value
        elif value < target:
            attainment = value / target
    elif metric.kind == RATE_LOW and value is not None:
        if target is None:
            attainment = 1 - value
        elif value > target:
            attainment = target / value if value > 0 else Decimal(1)
    elif metric.kind == COUNT and target is not None and target > 0:
        attainment = min(Decimal(1), Decimal(m.numerator) / target)
    score = weight * attainment - Decimal(rule.deduction) * m.failures
    score = max(Decimal(0), min(weight, score))
    return score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- subjects -----------------------------------------------------------------------------------------------


def _region_subject(subject_type: str, region: Region) -> Subject:
    prefix = region.scope_prefix
    return Subject(
        subject_type,
        region.code,
        region.name,
        region.code,
        lambda e: e.facts.region_code.startswith(prefix),
        lambda f: f.event_region_code.startswith(prefix),
    )


def subjects(subject_type: str) -> list[Subject]:
    if subject_type in REGION_SUBJECTS:
        level = RegionLevel.VILLAGE if subject_type == SubjectType.VILLAGE else RegionLevel.TOWNSHIP
        return [_region_subject(subject_type, r) for r in Region.objects.filter(level=level).order_by("code")]
    if subject_type == SubjectType.UNIT:
        out = []
        for unit in (
            Unit.objects.select_related("region").filter(kind__in=ASSESSED_UNIT_KINDS).order_by("code")
        ):
            pk = unit.pk
            out.append(
                Subject(
                    subject_type,
                    unit.code,
                    unit.name,
                    unit.region.code,
                    lambda e, pk=pk: e.facts.lead_unit_id == pk,  # type: ignore[misc]
                    lambda f, pk=pk: f.event_lead_unit_id == pk,  # type: ignore[misc]
                    pk,
                )
            )
        return out
    if subject_type == SubjectType.GRID_WORKER:
        from jiceng.accounts.models import User

        workers = (
            User.objects.filter(roles__role=Role.GRID_WORKER, unit__isnull=False)
            .select_related("unit__region")
            .order_by("username")
            .distinct()
        )
        return [
            Subject(
                subject_type,
                u.username,
                u.full_name or u.username,
                u.unit.region.code if u.unit else "",
                lambda e: False,
                lambda f: False,
                u.pk,
            )
            for u in workers
        ]
    raise ValueError(subject_type)


# --- the action ---------------------------------------------------------------------------------------------


def can_compute(user: User | AnonymousUser | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    unit = getattr(user, "unit", None)
    return bool(
        user.has_role(Role.ADMIN, Role.LEADER) and unit is not None and unit.region.level in MANAGER_LEVELS
    )


def compute_scorecard(
    actor: User | AnonymousUser | None,
    kind: str,
    start: date,
    *,
    replace: bool = False,
    system: bool = False,
) -> Scorecard:
    """Measure every active rule for every subject over the period and store the scorecard.

    A period already computed is kept (history stays stable) unless ``replace``. ``system`` is the
    monthly task; otherwise the actor must be an administrator or leader at county level or above.
    """
    if not system and not can_compute(actor):
        raise PermissionDenied(_("Only an administrator or leader at county level computes scorecards."))
    first, end = period_bounds(kind, start)
    if first > local_day(timezone.now()):
        raise InvalidInput(_("The period has not started yet."), code="invalid_period")
    rules = list(ScoringRule.objects.filter(is_active=True).order_by("subject_type", "sort", "id"))
    events = _events(first, end)
    flows = _flows(first, end)
    work = _work(first, end)
    with transaction.atomic():
        existing = Scorecard.objects.select_for_update().filter(period_kind=kind, period_start=first).first()
        if existing is not None:
            if not replace:
                raise Conflict(_("This period is already computed; recompute it to replace it."))
            existing.delete()
        card = Scorecard.objects.create(
            period_kind=kind,
            period_start=first,
            period_end=end,
            computed_at=timezone.now(),
            computed_by=actor if actor is not None and actor.is_authenticated else None,
            rules=[_rule_snapshot(r) for r in rules],
        )
        by_type: dict[str, list[ScoringRule]] = defaultdict(list)
        for rule in rules:
            if rule.metric in METRICS and rule.subject_type in METRICS[rule.metric].subjects:
                by_type[rule.subject_type].append(rule)
        row_count = 0
        for subject_type, type_rules in by_type.items():
            row_count += _score_type(card, subject_type, type_rules, events, flows, work)
        record(
            "analytics.scorecard.compute",
            actor=actor if actor is not None and actor.is_authenticated else None,
            username="" if actor is not None and actor.is_authenticated else "system",
            obj=card,
            changes={
                "period": period_label(kind, first),
                "rules": len(rules),
                "rows": row_count,
                "replaced": existing is not None,
            },
        )
    return card


def _rule_snapshot(rule: ScoringRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "subject_type": rule.subject_type,
        "metric": rule.metric,
        "weight": str(rule.weight),
        "target": None if rule.target is None else str(rule.target),
        "deduction": str(rule.deduction),
    }


def _score_type(
    card: Scorecard,
    subject_type: str,
    rules: list[ScoringRule],
    events: list[EventFacts],
    flows: list[FlowFacts],
    work: list[WorkFacts],
) -> int:
    full = sum((Decimal(r.weight) for r in rules), Decimal(0))
    scored: list[tuple[Subject, Decimal, list[ScoreItem]]] = []
    for subject in subjects(subject_type):
        items = []
        total = Decimal(0)
        for rule in rules:
            metric = METRICS[rule.metric]
            m = measure(rule.metric, subject, events, flows, work)
            p = points(rule, metric, m)
            total += p
            items.append(
                ScoreItem(
                    rule=rule,
                    rule_name=rule.name,
                    metric=rule.metric,
                    weight=rule.weight,
                    target=rule.target,
                    deduction=rule.deduction,
                    value=None if m.value is None else round(m.value, 6),
                    numerator=m.numerator,
                    denominator=m.denominator,
                    failures=m.failures,
                    points=p,
                    event_ids=sorted(m.event_ids),
                    hit_event_ids=sorted(m.hit_event_ids),
                    flow_ids=sorted(m.flow_ids),
                    records={kind: sorted(ids) for kind, ids in m.records.items()},
                )
            )
        scored.append((subject, total, items))
    scored.sort(key=lambda s: (-s[1], s[0].code))
    rank, previous = 0, None
    for position, (subject, total, items) in enumerate(scored, start=1):
        if total != previous:
            rank, previous = position, total
        row = ScoreRow.objects.create(
            scorecard=card,
            subject_type=subject_type,
            subject_code=subject.code,
            subject_name=subject.name[:100],
            region_code=subject.region_code,
            total=total,
            full_marks=full,
            rank=rank,
        )
        for item in items:
            item.row = row
        ScoreItem.objects.bulk_create(items)
    return len(scored)


# --- reading ------------------------------------------------------------------------------------------------


def is_provisional(card: Scorecard) -> bool:
    """Computed before its period ended: the last days are missing, so the daily task computes it again."""
    return card.computed_at < _moment(card.period_end)


def scorecard_for(kind: str, start: date | None) -> Scorecard | None:
    first = period_bounds(kind, start)[0] if start else last_period(kind)
    return Scorecard.objects.filter(period_kind=kind, period_start=first).first()


def visible_rows(user: User | AnonymousUser | None, card: Scorecard, subject_type: str | None = None) -> Any:
    if jurisdiction_prefix(user) is None:
        raise PermissionDenied()
    rows = ScoreRow.objects.restrict(user).filter(scorecard=card).prefetch_related("items")
    if subject_type:
        rows = rows.filter(subject_type=subject_type)
    return rows.order_by("subject_type", "rank", "subject_code")


def scorecard_view(
    user: User | AnonymousUser | None, kind: str, start: date | None, subject_type: str | None
) -> dict[str, Any]:
    if jurisdiction_prefix(user) is None:
        raise PermissionDenied()
    first, end = period_bounds(kind, start) if start else period_bounds(kind, last_period(kind))
    card = Scorecard.objects.filter(period_kind=kind, period_start=first).first()
    return {
        "kind": kind,
        "start": first,
        "end": end,
        "computed_at": card.computed_at if card else None,
        "provisional": bool(card and is_provisional(card)),
        "rows": list(visible_rows(user, card, subject_type)) if card else [],
    }


def item(user: User | AnonymousUser | None, item_id: int) -> ScoreItem:
    if jurisdiction_prefix(user) is None:
        raise PermissionDenied()
    found = ScoreItem.objects.restrict(user).select_related("row__scorecard").filter(pk=item_id).first()
    if found is None:
        raise NotFound()
    return found


def item_detail(user: User | AnonymousUser | None, item_id: int) -> dict[str, Any]:
    """One score with the records behind it (those the user may see; the others only counted)."""
    found = item(user, item_id)
    events = list(
        Event.objects.restrict(user)
        .filter(pk__in=found.event_ids)
        .order_by("pk")
        .values("pk", "title", "state", "region_code", "reported_at")
    )
    hits = set(found.hit_event_ids)
    flows = list(
        EventFlow.objects.filter(pk__in=found.flow_ids, event__in=Event.objects.restrict(user).values("pk"))
        .order_by("pk")
        .values("pk", "event_id", "event__reported_at", "action", "at", "actor_name")
    )
    work = _work_records(user, found.records or {})
    shown_work = sum(len(v) for v in work.values())
    areas = _region_names(
        {e["region_code"] for e in events} | {w["region_code"] for rows in work.values() for w in rows}
    )
    for rows in work.values():
        for w in rows:
            w["region_name"] = areas.get(w["region_code"], w["region_code"])
    row = found.row
    return {
        "id": found.pk,
        "rule_name": found.rule_name,
        "metric": found.metric,
        "weight": found.weight,
        "target": found.target,
        "deduction": found.deduction,
        "value": found.value,
        "numerator": found.numerator,
        "denominator": found.denominator,
        "failures": found.failures,
        "points": found.points,
        "subject_type": row.subject_type,
        "subject_code": row.subject_code,
        "subject_name": row.subject_name,
        "period_kind": row.scorecard.period_kind,
        "period_start": row.scorecard.period_start,
        "events": [
            {
                "id": e["pk"],
                "ref": Event.number(e["pk"], e["reported_at"]),
                "title": e["title"],
                "state": e["state"],
                "state_label": state_label(e["state"]),
                "region_code": e["region_code"],
                "region_name": areas.get(e["region_code"], e["region_code"]),
                "reported_at": e["reported_at"],
                "hit": e["pk"] in hits,
            }
            for e in events
        ],
        "flows": [
            {
                "id": f["pk"],
                "event_id": f["event_id"],
                "event_ref": Event.number(f["event_id"], f["event__reported_at"]),
                "action": f["action"],
                "action_label": flow_label(f["action"]),
                "at": f["at"],
                "actor": f["actor_name"],
            }
            for f in flows
        ],
        "patrols": work["patrol"],
        "visits": work["visit"],
        "hidden": len(found.event_ids)
        - len(events)
        + len(found.flow_ids)
        - len(flows)
        + sum(len(v) for v in (found.records or {}).values())
        - shown_work,
    }


def _region_names(codes: Iterable[str]) -> dict[str, str]:
    wanted = {c for c in codes if c}
    return dict(Region.objects.filter(code__in=wanted).values_list("code", "name")) if wanted else {}


def _work_records(user: User | AnonymousUser | None, records: dict[str, list[int]]) -> dict[str, list[dict]]:
    """The patrols and visits behind a work metric that the user may see."""
    out: dict[str, list[dict]] = {"patrol": [], "visit": []}
    if records.get("patrol"):
        from jiceng.worktools.models import Patrol

        out["patrol"] = [
            {
                "id": pk,
                "started_at": at,
                "ended_at": ended,
                "distance_m": round(distance),
                "region_code": code,
            }
            for pk, at, ended, distance, code in Patrol.objects.restrict(user)
            .filter(pk__in=records["patrol"])
            .order_by("pk")
            .values_list("pk", "started_at", "ended_at", "distance_m", "region_code")
        ]
    if records.get("visit"):
        from jiceng.worktools.models import Visit

        out["visit"] = [
            {"id": pk, "visited_at": at, "subject": subject, "region_code": code}
            for pk, at, subject, code in Visit.objects.restrict(user)
            .filter(pk__in=records["visit"])
            .order_by("pk")
            .values_list("pk", "visited_at", "subject_name", "region_code")
        ]
    return out


def month_days(start: date) -> int:
    return calendar.monthrange(start.year, start.month)[1]
