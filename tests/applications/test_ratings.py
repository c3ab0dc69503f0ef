"""好差评: five levels after 办结, bad ones open a rectification with a working-day deadline; statistics
by item, department and window; the counts dashboards show."""

from __future__ import annotations

import pytest

from jiceng.applications import queries
from jiceng.applications.actions import ActionNotAvailable, perform, submit_application
from jiceng.applications.models import Application, Rectification
from jiceng.applications.tasks import check_deadlines
from jiceng.celery import app as celery_app
from jiceng.core.errors import InvalidInput
from tests.applications.conftest import Services, all_materials, at

pytestmark = pytest.mark.django_db


def concluded(svc: Services, key: str = "a") -> Application:
    """老年人优待证: a same-day item the window itself approves."""
    window = svc.user(key, "window")
    app, _ = submit_application(
        window,
        item="MZ-006",
        person=svc.people[key].pk,
        provided=all_materials("MZ-006"),
        now=at("2026-03-09", 9),
    )
    perform(window, app.pk, "accept", now=at("2026-03-09", 9, 10))
    return perform(window, app.pk, "approve", comment="当场办结", now=at("2026-03-09", 9, 30))


def test_ratings_only_after_conclusion_once_and_with_a_valid_level(svc: Services) -> None:
    window = svc.user("a", "window")
    app, _ = submit_application(
        window, item="MZ-006", person=svc.people["a"].pk, provided=all_materials("MZ-006")
    )
    with pytest.raises(ActionNotAvailable):
        perform(window, app.pk, "rate", rating="satisfied")
    app = concluded(svc)
    assert app.due_at is None and not app.was_overdue  # 即办: concluded the same day
    with pytest.raises(InvalidInput):
        perform(window, app.pk, "rate", rating="great")
    with pytest.raises(InvalidInput):
        perform(window, app.pk, "rate", rating="satisfied", tags=["a", "b", "c", "d", "e", "f"])
    perform(window, app.pk, "rate", rating="satisfied", tags=["办事快捷"])
    with pytest.raises(ActionNotAvailable):  # rated already
        perform(window, app.pk, "rate", rating="dissatisfied")
    assert not Rectification.objects.exists()


def test_statistics_by_item_department_and_window(svc: Services) -> None:
    levels = ["very_satisfied", "satisfied", "very_dissatisfied"]
    for level in levels:
        app = concluded(svc)
        perform(svc.user("a", "window"), app.pk, "rate", rating=level, now=at("2026-03-10", 9))
    other = concluded(svc, "b")
    perform(svc.user("b", "window"), other.pk, "rate", rating="basically_satisfied")
    rows = queries.rating_stats(svc.user("a", "window"), "window")
    assert [(r["name"], r["total"], r["bad"]) for r in rows] == [("A镇便民服务中心综合窗口", 3, 1)]
    assert rows[0]["good_rate"] == 66.7 and rows[0]["mean"] == round((5 + 4 + 1) / 3, 2)
    county = queries.rating_stats(svc.org.user("county", "leader"), "item")
    assert [(r["name"], r["total"]) for r in county] == [("老年人优待证办理", 4)]
    departments = {
        r["name"]: r["total"] for r in queries.rating_stats(svc.org.user("county", "leader"), "department")
    }
    assert departments == {"A镇便民服务中心": 3, "B镇便民服务中心": 1}
    # The bad one is the window's to rectify within five working days; overdue after that.
    rectification = Rectification.objects.get()
    assert rectification.unit.name == "A镇便民服务中心" and rectification.due_at == at("2026-03-17", 9)
    assert check_deadlines(at("2026-03-17", 10))["rectifications_overdue"] == 1
    counts = queries.counts(svc.user("a", "window"))
    assert counts["concluded"] == 3 and counts["rated"] == 3 and counts["bad_ratings"] == 1
    assert counts["open_rectifications"] == 1 and counts["satisfaction_rate"] == 66.7


def test_the_deadline_check_runs_on_schedule() -> None:
    entry = celery_app.conf.beat_schedule["check-application-deadlines"]
    assert entry["task"] == "jiceng.applications.tasks.check_deadlines"


def test_the_catalog_seed_is_idempotent(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    from jiceng.applications.models import ServiceItem

    out = StringIO()
    call_command("seed_service_items", stdout=out)
    assert ServiceItem.objects.count() >= 30 and "30 of 30" in out.getvalue()
    assert all(item.steps.exists() and item.materials.exists() for item in ServiceItem.objects.all())
    call_command("seed_service_items", stdout=out)
    assert ServiceItem.objects.count() == 30 and "0 of 30" in out.getvalue()
