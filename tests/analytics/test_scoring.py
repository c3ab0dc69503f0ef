"""量化考核: a month's scorecard, each score's drill-down listing exactly the records behind it."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from jiceng.analytics import actions, scoring
from jiceng.analytics.models import PeriodKind, Scorecard, ScoreItem, ScoringRule
from jiceng.analytics.rollups import local_day, local_zone
from jiceng.analytics.tasks import compute_scorecards
from jiceng.audit.models import AuditEntry
from jiceng.core.errors import Conflict, InvalidInput, PermissionDenied
from jiceng.events.actions import perform, report_event
from jiceng.events.models import EventFlow
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B

RULES = [
    ("按期结案率", "unit", "on_time_rate", "40", "0.9", "0"),
    ("核查不通过", "unit", "failed_verifications", "20", None, "5"),
    ("退回", "unit", "returns", "10", None, "2"),
    ("上报数", "grid_worker", "reports", "30", "5", "0"),
    ("不予受理", "grid_worker", "rejected_reports", "10", None, "5"),
    ("结案率", "township", "close_rate", "50", "0.95", "0"),
    ("满意率", "village", "satisfaction", "20", None, "0"),
]


def month_start() -> date:
    first_this = local_day(timezone.now()).replace(day=1)
    return (first_this - timedelta(days=1)).replace(day=1)


def at(day: date, days: int, hours: int = 0) -> datetime:
    return datetime.combine(day, time(9), tzinfo=local_zone()) + timedelta(days=days, hours=hours)


def act(org: Org, who: tuple[str, str], event: Any, action: str, when: datetime, **fields: Any) -> None:
    perform(org.user(*who), event.pk, action, now=when, **fields)


@pytest.fixture
def month(org: Org, categories: Any) -> dict[str, Any]:
    """One month of work in both townships, and an event of the month before verified in this one."""
    for name, subject, metric, weight, target, deduction in RULES:
        actions.create_rule(
            org.user("county", "admin"),
            name=name,
            subject_type=subject,
            metric=metric,
            weight=weight,
            target=target,
            deduction=deduction,
        )
    m = month_start()
    grid, disp, station = ("a", "grid_worker"), ("a", "dispatcher"), ("a", "handler")
    station_a = org.units["station_a"].code
    ids: dict[str, Any] = {}

    def report(key: str, when: datetime, where: str = "a") -> Any:
        place = IN_GRID_A if where == "a" else IN_GRID_B
        event, _ = report_event(org.user(where, "grid_worker"), category="0301", title=key, now=when, **place)
        ids[key] = event
        return event

    # From the month before: handled and failed verification early this month.
    e5 = report("e5", at(m, -5))
    act(org, disp, e5, "accept", at(m, -5, 1))
    act(org, disp, e5, "dispatch", at(m, -5, 2), lead_unit=station_a)
    act(org, station, e5, "sign", at(m, -5, 3))
    act(org, station, e5, "handle", at(m, 0, 1), comment="ok")
    act(org, grid, e5, "verify_fail", at(m, 2), comment="not fixed")
    # e1: failed one verification, then closed on time.
    e1 = report("e1", at(m, 1))
    act(org, disp, e1, "accept", at(m, 1, 1))
    act(org, disp, e1, "dispatch", at(m, 1, 2), lead_unit=station_a)
    act(org, station, e1, "sign", at(m, 1, 3))
    act(org, station, e1, "handle", at(m, 1, 4), comment="ok")
    act(org, grid, e1, "verify_fail", at(m, 1, 5), comment="not yet")
    act(org, station, e1, "handle", at(m, 1, 6), comment="ok now")
    act(org, grid, e1, "verify_pass", at(m, 1, 7))
    act(org, grid, e1, "evaluate", at(m, 1, 8), evaluation="satisfied")
    # e2: returned once, sent again, handled long after its deadline.
    e2 = report("e2", at(m, 2))
    act(org, disp, e2, "accept", at(m, 2, 1))
    act(org, disp, e2, "dispatch", at(m, 2, 2), lead_unit=station_a)
    act(org, station, e2, "return", at(m, 2, 3), comment="not ours")
    act(org, disp, e2, "dispatch", at(m, 2, 4), lead_unit=station_a)
    act(org, station, e2, "sign", at(m, 2, 5))
    act(org, station, e2, "handle", at(m, 20), comment="late")
    act(org, grid, e2, "verify_pass", at(m, 20, 1))
    act(org, grid, e2, "evaluate", at(m, 20, 2), evaluation="dissatisfied")
    # e3: not accepted.
    e3 = report("e3", at(m, 3))
    act(org, disp, e3, "reject", at(m, 3, 1), comment="duplicate")
    # e4: township B, closed on time.
    e4 = report("e4", at(m, 4), "b")
    act(org, ("b", "dispatcher"), e4, "accept", at(m, 4, 1))
    act(org, ("b", "dispatcher"), e4, "dispatch", at(m, 4, 2), lead_unit=org.units["station_b"].code)
    act(org, ("b", "handler"), e4, "sign", at(m, 4, 3))
    act(org, ("b", "handler"), e4, "handle", at(m, 4, 4), comment="ok")
    act(org, ("b", "grid_worker"), e4, "verify_pass", at(m, 4, 5))
    return {"start": m, **ids}


def items(card: Any, subject_code: str) -> dict[str, ScoreItem]:
    return {
        i.metric: i for i in ScoreItem.objects.filter(row__scorecard=card, row__subject_code=subject_code)
    }


def flow_ids(event: Any, action: str) -> list[int]:
    return list(
        EventFlow.objects.filter(event=event, action=action).order_by("pk").values_list("pk", flat=True)
    )


def test_a_months_scores_and_the_records_behind_them(org: Org, month: dict[str, Any], api_as: Any) -> None:
    card = scoring.compute_scorecard(org.user("county", "admin"), PeriodKind.MONTH, month["start"])
    e1, e2, e3, e4, e5 = (month[k] for k in ("e1", "e2", "e3", "e4", "e5"))

    station = items(card, org.units["station_a"].code)
    on_time = station["on_time_rate"]
    assert (on_time.event_ids, on_time.hit_event_ids) == ([e1.pk, e2.pk], [e1.pk])
    assert on_time.value == 0.5 and on_time.points == Decimal("22.22")  # 40 × 0.5 / 0.9
    failed = station["failed_verifications"]
    # Flows of the month, wherever the event was reported: e5's (reported the month before) and e1's.
    assert failed.flow_ids == sorted(flow_ids(e1, "verify_fail") + flow_ids(e5, "verify_fail"))
    assert (failed.failures, failed.points) == (2, Decimal("10.00"))
    returns = station["returns"]
    assert returns.flow_ids == flow_ids(e2, "return") and returns.points == Decimal("8.00")
    row = on_time.row
    assert row.total == Decimal("40.22") and row.full_marks == Decimal("70")

    worker = items(card, org.user("a", "grid_worker").username)
    assert worker["reports"].flow_ids == sorted(
        flow_ids(e1, "report") + flow_ids(e2, "report") + flow_ids(e3, "report")
    )
    assert worker["reports"].points == Decimal("18.00")  # 30 × 3 / 5
    assert worker["rejected_reports"].hit_event_ids == [e3.pk] and worker[
        "rejected_reports"
    ].points == Decimal("5.00")

    township_a = items(card, org.regions["township_a"].code)["close_rate"]
    assert township_a.event_ids == [e1.pk, e2.pk] and township_a.hit_event_ids == [e1.pk, e2.pk]
    village_a = items(card, org.regions["village_a"].code)["satisfaction"]
    assert (village_a.event_ids, village_a.hit_event_ids, village_a.points) == (
        [e1.pk, e2.pk],
        [e1.pk],
        Decimal("10.00"),
    )
    township_b = items(card, org.regions["township_b"].code)["close_rate"]
    assert township_b.event_ids == [e4.pk]

    # The drill-down lists exactly those records, to whoever may see the subject.
    client = api_as(org.user("a", "dispatcher"))
    detail = client.get(f"/api/v1/analytics/score-items/{on_time.pk}").json()
    assert [(e["id"], e["hit"]) for e in detail["events"]] == [(e1.pk, True), (e2.pk, False)]
    assert detail["hidden"] == 0 and detail["points"] == 22.22
    detail = client.get(f"/api/v1/analytics/score-items/{failed.pk}").json()
    assert [f["id"] for f in detail["flows"]] == failed.flow_ids
    assert {f["action"] for f in detail["flows"]} == {"verify_fail"}
    page = api_as(org.user("a", "dispatcher"))
    assert page.get(f"/api/v1/analytics/score-items/{township_b.pk}").status_code == 404
    assert (
        api_as(org.user("b", "dispatcher")).get(f"/api/v1/analytics/score-items/{on_time.pk}").status_code
        == 404
    )

    # The scorecard as township A sees it: its own subjects only.
    listed = client.get(f"/api/v1/analytics/scorecards?kind=month&start={month['start']}").json()
    prefix = org.regions["township_a"].scope_prefix
    assert listed["rows"] and all(r["region_code"].startswith(prefix) for r in listed["rows"])


def test_history_stays_until_recomputed(org: Org, month: dict[str, Any]) -> None:
    admin = org.user("county", "admin")
    card = scoring.compute_scorecard(admin, PeriodKind.MONTH, month["start"])
    before = items(card, org.regions["township_b"].code)["close_rate"]
    with pytest.raises(Conflict):
        scoring.compute_scorecard(admin, PeriodKind.MONTH, month["start"])
    # The events move on: the stored scores do not…
    perform(org.user("b", "grid_worker"), month["e4"].pk, "evaluate", evaluation="dissatisfied")
    assert ScoreItem.objects.get(pk=before.pk).points == before.points
    # …until someone recomputes the period.
    card = scoring.compute_scorecard(admin, PeriodKind.MONTH, month["start"], replace=True)
    assert items(card, org.regions["village_b"].code)["satisfaction"].value == 0.0
    assert AuditEntry.objects.filter(action="analytics.scorecard.compute").count() == 2


def test_only_county_administrators_and_leaders_compute(org: Org, month: dict[str, Any]) -> None:
    for who in (("a", "admin"), ("a", "leader"), ("county", "handler"), ("a", "dispatcher")):
        with pytest.raises(PermissionDenied):
            scoring.compute_scorecard(org.user(*who), PeriodKind.MONTH, month["start"])
    scoring.compute_scorecard(org.user("county", "leader"), PeriodKind.QUARTER, month["start"])


def test_the_task_computes_the_last_periods_once(org: Org, month: dict[str, Any]) -> None:
    first = compute_scorecards()
    assert set(first) == {"month", "quarter"} and first["month"] == f"{month['start']:%Y-%m}"
    assert compute_scorecards() == {}


def test_export_and_pages(org: Org, month: dict[str, Any], page_as: Any) -> None:
    scoring.compute_scorecard(org.user("county", "admin"), PeriodKind.MONTH, month["start"])
    period = f"{month['start']:%Y-%m}"
    county = page_as(org.user("county", "leader"))
    page = county.get(f"/analytics/scorecards/?kind=month&period={period}")
    assert page.status_code == 200 and "A镇司法所" in page.content.decode()
    file = county.get(f"/analytics/scorecards/export/?kind=month&period={period}")
    assert file.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(file.streaming_content)))
    names = [row[2] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert "A镇司法所" in names and "B镇司法所" in names
    assert AuditEntry.objects.filter(action="analytics.scorecard.export").exists()
    own = page_as(org.user("a", "dispatcher")).get(f"/analytics/scorecards/?kind=month&period={period}")
    assert "A镇司法所" in own.content.decode() and "B镇司法所" not in own.content.decode()
    item = ScoreItem.objects.filter(row__subject_code=org.units["station_a"].code).first()
    assert item is not None
    assert page_as(org.user("a", "dispatcher")).get(f"/analytics/scores/{item.pk}/").status_code == 200
    assert page_as(org.user("b", "dispatcher")).get(f"/analytics/scores/{item.pk}/").status_code == 404


def test_rules_are_edited_by_county_administrators_only(org: Org, categories: Any, page_as: Any) -> None:
    admin = page_as(org.user("county", "admin"))
    body = {
        "name": "满意率",
        "subject_type": "unit",
        "metric": "satisfaction",
        "weight": "15",
        "target": "0.9",
        "deduction": "0",
        "sort": "1",
        "is_active": "on",
    }
    assert admin.post("/analytics/rules/new/", body).status_code == 302
    rule = ScoringRule.objects.get(name="满意率")
    assert AuditEntry.objects.filter(action="analytics.rule.create", object_id=str(rule.pk)).exists()
    edited = admin.post(
        f"/analytics/rules/{rule.pk}/edit/", {**body, "weight": "20", "version": rule.version}
    )
    assert edited.status_code == 302
    rule.refresh_from_db()
    assert rule.weight == Decimal("20") and rule.version == 2
    entry = AuditEntry.objects.get(action="analytics.rule.update")
    assert entry.changes == {"weight": {"before": "15.00", "after": "20.00"}}
    # A metric that does not fit the subjects is refused on its field.
    wrong = admin.post("/analytics/rules/new/", {**body, "metric": "reports"})
    assert wrong.status_code == 200 and ScoringRule.objects.count() == 1
    for who in (("a", "admin"), ("county", "leader")):
        client = page_as(org.user(*who))
        assert client.get("/analytics/rules/").status_code == 403
        assert client.post("/analytics/rules/new/", body).status_code == 403
        assert client.get(f"/analytics/rules/{rule.pk}/edit/").status_code == 403


def test_drill_down_shows_event_numbers_and_labels_as_the_event_page(
    org: Org, month: dict[str, Any], page_as: Any, api_as: Any
) -> None:
    # Reported at 02:00 Beijing time: the day before in UTC. The number people quote uses the local day.
    early, _created = report_event(
        org.user("a", "grid_worker"),
        category="0301",
        title="early",
        now=at(month["start"], 5, -7),
        **IN_GRID_A,
    )
    perform(org.user("a", "dispatcher"), early.pk, "reject", comment="duplicate", now=at(month["start"], 5))
    card = scoring.compute_scorecard(org.user("county", "admin"), PeriodKind.MONTH, month["start"])
    rejected = items(card, org.user("a", "grid_worker").username)["rejected_reports"]
    detail = api_as(org.user("a", "dispatcher")).get(f"/api/v1/analytics/score-items/{rejected.pk}").json()
    assert early.ref in {e["ref"] for e in detail["events"]}
    reports = items(card, org.user("a", "grid_worker").username)["reports"]
    with translation.override("zh-hans"):
        page = page_as(org.user("a", "dispatcher")).get(f"/analytics/scores/{rejected.pk}/").content.decode()
        flows = page_as(org.user("a", "dispatcher")).get(f"/analytics/scores/{reports.pk}/").content.decode()
    assert early.ref in page and ">不予受理</td>" in page and ">rejected</td>" not in page
    assert ">上报</td>" in flows and ">report</td>" not in flows


def test_a_period_computed_before_its_end_is_computed_again_by_the_task(
    org: Org, categories: Any, page_as: Any
) -> None:
    actions.create_rule(
        org.user("county", "admin"), name="结案率", subject_type="township", metric="close_rate", weight="50"
    )
    today = local_day(timezone.now())
    current, next_first = scoring.period_bounds(PeriodKind.MONTH, today)
    early = scoring.compute_scorecard(org.user("county", "leader"), PeriodKind.MONTH, current)
    assert scoring.is_provisional(early)
    with translation.override("zh-hans"):
        page = page_as(org.user("county", "leader")).get(
            f"/analytics/scorecards/?kind=month&period={current:%Y-%m}"
        )
    assert "暂定结果" in page.content.decode()
    # The first day after the month: the early scorecard misses the last days, so it is replaced.
    done = compute_scorecards(next_first)
    assert done["month"] == f"{current:%Y-%m}"
    card = scoring.scorecard_for(PeriodKind.MONTH, current)
    assert card is not None and card.pk != early.pk and card.computed_by is None
    # Once computed after the period, it is kept.
    Scorecard.objects.filter(pk=card.pk).update(
        computed_at=datetime.combine(next_first, time(1), local_zone())
    )
    assert compute_scorecards(next_first) == {}


def test_the_scorecards_page_links_to_the_rules_only_for_who_may_open_them(org: Org, page_as: Any) -> None:
    rules = "/analytics/rules/"
    for who in (("county", "leader"), ("a", "dispatcher")):
        client = page_as(org.user(*who))
        assert f'href="{rules}"' not in client.get("/analytics/scorecards/").content.decode()
        assert client.get(rules).status_code == 403
    admin = page_as(org.user("county", "admin"))
    assert f'href="{rules}"' in admin.get("/analytics/scorecards/").content.decode()
    assert admin.get(rules).status_code == 200


def test_a_period_that_is_not_a_month_or_quarter_is_refused_with_a_message(org: Org, page_as: Any) -> None:
    client = page_as(org.user("county", "leader"))
    with translation.override("zh-hans"):
        for text in ("2026-13", "abc", "2026Q5"):
            page = client.get(f"/analytics/scorecards/?kind=quarter&period={text}").content.decode()
            assert "请按 2026-10（月份）或 2026Q3（季度）的格式填写。" in page, text
            # The page says which period it shows instead: the last quarter, as asked.
            label = scoring.period_label(PeriodKind.QUARTER, scoring.last_period(PeriodKind.QUARTER))
            assert f"考核结果 {label}" in page
        page = client.get("/analytics/scorecards/?kind=month&period=2026-1").content.decode()
        assert "考核结果 2026-01" in page and "格式填写" not in page


def test_targets_read_without_trailing_zeros(org: Org, categories: Any, page_as: Any) -> None:
    for name, metric, target in (("上报数", "reports", "15"), ("按期", "on_time_rate", "0.9")):
        actions.create_rule(
            org.user("county", "admin"),
            name=name,
            subject_type="grid_worker" if metric == "reports" else "unit",
            metric=metric,
            weight="100",
            target=target,
        )
    page = page_as(org.user("county", "admin")).get("/analytics/rules/").content.decode()
    assert "<td>15</td>" in page and "<td>0.9</td>" in page
    assert "15.0000" not in page and "0.9000" not in page


def test_a_rule_that_would_give_everyone_full_points_is_refused(org: Org, categories: Any) -> None:
    admin = org.user("county", "admin")
    base = {"name": "规则", "weight": "10"}
    with pytest.raises(InvalidInput) as count:
        actions.create_rule(admin, **base, subject_type="grid_worker", metric="reports")
    assert set(count.value.details) == {"target"}
    with pytest.raises(InvalidInput) as failures:
        actions.create_rule(admin, **base, subject_type="unit", metric="returns", deduction="0")
    assert set(failures.value.details) == {"deduction"}
    assert not ScoringRule.objects.exists()
    actions.create_rule(admin, **base, subject_type="grid_worker", metric="reports", target="5")
    actions.create_rule(admin, **base, subject_type="unit", metric="returns", deduction="1")
    rate = {**base, "name": "按期"}
    actions.create_rule(admin, **rate, subject_type="unit", metric="on_time_rate")  # rates: target optional


def test_drill_down_names_areas_and_quotes_event_numbers(
    org: Org, month: dict[str, Any], page_as: Any
) -> None:
    card = scoring.compute_scorecard(org.user("county", "admin"), PeriodKind.MONTH, month["start"])
    station = items(card, org.units["station_a"].code)
    client = page_as(org.user("a", "dispatcher"))
    rate = client.get(f"/analytics/scores/{station['on_time_rate'].pk}/").content.decode()
    grid = org.regions["grid_a"]
    assert month["e1"].region_code == grid.code
    assert f'title="{grid.code}">{grid.name}</td>' in rate  # the area by name, its code on hover
    failed = client.get(f"/analytics/scores/{station['failed_verifications'].pk}/").content.decode()
    assert f">{month['e1'].ref}</a>" in failed and f">{month['e5'].ref}</a>" in failed


def test_two_rules_for_the_same_subjects_cannot_share_a_name(org: Org, categories: Any) -> None:
    """The scorecard shows one column per rule name: a second 满意率 would hide the first one's points."""
    admin = org.user("county", "admin")
    first = actions.create_rule(admin, name="满意率", subject_type="unit", metric="satisfaction", weight="10")
    with pytest.raises(InvalidInput) as refused:
        actions.create_rule(admin, name="满意率", subject_type="unit", metric="on_time_rate", weight="10")
    assert set(refused.value.details) == {"name"}
    actions.create_rule(admin, name="满意率", subject_type="village", metric="satisfaction", weight="10")
    other = actions.create_rule(admin, name="按期", subject_type="unit", metric="on_time_rate", weight="10")
    with pytest.raises(InvalidInput):
        actions.update_rule(
            admin, other, name="满意率", subject_type="unit", metric="on_time_rate", weight="10"
        )
    actions.update_rule(admin, first, name="满意率", subject_type="unit", metric="satisfaction", weight="20")


def test_the_export_quotes_the_events_by_number(org: Org, month: dict[str, Any], page_as: Any) -> None:
    scoring.compute_scorecard(org.user("county", "admin"), PeriodKind.MONTH, month["start"])
    file = page_as(org.user("a", "dispatcher")).get(
        f"/analytics/scorecards/export/?kind=month&period={month['start']:%Y-%m}"
    )
    book = load_workbook(io.BytesIO(b"".join(file.streaming_content)))
    records = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    on_time = next(r for r in records if r[1] == "A镇司法所" and r[2] == "按期结案率")
    assert on_time[9] == month["e1"].ref
    assert on_time[10] == f"{month['e1'].ref},{month['e2'].ref}"


def test_a_scores_page_reads_as_chinese(org: Org, month: dict[str, Any], page_as: Any) -> None:
    card = scoring.compute_scorecard(org.user("county", "admin"), PeriodKind.MONTH, month["start"])
    returns = items(card, org.units["station_a"].code)["returns"]
    with translation.override("zh-hans"):
        page = page_as(org.user("a", "dispatcher")).get(f"/analytics/scores/{returns.pk}/").content.decode()
    assert "（目标值 —，每次未达标扣分 2）" in page


def test_recomputing_a_period_asks_first(org: Org, month: dict[str, Any], page_as: Any) -> None:
    """Recomputing replaces the stored scores: the button opens a warning, which confirms."""
    scoring.compute_scorecard(org.user("county", "admin"), PeriodKind.MONTH, month["start"])
    with translation.override("zh-hans"):
        page = page_as(org.user("county", "leader")).get(
            f"/analytics/scorecards/?kind=month&period={month['start']:%Y-%m}"
        )
    form = re.search(
        r'<form method="post" action="/analytics/scorecards/compute/".*?</form>', page.content.decode(), re.S
    )
    assert form is not None
    confirm = re.search(r'<details class="confirm">.*?</details>', form.group(0), re.S)
    assert confirm is not None and '<button type="submit">确认重新计算并替换</button>' in confirm.group(0)
    assert "已保存的考核结果将被替换" in confirm.group(0)
    assert form.group(0).count('type="submit"') == 1  # no button outside the warning
