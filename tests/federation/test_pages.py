"""The federation's pages as their users read them: in Chinese, with names instead of codes, and links
to go on from one step to the next."""

from __future__ import annotations

import re
from typing import Any

from jiceng.federation.models import MessageType, RoutedEvent, System
from tests.conftest import Org
from tests.federation.conftest import envelope, post
from tests.federation.test_inbox import escalate


def test_route_steps_are_named_in_chinese_with_system_names(
    org: Org, page_as: Any, hub_peers: dict[str, System]
) -> None:
    post(escalate())
    routed = RoutedEvent.objects.get()
    post(
        envelope(
            MessageType.RETURN,
            {"comment": "非本部门"},
            source="DEPT-A",
            correlation=routed.correlation,
            sequence=1,
        )
    )
    post(
        envelope(
            MessageType.RESOLVED,
            {"result": "已拆除"},
            source="DEPT-B",
            correlation=routed.correlation,
            sequence=1,
        )
    )
    post(
        envelope(
            MessageType.FEEDBACK,
            {"action": "verify_pass", "comment": "核查属实"},
            correlation="330199/1",
            sequence=2,
        )
    )
    html = (
        page_as(org.user("county", "hub_operator")).get(f"/federation/routes/{routed.pk}/").content.decode()
    )
    steps = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S).group(1)  # type: ignore[union-attr]
    for code in ("received", "assigned", "returned", "resolved", "feedback", "verify_pass", "DEPT-A"):
        assert code not in steps, f"{code!r} shown as a code in the steps"
    for text in ("收到县级上报", "退回（非本部门职责）", "部门A", "部门B", "测试县", "县级反馈：核查通过"):
        assert text in steps, f"{text!r} missing in the steps"


def test_each_platform_leads_its_users_to_their_federation_page(
    org: Org, page_as: Any, settings: Any
) -> None:
    """The hub operator reaches the routed events, the county centre its escalations, a department
    system's handler its assignments, from the navigation; none sees the other platforms' pages."""
    pages = {
        "hub": "/federation/routes/",
        "county": "/federation/escalations/",
        "department": "/federation/tasks/",
    }
    users = {
        "hub": ("county", "hub_operator"),
        "county": ("county", "county_center"),
        "department": ("county_dept", "handler"),
    }
    for platform, url in pages.items():
        settings.PLATFORM_ROLE = platform
        html = page_as(org.user(*users[platform])).get("/", follow=True).content.decode()
        nav = re.search(r'<nav class="mainnav.*?</nav>', html, re.S).group(0)  # type: ignore[union-attr]
        assert f'href="{url}"' in nav, f"{platform}: no link to {url}"
        for other in set(pages.values()) - {url}:
            assert f'href="{other}"' not in nav, f"{platform}: link to {other}"
        overview = page_as(org.user("county", "admin")).get("/federation/").content.decode()
        head = re.search(r'<div class="head-buttons">(.*?)</div>', overview, re.S).group(1)  # type: ignore[union-attr]
        assert f'href="{url}"' in head and not any(f'href="{o}"' in head for o in set(pages.values()) - {url})


def test_county_centre_escalates_from_the_event_page(
    org: Org, page_as: Any, categories: Any, as_county: None, settings: Any
) -> None:
    """The event page offers the escalation to the hub, where the centre decides the event's dispatch,
    instead of a separate page that asks for an internal event id."""
    from jiceng.events.actions import perform, report_event
    from jiceng.federation.models import EscalationLink, SystemKind
    from tests.federation.conftest import system

    system("HUB", SystemKind.HUB, name="省协同平台")
    center = org.user("county", "county_center")
    event, _ = report_event(center, category="0301", title="跨县垃圾", source="hotline", region_code="330199")
    client = page_as(center)
    assert (
        'id="hub-escalation"' not in client.get(f"/events/{event.pk}/").content.decode()
    )  # not accepted yet
    perform(center, event.pk, "accept")
    html = client.get(f"/events/{event.pk}/").content.decode()
    form = re.search(r'id="hub-escalation".*?</details>', html, re.S)
    assert form and 'action="/federation/escalations/"' in form.group(0) and "上报协同平台" in form.group(0)
    assert f'name="event_id" value="{event.pk}"' in form.group(0)
    # Not for a leader, who does not dispatch; not on the hub.
    assert (
        'id="hub-escalation"'
        not in page_as(org.user("county", "leader")).get(f"/events/{event.pk}/").content.decode()
    )
    response = client.post("/federation/escalations/", {"event_id": event.pk, "comment": "县级无法办结"})
    assert response.status_code == 302 and EscalationLink.objects.filter(event=event).exists()
    assert 'id="hub-escalation"' not in client.get(f"/events/{event.pk}/").content.decode()  # done


def test_department_task_page_keeps_progress_apart_from_the_answer_and_says_what_happened(
    org: Org, page_as: Any, as_department: None
) -> None:
    from jiceng.federation.models import DepartmentTask, SystemKind, TaskState
    from tests.federation.conftest import system

    system("HUB", SystemKind.HUB, name="协同平台")
    post(
        envelope(
            MessageType.ASSIGN,
            {"title": "违建", "category_name": "违法建设", "county": "测试县"},
            source="HUB",
            target="DEPT-A",
            correlation="hub/7",
            sequence=1,
        )
    )
    task = DepartmentTask.objects.get()
    client = page_as(org.user("county_dept", "handler"))
    html = client.post(f"/federation/tasks/{task.pk}/accept/", {"version": 1}, follow=True).content.decode()
    assert "受理：已完成。" in html
    client.post(f"/federation/tasks/{task.pk}/progress/", {"version": 2, "comment": "已派人赴现场"})
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED and task.answer == ""  # progress is not the answer
    html = client.post(f"/federation/tasks/{task.pk}/resolve/", {"version": 3}, follow=True).content.decode()
    assert html.count("此项为必填项") == 1 and "备注：此项为必填项。" in html  # said once, naming the field
    client.post(f"/federation/tasks/{task.pk}/resolve/", {"version": 3, "comment": "已拆除"})
    task.refresh_from_db()
    assert task.state == TaskState.RESOLVED and task.answer == "已拆除"


def test_hub_registry_shows_what_each_department_handles_and_what_counties_synced(
    org: Org, page_as: Any, hub_peers: dict[str, System]
) -> None:
    from django.utils import timezone

    from jiceng.federation.models import ProvinceRecord

    for n in range(3):
        ProvinceRecord.objects.create(
            county_code="330199",
            kind="person",
            record_id=n,
            name=f"张{n}",
            region_code="330199001001",
            data='{"id_number": "330199199001011234"}',
            updated_at=timezone.now(),
        )
    hub_peers["b"].is_active = False
    hub_peers["b"].save()
    html = page_as(org.user("county", "hub_operator")).get("/federation/").content.decode()
    peers = re.search(r'<table class="list" id="peers">.*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    row_a = re.search(r"<tr[^>]*>\s*<td>部门A.*?</tr>", peers, re.S).group(0)  # type: ignore[union-attr]
    assert "事件类别 05" in row_a and "转办顺序 10" in row_a and "区域 全部" in row_a
    row_b = re.search(r"<tr[^>]*>\s*<td>部门B.*?</tr>", peers, re.S).group(0)  # type: ignore[union-attr]
    assert "停用" in row_b
    store = re.search(r'<table class="list" id="store">.*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    assert "测试县" in store and "<td>3</td>" in store
    assert "张0" not in html and "330199199001011234" not in html  # counts only, no personal data


def test_department_handler_reads_why_the_county_sent_the_task_back(
    org: Org, page_as: Any, as_department: None
) -> None:
    from jiceng.federation.models import DepartmentTask, SystemKind, TaskState
    from tests.federation.conftest import system

    system("HUB", SystemKind.HUB, name="协同平台")
    assign = {"title": "违建", "category_name": "违法建设", "county": "测试县", "region_name": "测试县"}
    post(envelope(MessageType.ASSIGN, assign, source="HUB", target="DEPT-A", correlation="hub/7", sequence=1))
    task = DepartmentTask.objects.get()
    client = page_as(org.user("county_dept", "handler"))
    client.post(f"/federation/tasks/{task.pk}/resolve/", {"version": 1, "comment": "已拆除"})
    feedback = {"action": "verify_fail", "comment": "钢棚仍在，未拆除", "evaluation": ""}
    post(
        envelope(
            MessageType.FEEDBACK, feedback, source="HUB", target="DEPT-A", correlation="hub/7", sequence=2
        )
    )
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED
    html = client.get("/federation/tasks/").content.decode()
    assert "县级反馈" in html and "核查不通过" in html and "钢棚仍在，未拆除" in html
    assert "verify_fail" not in html


def test_department_task_names_the_place_once(as_department: None, db: None) -> None:
    from jiceng.federation.models import DepartmentTask, SystemKind
    from tests.federation.conftest import system

    system("HUB", SystemKind.HUB, name="协同平台")
    for n, region in enumerate(("测试县", "A镇"), start=1):
        assign = {"title": "违建", "county": "测试县", "region_name": region}
        post(
            envelope(
                MessageType.ASSIGN, assign, source="HUB", target="DEPT-A", correlation=f"hub/{n}", sequence=1
            )
        )
    assert list(DepartmentTask.objects.order_by("id").values_list("region_name", flat=True)) == [
        "测试县",
        "测试县 A镇",
    ]


def test_department_system_navigation_leads_nowhere_forbidden(
    db: None, page_as: Any, as_department: None
) -> None:
    """A department system's handler (no unit, no jurisdiction: as federation_seed makes them) is offered
    their assignments, and no page of the county's own work that would answer 403 or show nothing."""
    from jiceng.accounts.models import User, UserRole

    handler = User.objects.create(username="handler_dept-a")
    UserRole.objects.create(user=handler, role="handler")
    client = page_as(handler)
    html = client.get("/", follow=True).content.decode()
    nav = re.search(r'<nav class="mainnav.*?</nav>', html, re.S).group(0)  # type: ignore[union-attr]
    links = re.findall(r'href="(/[^"]*)"', nav)
    assert "/federation/tasks/" in links and "/analytics/" not in links and "/events/workbench/" not in links
    for url in links:
        assert client.get(url, follow=True).status_code == 200, url


def test_texts_sent_to_other_systems_are_in_the_platforms_language_not_the_users(
    org: Org, page_as: Any, hub_peers: dict[str, System]
) -> None:
    """An operator who reads the hub in English answers a county whose users read Chinese: what the
    county stores and shows (who answered, the assignment note) is written in the platform's language."""
    import json

    from jiceng.federation.models import OutboxMessage

    post(escalate())
    routed = RoutedEvent.objects.get()
    post(
        envelope(
            MessageType.RETURN,
            {"comment": "非本部门"},
            source="DEPT-A",
            correlation=routed.correlation,
            sequence=1,
        )
    )
    post(
        envelope(
            MessageType.RETURN,
            {"comment": "非本部门"},
            source="DEPT-B",
            correlation=routed.correlation,
            sequence=1,
        )
    )
    client = page_as(org.user("county", "hub_operator"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    url = f"/federation/routes/{routed.pk}/"
    assert "Assign to a department system" in client.get(url).content.decode()  # the operator reads English
    client.post(url, {"assign": "1", "department": "DEPT-C"})
    client.post(url, {"resolve": "1", "result": "Handled jointly"})
    to_county = [
        json.loads(m.payload) for m in OutboxMessage.objects.filter(target__code="330199").order_by("id")
    ]
    assert to_county[-2]["comment"] == "协同平台已转交部门C办理。"
    assert to_county[-1] == {"result": "Handled jointly", "department": "协同平台"}


def test_route_page_says_where_and_how_urgent_and_leads_back(
    org: Org, page_as: Any, hub_peers: dict[str, System]
) -> None:
    from tests.federation.test_inbox import ESCALATE

    payload = {**ESCALATE, "address": "A镇东门村三组", "urgency": "urgent"}
    post(envelope(MessageType.ESCALATE, payload, correlation="330199/1", sequence=1))
    routed = RoutedEvent.objects.get()
    html = (
        page_as(org.user("county", "hub_operator")).get(f"/federation/routes/{routed.pk}/").content.decode()
    )
    assert "A镇东门村三组" in html and "<dd>紧急</dd>" in html
    assert (
        'href="/federation/routes/"' in html.split("<h1>")[0].split("</nav>")[-1]
    )  # a way back, above the title


def test_one_navigation_entry_is_current(org: Org, page_as: Any, as_hub: None) -> None:
    html = page_as(org.user("county", "hub_operator")).get("/federation/routes/").content.decode()
    nav = re.search(r'<nav class="mainnav.*?</nav>', html, re.S).group(0)  # type: ignore[union-attr]
    assert nav.count('aria-current="page"') == 1
    assert re.search(r'<a href="/federation/routes/"[^>]*aria-current="page"', nav)


def test_escalation_page_takes_the_event_number_and_says_what_is_wrong(
    org: Org, page_as: Any, categories: Any, as_county: None
) -> None:
    from jiceng.events.actions import perform, report_event
    from jiceng.federation.models import EscalationLink, SystemKind
    from tests.federation.conftest import system

    system("HUB", SystemKind.HUB, name="省协同平台")
    center = org.user("county", "county_center")
    waiting, _ = report_event(
        center, category="0301", title="跨县垃圾", source="hotline", region_code="330199"
    )
    new, _ = report_event(center, category="0301", title="刚上报", source="hotline", region_code="330199")
    perform(center, waiting.pk, "accept")
    client = page_as(center)
    page = client.get("/federation/escalations/").content.decode()
    assert "事件编号" in page and "事件ID" not in page
    wrong_date = "SJ19990101" + waiting.ref[-7:]
    for number, error in (
        (wrong_date, "您的辖区内没有这个编号的事件"),
        ("SJ2026", "您的辖区内没有这个编号的事件"),
        (new.ref, "只有待您派遣的事件才能上报协同平台"),  # not accepted yet: said on the form, not a 409 page
    ):
        response = client.post("/federation/escalations/", {"event_id": number, "comment": "县级无法办结"})
        assert response.status_code == 200 and error in response.content.decode(), number
    assert not EscalationLink.objects.exists()
    response = client.post(
        "/federation/escalations/", {"event_id": f" {waiting.ref.lower()} ", "comment": "县级无法办结"}
    )
    assert response.status_code == 302 and EscalationLink.objects.get().event_id == waiting.pk


def test_routed_events_by_state_with_the_operators_queue_marked(
    org: Org, page_as: Any, hub_peers: dict[str, System]
) -> None:
    """The operator finds the events no department took (theirs to decide) without reading every row."""
    from tests.federation.test_inbox import ESCALATE

    for n, category in ((1, "0501"), (2, "X99")):  # X99: no department system handles it
        payload = {**ESCALATE, "title": f"事件{n}", "category": category}
        post(envelope(MessageType.ESCALATE, payload, correlation=f"330199/{n}", sequence=1))
    client = page_as(org.user("county", "hub_operator"))
    html = client.get("/federation/routes/").content.decode()
    tab = re.search(r'<a href="\?state=awaiting_operator"[^>]*>(.*?)</a>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "待值班员决定" in tab and '<span class="count nonzero">1</span>' in tab
    mine = client.get("/federation/routes/?state=awaiting_operator").content.decode()
    assert "事件2" in mine and "事件1" not in mine
    assert "事件1" in client.get("/federation/routes/?state=bogus").content.decode()  # unknown: all


def test_operator_rotates_keys_and_deactivates_systems_from_the_registry(
    org: Org, page_as: Any, hub_peers: dict[str, System]
) -> None:
    """Keys and activation were reachable only through the API; the registry page does them now."""
    from tests.federation.conftest import KEY

    client = page_as(org.user("county", "hub_operator"))
    overview = client.get("/federation/").content.decode()
    assert 'action="/federation/systems/DEPT-A/rotate-key/"' in overview and "更换密钥" in overview
    response = client.post("/federation/systems/DEPT-A/rotate-key/")
    system = System.objects.get(code="DEPT-A")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert (
        f'<code id="new-key">{system.key}</code>' in response.content.decode() and system.previous_key == KEY
    )
    assert "停用旧密钥" in client.get("/federation/").content.decode()
    client.post("/federation/systems/DEPT-A/finish-rotation/")
    assert System.objects.get(code="DEPT-A").previous_key == ""
    html = client.post("/federation/systems/DEPT-B/active/", {"active": "0"}, follow=True).content.decode()
    assert not System.objects.get(code="DEPT-B").is_active and "部门B已停用" in html
    client.post("/federation/systems/DEPT-B/active/", {"active": "1"})
    assert System.objects.get(code="DEPT-B").is_active
    outsider = page_as(org.user("county", "county_center"))
    assert outsider.post("/federation/systems/DEPT-A/rotate-key/").status_code == 403
    assert outsider.post("/federation/systems/DEPT-B/active/", {"active": "0"}).status_code == 403
    assert System.objects.get(code="DEPT-B").is_active


def test_department_handler_lands_on_the_assignments(db: None, page_as: Any, as_department: None) -> None:
    """Their home page summed up a jurisdiction they do not have (0 townships, 0 grids …)."""
    from jiceng.accounts.models import User, UserRole

    handler = User.objects.create(username="handler_dept-a")
    UserRole.objects.create(user=handler, role="handler")
    response = page_as(handler).get("/")
    assert response.status_code == 302 and response["Location"] == "/federation/tasks/"
