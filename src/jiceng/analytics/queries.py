"""Scoped reads of the dashboards: everything from the rollups, never from the events.

A dashboard is about one *node*: a region of the user's jurisdiction (county, township, village, grid) —
its own rollup rows — or, above the county, the counties below it. About ten queries, each over the rows
of a bounded window (at most ``MAX_DAYS`` days), so a page costs the same at 1 or 5 million events. The
rollup reads are plain SQL built once (an aggregate over a dozen columns costs more to compile with the
ORM than to run).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, Max, QuerySet, Sum
from django.utils import timezone

from jiceng.analytics import metrics
from jiceng.analytics.models import (
    CURRENT_COUNTERS,
    DAILY_COUNTERS,
    CurrentRollup,
    DailyRollup,
    EarlyWarning,
    Slice,
)
from jiceng.core.errors import PermissionDenied
from jiceng.core.scope import EVERYTHING, get_in_scope, jurisdiction_prefix
from jiceng.events.models import EventCategory, Platform, Source
from jiceng.org.models import Region, RegionLevel, Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

TREND_DAYS = 90
DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP = 10
WARNING_DAYS = 7
# Counters summed for breakdowns and rankings: what their rates need.
PERIOD_COUNTERS = (
    "reported",
    "accepted",
    "suspended",
    "closed",
    "closed_on_time",
    "overdue",
    "reworked",
    "extended",
    "eval_satisfied",
    "eval_basic",
    "eval_dissatisfied",
    "close_seconds",
)
CHILD_LEVEL = {
    RegionLevel.PROVINCE: RegionLevel.COUNTY,
    RegionLevel.CITY: RegionLevel.COUNTY,
    RegionLevel.COUNTY: RegionLevel.TOWNSHIP,
    RegionLevel.TOWNSHIP: RegionLevel.VILLAGE,
    RegionLevel.VILLAGE: RegionLevel.GRID,
    RegionLevel.GRID: RegionLevel.MICROGRID,
}
Counts = dict[str, int]


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str


@dataclass
class Node:
    """What a dashboard is about: its rollup rows are those of ``codes`` (one region, or counties)."""

    place: Place
    prefix: str
    codes: list[str]
    children: list[Place] = field(default_factory=list)
    parent: Place | None = None
    grandchildren: list[tuple[Place, str]] = field(default_factory=list)  # (place, its parent's code)
    grids: list[Place] = field(default_factory=list)


def _place(region: Region) -> Place:
    return Place(region.code, region.name, region.level)


def node_for(user: User | AnonymousUser | None, code: str | None = None) -> Node:
    """The node ``code`` (default: the user's own unit's region), if the user's jurisdiction covers it.

    Outside the jurisdiction and missing answer the same NotFound; users without a jurisdiction
    (residents) are refused.
    """
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        raise PermissionDenied()
    region: Region | None
    if code:
        region = get_in_scope(Region.objects.select_related("parent"), user, code=code)
    else:
        unit = getattr(user, "unit", None)
        region = unit.region if unit is not None else None
    if region is None:
        counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")[:2])
        if len(counties) == 1:
            region = counties[0]
    if region is None:
        # Everything (a superuser without a unit, several counties): the counties of the platform.
        node = Node(Place("", "", ""), EVERYTHING, [])
        level = RegionLevel.PROVINCE
    else:
        node = Node(_place(region), region.scope_prefix, [region.code])
        level = RegionLevel(region.level)
        parent = region.parent if region.parent_id else None
        if parent is not None and parent.code.startswith(prefix):
            node.parent = _place(parent)
    _fill_below(node, level)
    if level in (RegionLevel.PROVINCE, RegionLevel.CITY):
        node.codes = [c.code for c in node.children]
    return node


def _fill_below(node: Node, level: RegionLevel) -> None:
    """The regions one and two levels down and the grids under the node: one query."""
    child = CHILD_LEVEL.get(level)
    if child is None:
        return
    grand = CHILD_LEVEL.get(child)
    levels = {child, RegionLevel.GRID} | ({grand} if grand else set())
    rows = list(
        Region.objects.filter(code__startswith=node.prefix, level__in=levels)
        .order_by("code")
        .values_list("pk", "code", "name", "level", "parent_id")
    )
    child_ids = {pk: code for pk, code, _n, lv, _p in rows if lv == child}
    for _pk, code, name, lv, parent_id in rows:
        place = Place(code, name, lv)
        if lv == child:
            node.children.append(place)
        elif lv == grand and parent_id in child_ids:
            node.grandchildren.append((place, child_ids[parent_id]))
        if lv == RegionLevel.GRID and child not in (RegionLevel.GRID, RegionLevel.MICROGRID):
            node.grids.append(place)  # a village's grids are its children: ranked once, as such


# --- reading the rollups ---------------------------------------------------------------------------------


def _in(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _day(value: date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@cache
def _sums(names: tuple[str, ...]) -> str:
    return ", ".join(f'SUM("{name}")' for name in names)


def _counts(names: Sequence[str], values: Sequence[Any]) -> Counts:
    return {name: int(value or 0) for name, value in zip(names, values, strict=True)}


DAILY_TABLE = DailyRollup._meta.db_table
CURRENT_TABLE = CurrentRollup._meta.db_table


def series(codes: list[str], start: date, end: date) -> dict[date, Counts]:
    """Per day in [start, end]: every counter (days without events left out)."""
    if not codes:
        return {}
    rows = _fetch(
        f'SELECT "day", {_sums(DAILY_COUNTERS)} FROM "{DAILY_TABLE}" '  # noqa: S608
        f'WHERE "region_code" IN ({_in(codes)}) AND "slice" = %s AND "day" >= %s AND "day" <= %s '
        'GROUP BY "day"',
        [*codes, Slice.TOTAL.value, _day(start), _day(end)],
    )
    out = {}
    for day, *values in rows:
        key = day if isinstance(day, date) else date.fromisoformat(str(day))
        out[key] = _counts(DAILY_COUNTERS, values)
    return out


def slices(codes: list[str], start: date, end: date, names: Sequence[str]) -> dict[str, dict[str, Counts]]:
    """{slice: {key: counters}} over [start, end] for the slices ``names``: one query."""
    out: dict[str, dict[str, Counts]] = {name: {} for name in names}
    if not codes:
        return out
    rows = _fetch(
        f'SELECT "slice", "key", {_sums(PERIOD_COUNTERS)} FROM "{DAILY_TABLE}" '  # noqa: S608
        f'WHERE "region_code" IN ({_in(codes)}) AND "slice" IN ({_in(names)}) '
        'AND "day" >= %s AND "day" <= %s GROUP BY "slice", "key"',
        [*codes, *names, _day(start), _day(end)],
    )
    for slice_, key, *values in rows:
        out[slice_][key] = _counts(PERIOD_COUNTERS, values)
    return out


def by_key(codes: list[str], slice_: str, start: date, end: date) -> dict[str, Counts]:
    return slices(codes, start, end, [slice_])[slice_]


def by_region(codes: list[str], start: date, end: date) -> dict[str, Counts]:
    """{region: counters} over [start, end], in total."""
    if not codes:
        return {}
    rows = _fetch(
        f'SELECT "region_code", {_sums(PERIOD_COUNTERS)} FROM "{DAILY_TABLE}" '  # noqa: S608
        f'WHERE "region_code" IN ({_in(codes)}) AND "slice" = %s AND "day" >= %s AND "day" <= %s '
        'GROUP BY "region_code"',
        [*codes, Slice.TOTAL.value, _day(start), _day(end)],
    )
    return {code: _counts(PERIOD_COUNTERS, values) for code, *values in rows}


def current(codes: list[str]) -> dict[tuple[str, str, str], Counts]:
    """Counters of now of the regions ``codes``, by (region, slice, key): totals and lead units."""
    if not codes:
        return {}
    rows = _fetch(
        f'SELECT "region_code", "slice", "key", {_sums(CURRENT_COUNTERS)} FROM "{CURRENT_TABLE}" '  # noqa: S608
        f'WHERE "region_code" IN ({_in(codes)}) GROUP BY "region_code", "slice", "key"',
        list(codes),
    )
    return {(code, s, key): _counts(CURRENT_COUNTERS, values) for code, s, key, *values in rows}


def recurring(codes: list[str], start: date, end: date, top: int = TOP) -> list[tuple[str, str, int]]:
    """The (region, category) pairs with the most events (at least two), most first."""
    if not codes:
        return []
    rows = _fetch(*recurring_sql(codes, start, end, top))
    return [(code, key, int(n)) for code, key, n in rows]


def recurring_sql(codes: list[str], start: date, end: date, top: int = TOP) -> tuple[str, list[Any]]:
    return (
        f'SELECT "region_code", "key", SUM("reported") AS n FROM "{DAILY_TABLE}" '  # noqa: S608
        f'WHERE "region_code" IN ({_in(codes)}) AND "slice" = %s AND "day" >= %s AND "day" <= %s '
        'GROUP BY "region_code", "key" HAVING SUM("reported") >= 2 ORDER BY n DESC, "region_code", "key" '
        f"LIMIT {int(top)}",
        [*codes, Slice.CATEGORY.value, _day(start), _day(end)],
    )


# --- assembling a dashboard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    name: str
    platform: str
    top_code: str
    top_name: str


_category_cache: tuple[tuple[int, int, int], dict[int, CategoryInfo]] | None = None
_category_lock = threading.Lock()


def categories() -> dict[int, CategoryInfo]:
    """Every category (inactive ones too: history has them) by id, kept in memory while a cheap stamp
    (count, sum of versions, highest id) stays the same."""
    global _category_cache
    agg = EventCategory.objects.aggregate(n=Count("id"), v=Sum("version"), m=Max("id"))
    stamp = (agg["n"] or 0, agg["v"] or 0, agg["m"] or 0)
    with _category_lock:
        if _category_cache is not None and _category_cache[0] == stamp:
            return _category_cache[1]
        rows = list(EventCategory.objects.values_list("pk", "code", "name", "platform", "parent_id"))
        by_id = {pk: (code, name) for pk, code, name, _p, _parent in rows}
        out = {}
        for pk, code, name, platform, parent_id in rows:
            top_code, top_name = by_id.get(parent_id, (code, name)) if parent_id else (code, name)
            out[pk] = CategoryInfo(code, name, platform, top_code, top_name)
        _category_cache = (stamp, out)
        return out


def _rates(counts: Mapping[str, int]) -> dict[str, Any]:
    return {
        "reported": counts.get("reported", 0),
        "accepted": counts.get("accepted", 0),
        "closed": counts.get("closed", 0),
        "overdue": counts.get("overdue", 0),
        **metrics.indicators(counts),
    }


def _rank_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    rate = row.get("on_time_rate")
    return (rate is None, -(rate or 0), -row["reported"], row["code"])


def _ranked(
    places: Iterable[Place],
    period: Mapping[str, Counts],
    now: Mapping[tuple[str, str, str], Counts],
    top: int | None = None,
) -> list[dict[str, Any]]:
    """The places best first (on-time closure rate, then events), with their figures (the first ``top``)."""
    empty: Counts = {}

    def order(p: Place) -> tuple[Any, ...]:
        counts = period.get(p.code, empty)
        rate = metrics.on_time_rate(counts)
        return (rate is None, -(rate or 0), -counts.get("reported", 0), p.code)

    chosen = sorted(places, key=order)[:top]
    return [
        {
            "code": p.code,
            "name": p.name,
            "level": p.level,
            "open": now.get((p.code, Slice.TOTAL.value, ""), empty).get("open", 0),
            "overdue_now": now.get((p.code, Slice.TOTAL.value, ""), empty).get("overdue", 0),
            **_rates(period.get(p.code, empty)),
        }
        for p in chosen
    ]


def _category(cats: Mapping[int, CategoryInfo], key: str) -> CategoryInfo | None:
    return cats.get(int(key)) if key.isdigit() else None


def dashboard(
    user: User | AnonymousUser | None,
    code: str | None = None,
    *,
    days: int = DEFAULT_DAYS,
    today: date | None = None,
) -> dict[str, Any]:
    """Everything a dashboard page shows about one node, over the last ``days`` days (today included)."""
    from jiceng.analytics.rollups import local_day

    node = node_for(user, code)
    days = max(1, min(MAX_DAYS, int(days)))
    today = today or local_day(timezone.now())
    start = today - timedelta(days=days - 1)
    trend_start = today - timedelta(days=max(TREND_DAYS, days) - 1)
    per_day = series(node.codes, trend_start, today)
    period: Counts = {}
    for day, counts in per_day.items():
        if day >= start:
            metrics.add(period, counts)
    names = [Slice.CATEGORY.value, Slice.SOURCE.value, Slice.UNIT.value]
    by_slice = slices(node.codes, start, today, names)
    children_codes = [c.code for c in node.children]
    grand_codes = [g.code for g, _parent in node.grandchildren]
    grid_codes = [g.code for g in node.grids]
    by_place = by_region(sorted(set(children_codes) | set(grand_codes) | set(grid_codes)), start, today)
    now = current(node.codes + children_codes)
    cats = categories()

    # Totals of now over the node's own codes (several counties for a province).
    now_total: Counts = {}
    now_by_unit: dict[str, Counts] = {}
    for (region, slice_, key), counts in now.items():
        if region not in node.codes:
            continue
        if slice_ == Slice.TOTAL:
            metrics.add(now_total, counts)
        elif slice_ == Slice.UNIT:
            metrics.add(now_by_unit.setdefault(key, {}), counts)

    # Breakdowns.
    by_category = by_slice[Slice.CATEGORY.value]
    top_level: dict[str, Counts] = {}
    by_platform: dict[str, Counts] = {}
    top_names: dict[str, str] = {}
    for key, counts in by_category.items():
        info = _category(cats, key)
        top = info.top_code if info else key
        top_names[top] = info.top_name if info else key
        metrics.add(top_level.setdefault(top, {}), counts)
        metrics.add(by_platform.setdefault(info.platform if info else "", {}), counts)
    subcategories = sorted(by_category.items(), key=lambda kv: (-kv[1].get("reported", 0), kv[0]))[:TOP]
    source_labels = dict(Source.choices)
    platform_labels = dict(Platform.choices)

    def breakdown(key: str, code: str, name: str, counts: Mapping[str, int]) -> dict[str, Any]:
        return {"key": key, "code": code, "name": name, **_rates(counts)}

    # Rankings: the regions one level down, the lead units, the grids.
    by_unit = by_slice[Slice.UNIT.value]
    unit_ids = {int(k) for k in by_unit.keys() | now_by_unit.keys() if k.isdigit()}
    unit_names = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
    units = [
        {
            "code": str(pk),
            "name": unit_names.get(pk, str(pk)),
            "level": "",
            "open": now_by_unit.get(str(pk), {}).get("open", 0),
            "overdue_now": now_by_unit.get(str(pk), {}).get("overdue", 0),
            **_rates(by_unit.get(str(pk), {})),
        }
        for pk in unit_ids
    ]
    units.sort(key=_rank_key)
    grids = _ranked([g for g in node.grids if g.code in by_place], by_place, now, TOP * 3)

    # Recurring problems: a category again and again in one place one level down (or the node itself).
    repeated = recurring(children_codes or node.codes, start, today)
    place_names = {c.code: c.name for c in node.children} | {node.place.code: node.place.name}
    recurring_rows = []
    for region, key, n in repeated:
        info = _category(cats, key)
        recurring_rows.append(
            {
                "region_code": region,
                "region_name": place_names.get(region, region),
                "category_code": info.code if info else key,
                "category_name": info.name if info else key,
                "count": n,
            }
        )

    # Hotspots: events of the period one and two levels down.
    hotspot = []
    for child in node.children:
        value = by_place.get(child.code, {}).get("reported", 0)
        if not value:
            continue
        leaves = [
            {"code": g.code, "name": g.name, "value": by_place[g.code]["reported"]}
            for g, parent in node.grandchildren
            if parent == child.code and by_place.get(g.code, {}).get("reported", 0)
        ]
        hotspot.append({"code": child.code, "name": child.name, "value": value, "children": leaves})

    trend = []
    for offset in range(TREND_DAYS):
        day = today - timedelta(days=TREND_DAYS - 1 - offset)
        counts = per_day.get(day, {})
        trend.append(
            {"day": day, "reported": counts.get("reported", 0), "closed": counts.get("closed_on_day", 0)}
        )

    return {
        "node": node.place,
        "parent": node.parent,
        "level": node.place.level or "",
        "days": days,
        "period_start": start,
        "today": today,
        "cards": {
            "new_today": per_day.get(today, {}).get("reported", 0),
            "open": now_total.get("open", 0),
            "overdue": now_total.get("overdue", 0),
            "yellow": now_total.get("yellow", 0),
            "to_accept": now_total.get("to_accept", 0),
            "to_dispatch": now_total.get("to_dispatch", 0),
            "in_handling": now_total.get("in_handling", 0),
            "to_verify": now_total.get("to_verify", 0),
            "suspended_now": now_total.get("suspended", 0),
            "reported": period.get("reported", 0),
            "accepted": period.get("accepted", 0),
            "closed": period.get("closed", 0),
            "closed_on_time": period.get("closed_on_time", 0),
            "suspended": period.get("suspended", 0),
            "reworked": period.get("reworked", 0),
            "extended": period.get("extended", 0),
            "evaluations": metrics.evaluations(period),
            **metrics.indicators(period),
        },
        "trend": trend,
        "by_category": sorted(
            (breakdown(k, k, top_names.get(k, k), v) for k, v in top_level.items()),
            key=lambda r: (-r["reported"], r["code"]),
        ),
        "top_subcategories": [
            breakdown(k, info.code, info.name, v)
            for k, v in subcategories
            if (info := _category(cats, k)) is not None
        ],
        "by_source": sorted(
            (
                breakdown(k, k, str(source_labels.get(k, k)), v)
                for k, v in by_slice[Slice.SOURCE.value].items()
            ),
            key=lambda r: (-r["reported"], r["code"]),
        ),
        "by_platform": sorted(
            (breakdown(k, k, str(platform_labels.get(k, k)), v) for k, v in by_platform.items()),
            key=lambda r: (-r["reported"], r["code"]),
        ),
        "children": _ranked(node.children, by_place, now),
        "units": units[: TOP * 3],
        "grids": grids,
        "recurring": recurring_rows,
        "hotspot": hotspot,
        "warnings": warnings(user, node, today - timedelta(days=WARNING_DAYS - 1)),
        "applications": applications(user, node, start),
    }


def applications(user: User | AnonymousUser | None, node: Node, start: date) -> dict[str, Any]:
    """办件 figures of the node over the period (from the applications module, rates as fractions)."""
    from jiceng.analytics.rollups import local_zone
    from jiceng.applications.queries import counts

    found = counts(user, datetime.combine(start, time(), tzinfo=local_zone()), prefix=node.prefix)
    keys = ("total", "open", "concluded", "overdue", "online", "agency", "rated", "bad_ratings",
            "open_rectifications")  # fmt: skip
    out: dict[str, Any] = {k: found.get(k) or 0 for k in keys}
    for rate in ("on_time_rate", "satisfaction_rate"):
        out[rate] = None if found.get(rate) is None else found[rate] / 100
    return out


def warnings(user: User | AnonymousUser | None, node: Node, since: date) -> list[EarlyWarning]:
    qs = EarlyWarning.objects.restrict(user).select_related("category").filter(day__gte=since)
    if node.prefix:
        qs = qs.filter(region_code__startswith=node.prefix)
    return list(qs.order_by("-day", "-count", "id")[:50])


def warning_list(user: User | AnonymousUser | None, since: date | None = None) -> QuerySet[EarlyWarning]:
    qs = EarlyWarning.objects.restrict(user).select_related("category")
    if since is not None:
        qs = qs.filter(day__gte=since)
    return qs.order_by("-day", "-count", "id")
