"""The work-tools pages render for the roles that use them, and keyed pages hide other townships' records."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jiceng.worktools import patrol_actions
from tests.conftest import Org

pytestmark = pytest.mark.django_db

PAGES = [
    "/worktools/m/",
    "/worktools/m/patrol/",
    "/worktools/m/visits/",
    "/worktools/m/visits/?kind=house&q=路",
    "/worktools/patrols/",
    "/worktools/logs/",
    "/worktools/ledgers/",
    "/worktools/ledgers/logs/",
    "/worktools/ledgers/checkins/",
    "/worktools/assignments/",
    "/worktools/contacts/",
    "/worktools/messages/",
    "/worktools/files/",
    "/worktools/manifest.webmanifest",
    "/worktools/sw.js",
]


@pytest.mark.parametrize("role", ["grid_worker", "dispatcher", "leader"])
def test_pages_render(org: Org, categories: Any, page_as: Any, role: str) -> None:
    client = page_as(org.user("a", role))
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_patrol_detail_is_scoped(org: Org, page_as: Any) -> None:
    patrol, _ = patrol_actions.start_patrol(org.user("a", "grid_worker"))
    assert page_as(org.user("a", "dispatcher")).get(f"/worktools/patrols/{patrol.pk}/").status_code == 200
    assert page_as(org.user("b", "dispatcher")).get(f"/worktools/patrols/{patrol.pk}/").status_code == 404


def test_registry_page_shows_visits_and_links_the_form(org: Org, registry_records: Any, page_as: Any) -> None:
    worker = org.user("a", "grid_worker")
    person = registry_records["a"]["person"]
    client = page_as(worker)
    url = f"/worktools/visits/new/?subject_kind=person&subject_key={person.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        "/worktools/visits/new/",
        {
            "subject_kind": "person",
            "subject_key": str(person.pk),
            "findings": "家中老人身体状况良好",
            "purpose": "独居老人走访",
        },
    )
    assert response.status_code == 302, response.content
    page = client.get(f"/registry/person/{person.pk}/").content.decode()
    assert "家中老人身体状况良好" in page
    # Township B's worker cannot open the form for A's person.
    assert page_as(org.user("b", "grid_worker")).get(url).status_code == 404


def test_dispatcher_sends_the_nearest_worker_to_an_event(org: Org, categories: Any, page_as: Any) -> None:
    from django.utils import timezone

    from jiceng.events.actions import report_event
    from jiceng.worktools.models import PatrolTask

    worker = org.user("a", "grid_worker")
    patrol, _ = patrol_actions.start_patrol(worker)
    patrol_actions.add_points(worker, patrol.pk, [patrol_actions.PointIn(0, 120.012, 30.01, timezone.now())])
    event, _ = report_event(
        org.user("a", "village_cadre"), category="0301", title="井盖缺失", lng=120.01, lat=30.01
    )
    client = page_as(org.user("a", "dispatcher"))
    url = f"/worktools/patrols/?event={event.pk}"
    page = client.get(url).content.decode()
    assert worker.username in page and "井盖缺失" in page
    response = client.post(url, {"worker": worker.username, "message": "请去看看井盖"})
    assert response.status_code == 302
    task = PatrolTask.objects.get()
    assert task.event == event and task.worker == worker and 150 < (task.distance_m or 0) < 250
    # Township B's dispatcher cannot dispatch to A's event.
    assert page_as(org.user("b", "dispatcher")).get(url).status_code == 404


def test_dispatcher_adds_a_duty_on_the_board(org: Org, page_as: Any) -> None:
    from jiceng.worktools.models import PatrolDuty

    client = page_as(org.user("a", "dispatcher"))
    township = org.regions["township_a"].code
    response = client.post(
        "/worktools/patrols/", {"kind": "grid", "region_code": township, "every_days": "2"}
    )
    assert response.status_code == 302
    assert PatrolDuty.objects.get().every_days == 2
    # Another township's region is not among the choices: refused, nothing added.
    other = client.post(
        "/worktools/patrols/", {"kind": "grid", "region_code": org.regions["township_b"].code}
    )
    assert other.status_code == 200 and PatrolDuty.objects.count() == 1
    page = client.get(f"/worktools/ledgers/?region={org.regions['grid_a'].code}")
    assert page.status_code == 200


def test_the_phone_home_leads_to_a_visit_without_the_registry_pages(
    org: Org, registry_records: Any, page_as: Any
) -> None:
    """A grid worker on the phone finds whom they visit from the home screen (走访 had no way in there)."""
    client = page_as(org.user("a", "grid_worker"))
    assert 'href="/worktools/m/visits/"' in client.get("/worktools/m/").content.decode()
    person = registry_records["a"]["person"]
    html = client.get("/worktools/m/visits/", {"kind": "person", "q": "张三"}).content.decode()
    assert f"/worktools/visits/new/?subject_kind=person&amp;subject_key={person.pk}" in html
    assert "甲镇解放路12号" in html
    household = client.get("/worktools/m/visits/", {"kind": "household", "q": "HHA-0001"}).content.decode()
    assert "subject_kind=household&amp;subject_key=HHA-0001" in household
    # Township B's people are not found from township A.
    other = client.get("/worktools/m/visits/", {"kind": "person", "q": "李四"}).content.decode()
    assert "subject_key=" not in other
    # Recorded visits are listed on the same page.
    client.post(
        "/worktools/visits/new/",
        {
            "subject_kind": "person",
            "subject_key": str(person.pk),
            "findings": "身体状况良好",
            "purpose": "独居老人走访",
        },
    )
    assert "独居老人走访" in client.get("/worktools/m/visits/").content.decode()


SYMBOLS = re.compile("[\u2190-\u2bff\uff0b\U0001f000-\U0001faff]")  # arrows, symbols, dingbats, ＋, emoji


def test_the_phone_home_draws_its_icons_without_an_emoji_font(
    org: Org, categories: Any, page_as: Any
) -> None:
    """＋ ▶ ✎ ☎ ▤ depend on the phone's fonts; the vendored Bootstrap Icons SVGs do not."""
    html = page_as(org.user("a", "grid_worker")).get("/worktools/m/").content.decode()
    tiles = html.split('<nav class="tiles"', 1)[1].split("</nav>", 1)[0]
    assert tiles.count('<svg class="icon-svg"') == 6
    assert not SYMBOLS.findall(tiles), SYMBOLS.findall(tiles)


def test_a_follow_up_due_on_the_phone_home_opens_the_visit_form(
    org: Org, registry_records: Any, page_as: Any
) -> None:
    """待跟进走访 listed what was due but led nowhere: the worker had to find the household again."""
    from datetime import timedelta

    from django.utils import timezone

    from jiceng.worktools import visit_actions

    worker = org.user("a", "grid_worker")
    visit_actions.record_visit(
        worker,
        subject_kind="household",
        subject_key="HHA-0001",
        findings="家中老人行动不便",
        follow_up="协助申请居家养老服务",
        follow_up_due=timezone.localdate() + timedelta(days=1),
    )
    html = page_as(worker).get("/worktools/m/").content.decode()
    assert "协助申请居家养老服务" in html
    assert "/worktools/visits/new/?subject_kind=household&amp;subject_key=HHA-0001" in html


def test_the_visit_page_names_its_choices_as_labels_in_english(org: Org, page_as: Any) -> None:
    from django.conf import settings

    client = page_as(org.user("a", "grid_worker"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/worktools/m/visits/").content.decode()
    assert '<option value="household">Household</option>' in html
