"""A resident's name in the timeline (流转记录) is masked like the 上报人 field, everywhere the flow's actors
are shown: the event page, the API's event detail (and the 201 of a report), the hub feedback. Staff stay
named; the resident sees their own name; whoever may reveal the reporter sees it in full after the
audited reveal; someone from another township gets nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.audit.models import AuditEntry
from jiceng.events import queries
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event
from tests.conftest import TOWNSHIP_ROLE_UNIT, Org, make_user
from tests.events.conftest import IN_GRID_A

pytestmark = pytest.mark.django_db

NAME, MASKED, PHONE = "刘刚英", "刘*英", "13812341234"


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def resident(username: str = "liu") -> User:
    user = make_user(username, None, Role.RESIDENT)
    user.full_name = NAME
    user.save(update_fields=["full_name"])
    return user


def rated_event(org: Org, reporter: User, **kwargs: Any) -> Event:
    """Reported and rated by the resident; handled by the station, verified by the grid worker."""
    event, _ = report_event(
        reporter, category="0301", title="楼道堆物", reporter_phone=PHONE, **IN_GRID_A, **kwargs
    )
    dispatcher, handler = org.user("a", "dispatcher"), org.user("a", "handler")
    perform(dispatcher, event.pk, "accept")
    perform(dispatcher, event.pk, "dispatch", lead_unit=org.units["station_a"].code)
    perform(handler, event.pk, "sign")
    perform(handler, event.pk, "handle", comment="已清理")
    perform(org.user("a", "grid_worker"), event.pk, "verify_pass")
    return perform(reporter, event.pk, "evaluate", evaluation="satisfied", comment="很快")


def timeline_actors(html: str) -> dict[str, str]:
    """action → the actor shown on the page's timeline."""
    steps = re.findall(r'data-action="([a-z_]+)">.*?</time> · ([^<·]+?)(?: · |</div>)', html, re.S)
    return dict(steps)


@pytest.mark.parametrize("role", ["grid_worker", "dispatcher", "handler", "village_cadre", "leader"])
def test_timeline_masks_the_resident_for_staff_of_the_township(
    org: Org, categories: Any, page_as: Any, api_as: Any, role: str
) -> None:
    event = rated_event(org, resident())
    html = page_as(org.user("a", role)).get(f"/events/{event.pk}/").content.decode()
    assert NAME not in html and PHONE not in html
    actors = timeline_actors(html)
    assert actors["report"] == MASKED and actors["evaluate"] == MASKED
    # Staff are named, as in any flow record.
    assert actors["accept"] == "a_dispatcher" and actors["sign"] == "a_handler"
    assert actors["verify_pass"] == "a_grid_worker"

    body = api_as(org.user("a", role)).get(f"/api/v1/events/{event.pk}").json()
    assert NAME not in str(body) and body["reporter_name"] == MASKED
    by_action = {step["action"]: step["actor"] for step in body["timeline"]}
    assert by_action["report"] == MASKED and by_action["evaluate"] == MASKED
    assert by_action["dispatch"] == "a_dispatcher" and by_action["handle"] == "a_handler"
    assert not AuditEntry.objects.filter(action="event.reporter.view").exists()


def test_revealing_the_reporter_shows_the_timeline_in_full_and_is_audited(
    org: Org, categories: Any, page_as: Any, api_as: Any
) -> None:
    event = rated_event(org, resident())
    dispatcher = page_as(org.user("a", "dispatcher"))
    # htmx: the reporter and, out of band, the timeline.
    revealed = dispatcher.post(f"/events/{event.pk}/reporter/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="reporter"' in revealed and 'id="timeline"' in revealed and 'hx-swap-oob="true"' in revealed
    actors = timeline_actors(revealed)
    assert actors["report"] == NAME and actors["evaluate"] == NAME and PHONE in revealed
    # Without htmx: the whole page, revealed.
    page = dispatcher.post(f"/events/{event.pk}/reporter/").content.decode()
    assert timeline_actors(page)["report"] == NAME
    assert AuditEntry.objects.filter(action="event.reporter.view", object_id=str(event.pk)).count() == 2
    # The next plain visit is masked again.
    assert NAME not in dispatcher.get(f"/events/{event.pk}/").content.decode()

    # The lead unit's handler may reveal too; through the API as well, audited the same way.
    response = api_as(org.user("a", "handler")).post(f"/api/v1/events/{event.pk}/reporter")
    assert response.status_code == 200
    assert response.json() == {"name": NAME, "phone": PHONE, "anonymous": False}
    assert AuditEntry.objects.filter(action="event.reporter.view", object_id=str(event.pk)).count() == 3


@pytest.mark.parametrize("role", ["grid_worker", "village_cadre", "leader"])
def test_who_may_not_reveal_cannot_unmask_the_timeline(
    org: Org, categories: Any, page_as: Any, api_as: Any, role: str
) -> None:
    event = rated_event(org, resident())
    client = page_as(org.user("a", role))
    html = client.get(f"/events/{event.pk}/").content.decode()
    assert zh("Show in full") not in html
    assert client.post(f"/events/{event.pk}/reporter/", HTTP_HX_REQUEST="true").status_code == 403
    response = api_as(org.user("a", role)).post(f"/api/v1/events/{event.pk}/reporter")
    assert response.status_code == 403 and NAME not in response.content.decode()
    assert not AuditEntry.objects.filter(action="event.reporter.view").exists()


OUTSIDERS = [("b", role) for role in TOWNSHIP_ROLE_UNIT] + [("county_2", "handler"), ("none", "resident")]


@pytest.mark.parametrize("who", OUTSIDERS, ids=lambda w: f"{w[0]}-{w[1]}")
def test_another_township_gets_nothing(
    org: Org, categories: Any, page_as: Any, api_as: Any, who: tuple[str, str]
) -> None:
    event = rated_event(org, resident())
    client, api = page_as(org.user(*who)), api_as(org.user(*who))
    for response in (
        client.get(f"/events/{event.pk}/"),
        client.post(f"/events/{event.pk}/reporter/", HTTP_HX_REQUEST="true"),
        api.get(f"/api/v1/events/{event.pk}"),
        api.post(f"/api/v1/events/{event.pk}/reporter"),
    ):
        assert response.status_code == 404
        assert NAME not in response.content.decode() and MASKED not in response.content.decode()
    assert not AuditEntry.objects.filter(action="event.reporter.view").exists()


def test_the_resident_sees_their_own_name(org: Org, categories: Any, page_as: Any, api_as: Any) -> None:
    liu = resident()
    event = rated_event(org, liu)
    body = api_as(liu).get(f"/api/v1/events/{event.pk}").json()
    assert body["reporter_name"] == NAME
    by_action = {step["action"]: step["actor"] for step in body["timeline"]}
    assert by_action["report"] == NAME and by_action["evaluate"] == NAME
    assert timeline_actors(page_as(liu).get(f"/events/{event.pk}/").content.decode())["report"] == NAME
    # The phone pages show the steps, not who took them.
    mine = page_as(liu).get(f"/portal/reports/{event.pk}/")
    assert mine.status_code == 200 and "a_handler" not in mine.content.decode()
    # Another resident in the same place sees nothing of it.
    other = resident("zhang")
    assert api_as(other).get(f"/api/v1/events/{event.pk}").status_code == 404


def test_the_report_answer_shows_the_resident_their_own_name_and_staff_the_mask(
    org: Org, categories: Any, api_as: Any
) -> None:
    liu = resident()
    body = {"category": "0301", "title": "路灯不亮", **IN_GRID_A}
    created = api_as(liu).post_json("/api/v1/events", body)
    assert created.status_code == 201
    assert created.json()["timeline"][0]["actor"] == NAME
    seen = api_as(org.user("a", "dispatcher")).get(f"/api/v1/events/{created.json()['id']}").json()
    assert seen["timeline"][0]["actor"] == MASKED and seen["reporter_name"] == MASKED
    # A grid worker's report (staff) is named in its 201 and to everyone.
    staff = api_as(org.user("a", "grid_worker")).post_json("/api/v1/events", body).json()
    assert staff["timeline"][0]["actor"] == "a_grid_worker"


def test_an_anonymous_report_names_nobody(org: Org, categories: Any, page_as: Any, api_as: Any) -> None:
    event = rated_event(org, resident(), anonymous=True)
    html = page_as(org.user("a", "dispatcher")).get(f"/events/{event.pk}/").content.decode()
    actors = timeline_actors(html)
    assert actors["report"] == zh("Anonymous") and actors["evaluate"] == zh("Anonymous")
    assert NAME not in html and MASKED not in html and zh("Show in full") not in html
    body = api_as(org.user("a", "handler")).get(f"/api/v1/events/{event.pk}").json()
    assert NAME not in str(body) and MASKED not in str(body) and body["reporter_name"] == ""


def test_a_resident_who_is_not_the_reporter_is_shown_as_resident(org: Org, categories: Any) -> None:
    event = rated_event(org, resident())
    other = resident("zhang")
    with translation.override("zh-hans"):
        shown = queries.actor_shown(
            org.user("a", "dispatcher"), event, actor_id=other.pk, actor_name=NAME, staff=False, revealed=True
        )
        assert shown == "居民"
        # A revealed flag without the right to reveal counts for nothing.
        assert queries.reporter_name_shown(org.user("a", "grid_worker"), event, revealed=True) == MASKED
