"""好差评: five levels after 办结, bad ones open a rectification with a working-day deadline; statistics
by item, department and window; the counts dashboards show."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core import signing

from jiceng.accounts.models import User
from jiceng.applications import queries
from jiceng.applications.actions import (
    RATING_LINK_DAYS,
    ActionNotAvailable,
    AlreadyRated,
    RatingLinkExpired,
    RatingLinkInvalid,
    application_for_rating,
    perform,
    rate_by_link,
    rating_token,
    submit_application,
)
from jiceng.applications.models import Application, Rating, Rectification
from jiceng.applications.tasks import check_deadlines
from jiceng.applications.workflow import available_actions
from jiceng.audit.models import AuditEntry
from jiceng.celery import app as celery_app
from jiceng.core.errors import InvalidInput, PermissionDenied
from jiceng.notifications.models import SmsMessage
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


def rate(app: Application, rating: str, **fields: Any) -> Application:
    """The applicant (no account: the application was taken at the window) rates through the link."""
    return rate_by_link(rating_token(app), rating=rating, **fields)


def test_ratings_only_after_conclusion_once_and_with_a_valid_level(svc: Services) -> None:
    window = svc.user("a", "window")
    app, _ = submit_application(
        window, item="MZ-006", person=svc.people["a"].pk, provided=all_materials("MZ-006")
    )
    with pytest.raises(ActionNotAvailable):
        rate(app, "satisfied")
    app = concluded(svc)
    assert app.due_at is None and not app.was_overdue  # 即办: concluded the same day
    with pytest.raises(InvalidInput):
        rate(app, "great")
    with pytest.raises(InvalidInput):
        rate(app, "satisfied", tags=["a", "b", "c", "d", "e", "f"])
    assert not Rating.objects.exists()
    rate(app, "satisfied", tags=["办事快捷"], comment="很快")
    with pytest.raises(AlreadyRated):
        rate(app, "dissatisfied")
    rating = Rating.objects.get()
    assert (rating.level, rating.channel, rating.rated_by, rating.comment) == (
        "satisfied",
        "link",
        None,
        "很快",
    )
    assert not Rectification.objects.exists()
    flow = app.flows.get(action="rate")
    assert flow.actor is None and flow.actor_name == "申请人（评价链接）"
    entry = AuditEntry.objects.get(action="application.rate")
    assert entry.user_id is None and entry.username == "申请人（评价链接）"


def test_staff_and_agents_never_rate_for_the_applicant(svc: Services) -> None:
    """好差评 is the applicant's own: not the window that served them, not the county, not the admin."""
    app = concluded(svc)
    for user in (svc.user("a", "window"), svc.user("a", "social"), svc.org.user("county", "leader")):
        with pytest.raises(PermissionDenied):
            perform(user, app.pk, "rate", rating="very_satisfied")
        assert "rate" not in [t.action for t in available_actions(user, app)]
    admin = User.objects.create_superuser("rating-test-admin", password="x-Very-long-1")
    assert "rate" not in [t.action for t in available_actions(admin, app)]
    # Nor through the applicant's link while signed in as staff.
    for user in (svc.user("a", "window"), svc.org.user("a", "village_cadre"), admin):
        with pytest.raises(PermissionDenied):
            rate_by_link(rating_token(app), rating="very_satisfied", by=user)
    assert not Rating.objects.exists()


def accepted_online(svc: Services) -> tuple[User, Application]:
    """A resident's own online application of a same-day item, accepted by the window."""
    resident = svc.org.user("none", "resident")
    app, _ = submit_application(
        resident,
        item="MZ-006",
        applicant_name="王五",
        applicant_phone="13700001111",
        region_code=svc.org.regions["village_a"].code,
        provided=all_materials("MZ-006"),
        now=at("2026-03-09", 9),
    )
    return resident, perform(svc.user("a", "window"), app.pk, "accept", now=at("2026-03-09", 9, 10))


def test_a_resident_rates_their_own_online_application(svc: Services) -> None:
    resident, app = accepted_online(svc)
    perform(svc.user("a", "window"), app.pk, "approve", comment="当场办结", now=at("2026-03-09", 9, 30))
    perform(resident, app.pk, "rate", rating="very_satisfied")
    rating = Rating.objects.get()
    assert (rating.rated_by, rating.channel) == (resident, "online")


def test_rating_links_are_signed_and_expire(svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    app = concluded(svc)
    token = rating_token(app)
    assert str(app.pk) not in token.split(":")[1:] and "张" not in token  # names no one
    assert application_for_rating(token) == app
    with pytest.raises(RatingLinkInvalid):
        application_for_rating(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    with pytest.raises(RatingLinkInvalid):  # another application's number under the same signature
        application_for_rating(token.replace(token.split(":")[0], str(app.pk + 1), 1))
    later = time.time() + RATING_LINK_DAYS * 86400 + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    with pytest.raises(RatingLinkExpired):
        rate_by_link(token, rating="satisfied")
    assert not Rating.objects.exists()


def test_the_applicant_is_sent_the_link_when_it_concludes(
    svc: Services, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PUBLIC_URL = "https://jiceng.example.gov.cn"
    with django_capture_on_commit_callbacks(execute=True):
        app = concluded(svc)
    sms = SmsMessage.objects.get()
    assert sms.phone == app.applicant_phone
    url = sms.text[sms.text.index("https://") :].split()[0]
    assert url.startswith("https://jiceng.example.gov.cn/services/rate/") and app.ref in sms.text
    token = url.removeprefix("https://jiceng.example.gov.cn/services/rate/").strip("/")
    assert application_for_rating(token) == app
    # Delivering it afterwards concludes nothing new: no second SMS.
    with django_capture_on_commit_callbacks(execute=True):
        perform(svc.user("a", "window"), app.pk, "deliver", now=at("2026-03-09", 10))
    assert SmsMessage.objects.count() == 1


def test_no_sms_without_the_platform_address(
    svc: Services, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PUBLIC_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        concluded(svc)
    assert not SmsMessage.objects.exists()


def test_statistics_by_item_department_and_window(svc: Services) -> None:
    levels = ["very_satisfied", "satisfied", "very_dissatisfied"]
    for level in levels:
        app = concluded(svc)
        rate_by_link(rating_token(app), rating=level, now=at("2026-03-10", 9))
    other = concluded(svc, "b")
    rate(other, "basically_satisfied")
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
