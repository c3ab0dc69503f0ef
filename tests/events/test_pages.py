"""The event pages: workbenches per role, the grid worker's phone pages, the event page with exactly the
actions the workflow offers, the report form (with photos), search and the audited Excel export."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path
from django.utils import translation

import jiceng.urls
from jiceng.audit.models import AuditEntry
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event, EventState
from tests.conftest import TOWNSHIP_ROLE_UNIT, Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B

SYMBOLS = re.compile("[\u2190-\u2bff\uff0b\U0001f000-\U0001faff]")  # arrows, symbols, dingbats, ＋, emoji


def _mounted(namespace: str) -> bool:
    return any(getattr(p, "namespace", None) == namespace for p in jiceng.urls.urlpatterns)


# Until jiceng/urls.py includes the event pages, these tests mount them themselves (a no-op after).
urlpatterns = [
    *([] if _mounted("events") else [path("events/", include("jiceng.events.urls"))]),
    *([] if _mounted("event_attachments") else [path("events/", include("jiceng.events.attachment_urls"))]),
    *jiceng.urls.urlpatterns,
]
handler403, handler404, handler500 = jiceng.urls.handler403, jiceng.urls.handler404, jiceng.urls.handler500
pytestmark = pytest.mark.urls(__name__)


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def jpeg(color: str = "red") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, "JPEG")
    return out.getvalue()


def reported(org: Org, title: str = "河边堆放垃圾", where: str = "a", **kwargs: Any) -> Event:
    place = IN_GRID_A if where == "a" else IN_GRID_B
    event, _ = report_event(org.user(where, "grid_worker"), category="0301", title=title, **place, **kwargs)
    return event


def dispatched(org: Org, title: str = "已派遣的事件") -> Event:
    event = reported(org, title)
    dispatcher = org.user("a", "dispatcher")
    perform(dispatcher, event.pk, "accept")
    return perform(dispatcher, event.pk, "dispatch", lead_unit=org.units["station_a"].code)


def actions_on_page(html: str) -> list[str]:
    import re

    return re.findall(r'class="action-form" data-action="([a-z_]+)"', html)


def queue_names(html: str) -> list[str]:
    import re

    return re.findall(r'data-queue="([a-z_]+)"', html)


# --- workbenches -----------------------------------------------------------------------------------


def test_dispatcher_workbench_shows_the_triage_queues_with_the_right_events(
    org: Org, categories, page_as
) -> None:
    new = reported(org, "新上报的事件")
    accepted = reported(org, "已受理待派遣")
    perform(org.user("a", "dispatcher"), accepted.pk, "accept")
    outside = reported(org, "外镇的事件", where="b")

    client = page_as(org.user("a", "dispatcher"))
    response = client.get("/events/workbench/")
    html = response.content.decode()
    assert response.status_code == 200
    assert queue_names(html) == [
        "to_accept",
        "to_dispatch",
        "returned",
        "warnings",
        "to_verify",
        "escalated",
        "extensions",
    ]
    # The first queue with work is open: the new event, not the accepted one nor township B's.
    assert new.title in html and accepted.title not in html and outside.title not in html
    assert f'href="/events/{new.pk}/"' in html
    to_dispatch = client.get("/events/workbench/?tab=to_dispatch").content.decode()
    assert accepted.title in to_dispatch and new.title not in to_dispatch
    # Counts on the tabs.
    assert 'data-queue="to_accept">' in html
    assert '<span class="count nonzero">1</span>' in html


def test_warnings_show_yellow_and_red_with_words(org: Org, categories, page_as) -> None:
    from datetime import timedelta

    from django.utils import timezone

    yellow, red = reported(org, "快到期的事件"), reported(org, "已超期的事件")
    Event.objects.filter(pk=yellow.pk).update(warning="yellow", due_at=timezone.now() + timedelta(hours=1))
    Event.objects.filter(pk=red.pk).update(warning="red", due_at=timezone.now() - timedelta(hours=1))
    client = page_as(org.user("a", "dispatcher"))
    html = client.get("/events/workbench/?tab=warnings").content.decode()
    assert yellow.title in html and red.title in html
    assert html.count('class="due due-yellow"') == 1 and html.count('class="due due-red"') == 1
    assert zh("Overdue") in html and zh("Due soon") in html
    assert 'class="due due-red"' in client.get(f"/events/{red.pk}/").content.decode()


def test_handler_sees_to_sign_and_no_triage_queues(org: Org, categories, page_as) -> None:
    event = dispatched(org)
    html = page_as(org.user("a", "handler")).get("/events/workbench/").content.decode()
    assert queue_names(html) == ["to_sign", "handling", "due_soon"]
    assert event.title in html
    # The other township's handler has nothing to sign.
    other = page_as(org.user("b", "handler")).get("/events/workbench/?tab=to_sign").content.decode()
    assert event.title not in other


def test_county_centre_and_village_cadre_get_their_own_level(org: Org, categories, page_as) -> None:
    event = reported(org, "需要县里协调")
    dispatcher = org.user("a", "dispatcher")
    perform(dispatcher, event.pk, "escalate", comment="涉及多部门")
    county = (
        page_as(org.user("county", "county_center")).get("/events/workbench/?tab=escalated").content.decode()
    )
    assert "to_accept" in queue_names(county) and event.title in county
    # The township no longer triages it.
    township = page_as(dispatcher).get("/events/workbench/?tab=to_dispatch").content.decode()
    assert event.title not in township
    cadre = queue_names(page_as(org.user("a", "village_cadre")).get("/events/workbench/").content.decode())
    assert cadre[:2] == ["to_accept", "to_dispatch"] and "to_sign" in cadre and "my_reports" in cadre


def test_a_leader_without_queues_is_pointed_to_the_search(org: Org, page_as) -> None:
    response = page_as(org.user("a", "leader")).get("/events/workbench/")
    assert response.status_code == 200 and queue_names(response.content.decode()) == []
    assert 'href="/events/search/"' in response.content.decode()


def test_anonymous_is_sent_to_login(db: None, page_as) -> None:
    response = page_as(None).get("/events/workbench/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the grid worker's phone pages ---------------------------------------------------------------


def test_grid_worker_mobile_home_and_lists(org: Org, categories, page_as) -> None:
    grid_worker = org.user("a", "grid_worker")
    mine = reported(org, "我报的事件")
    client = page_as(grid_worker)
    home = client.get("/events/m/")
    html = home.content.decode()
    assert home.status_code == 200
    for url in ("/events/m/report/", "/events/m/mine/", "/events/m/verify/"):
        assert f'href="{url}"' in html
    assert zh("Report an event") in html and zh("My reports") in html and zh("To verify") in html
    assert mine.title in client.get("/events/m/mine/").content.decode()
    assert mine.title not in client.get("/events/m/verify/").content.decode()


def test_grid_worker_mobile_home_draws_its_icons_without_an_emoji_font(org: Org, categories, page_as) -> None:
    """＋ ☰ ✓ depend on the phone's fonts; the vendored Bootstrap Icons SVGs do not."""
    html = page_as(org.user("a", "grid_worker")).get("/events/m/").content.decode()
    buttons = html.split('<nav class="bigbuttons"', 1)[1].split("</nav>", 1)[0]
    assert buttons.count('<span class="icon"><svg class="icon-svg"') == 3
    assert not SYMBOLS.findall(buttons), SYMBOLS.findall(buttons)


def test_report_form_renders_the_category_picker_and_geolocation_hooks(org: Org, categories, page_as) -> None:
    html = page_as(org.user("a", "grid_worker")).get("/events/m/report/").content.decode()
    assert 'id="id_major"' in html and 'data-parent="03"' in html and 'value="0301"' in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html and "multiple" in html
    assert 'data-geo="lng"' in html and 'data-geo="lat"' in html and 'value="wgs84"' in html
    assert "/static/events/report.js" in html and "<script>" not in html and "style=" not in html


def test_report_fields_follow_the_category(org: Org, categories, page_as) -> None:
    client = page_as(org.user("a", "grid_worker"))
    with_schema = client.get("/events/m/report/fields/?category=D0101").content.decode()
    assert 'name="form_data-parties"' in with_schema
    assert "<input" not in client.get("/events/m/report/fields/?category=0301").content.decode()
    assert "<input" not in client.get("/events/m/report/fields/?category=nope").content.decode()


def report_data(**extra: Any) -> dict[str, Any]:
    return {
        "major": "03",
        "category": "0301",
        "title": "桥下垃圾",
        "description": "很多",
        "urgency": "normal",
        "lng": "120.01",
        "lat": "30.01",
        "coord_system": "wgs84",
        "address": "A村桥下",
        "idempotency_key": "k1",
        **extra,
    }


def test_report_form_creates_the_event(org: Org, categories, page_as) -> None:
    grid_worker = org.user("a", "grid_worker")
    response = page_as(grid_worker).post("/events/m/report/", report_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title="桥下垃圾")
    assert response["Location"] == f"/events/{event.pk}/"
    assert event.region == org.regions["grid_a"] and event.reporter == grid_worker
    assert event.state == EventState.REPORTED and event.address == "A村桥下"
    # Sending the same form twice (a double tap) makes one event.
    again = page_as(grid_worker).post("/events/m/report/", report_data())
    assert again.status_code == 302 and Event.objects.filter(title="桥下垃圾").count() == 1


def test_report_without_location_uses_the_workers_area_and_on_spot_closes(
    org: Org, categories, page_as
) -> None:
    data = report_data(
        lng="",
        lat="",
        category="D0101",
        major="D01",
        on_spot="on",
        on_spot_result="已调解",
        idempotency_key="k2",
        **{"form_data-parties": "2"},
    )
    response = page_as(org.user("a", "grid_worker")).post("/events/m/report/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(title="桥下垃圾")
    assert event.region == org.regions["village_a"] and event.on_spot and event.state == EventState.CLOSED
    assert event.form_data == {"parties": 2}


def test_report_form_errors_keep_what_was_typed(org: Org, categories, page_as) -> None:
    response = page_as(org.user("a", "grid_worker")).post(
        "/events/m/report/", report_data(category="", description="我写的描述")
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Event.objects.exists()
    assert 'value="桥下垃圾"' in html and "我写的描述" in html and 'class="error"' in html
    # A location outside every grid of the platform is refused by the action, shown on the form.
    outside = page_as(org.user("a", "grid_worker")).post("/events/m/report/", report_data(lng="100.0"))
    assert outside.status_code == 200 and not Event.objects.exists()
    assert 'class="form-errors"' in outside.content.decode()


def test_report_form_stores_the_photo(org: Org, categories, page_as) -> None:
    photo = SimpleUploadedFile("scene.jpg", jpeg(), content_type="image/jpeg")
    response = page_as(org.user("a", "grid_worker")).post("/events/m/report/", report_data(photos=[photo]))
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(title="桥下垃圾")
    photo = event.attachments.get()
    assert photo.stage == "before" and photo.flow.action == "report" and photo.kind == "photo"
    page = page_as(org.user("a", "dispatcher")).get(f"/events/{event.pk}/").content.decode()
    assert f"/events/{event.pk}/attachments/{photo.pk}/thumbnail" in page


def test_on_spot_report_keeps_before_and_after_photos_apart(org: Org, categories, page_as) -> None:
    before = SimpleUploadedFile("before.jpg", jpeg("red"), content_type="image/jpeg")
    after = SimpleUploadedFile("after.jpg", jpeg("green"), content_type="image/jpeg")
    data = report_data(on_spot="on", on_spot_result="已清理干净", photos=[before], after_photos=[after])
    response = page_as(org.user("a", "grid_worker")).post("/events/m/report/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(title="桥下垃圾")
    assert event.state == EventState.HANDLED  # 暴露垃圾 needs the dispatcher's confirmation
    stages = {(a.stage, a.flow.action) for a in event.attachments.select_related("flow")}
    assert stages == {("before", "report"), ("after", "handle")}


def test_a_bad_photo_undoes_the_report_and_keeps_the_input(org: Org, categories, page_as) -> None:
    bad = SimpleUploadedFile("scene.jpg", b"this is not a picture", content_type="image/jpeg")
    response = page_as(org.user("a", "grid_worker")).post("/events/m/report/", report_data(photos=[bad]))
    html = response.content.decode()
    assert response.status_code == 200 and not Event.objects.exists()
    assert 'value="桥下垃圾"' in html and 'class="form-errors"' in html
    # The refusal sits under the photo button, with the reminder to choose the photos again.
    assert 'class="field photo-field has-error"' in html and zh("Please choose the photos again.") in html


# --- the event page --------------------------------------------------------------------------------


def test_event_page_shows_exactly_the_available_actions(org: Org, categories, page_as) -> None:
    event = reported(org)
    dispatcher_page = page_as(org.user("a", "dispatcher")).get(f"/events/{event.pk}/")
    html = dispatcher_page.content.decode()
    assert dispatcher_page.status_code == 200
    # What the workflow offers, in its order; the dangerous ones (reject, merge) set apart at the end.
    assert actions_on_page(html) == ["accept", "escalate", "send_down", "supervise", "reject", "merge"]
    assert zh("Accept") in html and event.ref in html and "<svg" in html and 'class="pin"' in html
    # Reject and merge are set apart as dangerous.
    assert html.index('class="danger-zone"') < html.index('data-action="reject"')
    # The station's handler sees the event (in the township) but may do nothing with it yet.
    handler_html = page_as(org.user("a", "handler")).get(f"/events/{event.pk}/").content.decode()
    assert actions_on_page(handler_html) == []
    assert event.title in handler_html


def test_posting_actions_walks_the_loop_and_a_stale_version_is_a_conflict(
    org: Org, categories, page_as
) -> None:
    event = reported(org)
    dispatcher = page_as(org.user("a", "dispatcher"))
    response = dispatcher.post(f"/events/{event.pk}/act/accept/", {"accept-version": event.version})
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    event.refresh_from_db()
    assert event.state == EventState.PENDING_DISPATCH
    # The dispatch form offers the station, not the command room.
    html = dispatcher.get(f"/events/{event.pk}/").content.decode()
    assert actions_on_page(html)[0] == "dispatch"
    assert f'value="{org.units["station_a"].code}"' in html
    assert f'value="{org.units["command_room_a"].code}"' not in html
    # Missing lead unit: the form says so and nothing changes.
    missing = dispatcher.post(
        f"/events/{event.pk}/act/dispatch/",
        {"dispatch-version": event.version, "dispatch-comment": "请尽快处理"},
    )
    assert missing.status_code == 200 and "请尽快处理" in missing.content.decode()
    # A stale version (someone acted in between): the conflict message, the input kept, nothing changed.
    stale = dispatcher.post(
        f"/events/{event.pk}/act/dispatch/",
        {
            "dispatch-version": event.version - 1,
            "dispatch-lead_unit": org.units["station_a"].code,
            "dispatch-comment": "我的派遣意见",
        },
    )
    stale_html = stale.content.decode()
    assert stale.status_code == 200
    assert "此事件已被他人处理，请刷新后重试" in stale_html and "我的派遣意见" in stale_html
    unchanged = Event.objects.get(pk=event.pk)
    assert unchanged.state == EventState.PENDING_DISPATCH and unchanged.version == event.version
    done = dispatcher.post(
        f"/events/{event.pk}/act/dispatch/",
        {
            "dispatch-version": event.version,
            "dispatch-lead_unit": org.units["station_a"].code,
            "dispatch-co_units": [org.units["village_committee_a"].code],
            "dispatch-due_days": "3",
        },
    )
    assert done.status_code == 302
    event.refresh_from_db()
    assert event.state == EventState.DISPATCHED and event.lead_unit == org.units["station_a"]
    assert list(event.co_units.values_list("unit__code", flat=True)) == [
        org.units["village_committee_a"].code
    ]
    # The handler signs from the page; the timeline shows each step with the lead unit's name.
    handler = page_as(org.user("a", "handler"))
    assert actions_on_page(handler.get(f"/events/{event.pk}/").content.decode())[:2] == ["sign", "return"]
    assert handler.post(f"/events/{event.pk}/act/sign/", {"sign-version": event.version}).status_code == 302
    page = handler.get(f"/events/{event.pk}/").content.decode()
    assert page.count('<li class="step') == 4 and org.units["station_a"].name in page
    assert 'data-action="request_extension"' in page and 'name="request_extension-extra_days"' in page


def test_actions_need_the_role_and_unknown_actions_are_404(org: Org, categories, page_as) -> None:
    event = reported(org)
    handler = page_as(org.user("a", "handler"))
    refused = handler.post(f"/events/{event.pk}/act/accept/", {"accept-version": event.version})
    assert refused.status_code == 403
    assert page_as(org.user("a", "dispatcher")).post(f"/events/{event.pk}/act/fly/", {}).status_code == 404
    assert Event.objects.get(pk=event.pk).state == EventState.REPORTED


def test_evaluate_offers_three_choices_to_the_reporter(org: Org, categories, page_as) -> None:
    event = reported(org)
    grid_worker = org.user("a", "grid_worker")
    dispatcher, handler = org.user("a", "dispatcher"), org.user("a", "handler")
    perform(dispatcher, event.pk, "accept")
    perform(dispatcher, event.pk, "dispatch", lead_unit=org.units["station_a"].code)
    perform(handler, event.pk, "sign")
    perform(handler, event.pk, "handle", comment="已清理")
    perform(grid_worker, event.pk, "verify_pass")
    html = page_as(grid_worker).get(f"/events/{event.pk}/").content.decode()
    assert actions_on_page(html) == ["evaluate"]
    assert html.count('name="evaluate-evaluation"') == 3
    assert zh("Closed") in html


OUTSIDERS = [("b", role) for role in TOWNSHIP_ROLE_UNIT] + [("county_2", "handler"), ("none", "resident")]


@pytest.mark.parametrize("who", OUTSIDERS, ids=lambda w: f"{w[0]}-{w[1]}")
def test_outsider_gets_404(org: Org, categories, page_as, who: tuple[str, str]) -> None:
    event = reported(org)
    client = page_as(org.user(*who))
    assert client.get(f"/events/{event.pk}/").status_code == 404
    for action in ("accept", "reject", "supervise"):
        data = {f"{action}-version": event.version, f"{action}-comment": "越权"}
        assert client.post(f"/events/{event.pk}/act/{action}/", data).status_code == 404
    assert client.post(f"/events/{event.pk}/reporter/").status_code == 404
    assert event.title not in client.get("/events/search/?q=河边").content.decode()
    assert event.title not in client.get("/events/workbench/?tab=warnings").content.decode()
    assert Event.objects.get(pk=event.pk).state == EventState.REPORTED


def test_reporter_contact_is_masked_and_revealed_only_with_an_audit_entry(
    org: Org, categories, page_as
) -> None:
    event, _ = report_event(
        org.user("a", "dispatcher"),
        category="0301",
        title="热线来电",
        source="hotline",
        source_ref="12345-001",
        reporter_name="张三丰",
        reporter_phone="13812341234",
        **IN_GRID_A,
    )
    dispatcher = page_as(org.user("a", "dispatcher"))
    html = dispatcher.get(f"/events/{event.pk}/").content.decode()
    assert "张*丰" in html and "138****1234" in html and "13812341234" not in html
    revealed = dispatcher.post(f"/events/{event.pk}/reporter/", HTTP_HX_REQUEST="true").content.decode()
    assert "张三丰" in revealed and "13812341234" in revealed
    assert AuditEntry.objects.filter(action="event.reporter.view", object_id=str(event.pk)).count() == 1
    # The station's handler is not working on it (yet): masked, and no way to reveal.
    handler = page_as(org.user("a", "handler"))
    assert "13812341234" not in handler.get(f"/events/{event.pk}/").content.decode()
    assert handler.post(f"/events/{event.pk}/reporter/").status_code == 403


def test_merge_lists_nearby_duplicates(org: Org, categories, page_as) -> None:
    first = reported(org, "第一次上报")
    second = reported(org, "重复上报")
    html = page_as(org.user("a", "dispatcher")).get(f"/events/{second.pk}/").content.decode()
    assert 'id="merge-hints"' in html and f'<option value="{first.pk}">' in html


# --- search and export -----------------------------------------------------------------------------


def test_search_filters_within_the_jurisdiction(org: Org, categories, page_as) -> None:
    bridge = reported(org, "桥下垃圾")
    road = reported(org, "路边垃圾")
    outside = reported(org, "外镇桥下垃圾", where="b")
    client = page_as(org.user("a", "dispatcher"))
    html = client.get("/events/search/?q=桥下").content.decode()
    assert bridge.title in html and road.title not in html and outside.title not in html
    perform(org.user("a", "dispatcher"), road.pk, "accept")
    by_state = client.get("/events/search/?state=pending_dispatch").content.decode()
    assert road.title in by_state and bridge.title not in by_state
    by_region = client.get(f"/events/search/?region={org.regions['grid_a'].code}&state=open").content.decode()
    assert bridge.title in by_region and road.title in by_region
    # A township's own code (with its trailing zeros) finds its events, as its prefix does.
    township = org.regions["township_a"]
    assert township.code != township.scope_prefix
    by_township = client.get(f"/events/search/?region={township.code}").content.decode()
    assert bridge.title in by_township and road.title in by_township
    # An invalid filter is shown and ignored; the valid ones still apply.
    bad = client.get("/events/search/?region=abc&since=notadate&q=桥下").content.decode()
    assert 'class="form-errors"' in bad and bridge.title in bad and road.title not in bad


def test_export_is_a_valid_xlsx_of_the_events_in_scope_and_audited(org: Org, categories, page_as) -> None:
    from openpyxl import load_workbook

    mine = [reported(org, f"A镇事件{i}") for i in range(3)]
    formula = reported(org, '=HYPERLINK("http://x")')
    reported(org, "外镇事件", where="b")
    response = page_as(org.user("a", "dispatcher")).get("/events/search/export/?category=03")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:4] == (zh("Number"), zh("Title"), zh("Category"), zh("State"))
    assert rows[0][0] == "编号"
    titles = {r[1] for r in rows[1:]}
    assert titles == {e.title for e in [*mine, formula]}
    assert all(r[2] == "市容环境/暴露垃圾" and r[3] == zh("Reported") for r in rows[1:])
    entry = AuditEntry.objects.get(action="event.export")
    assert entry.changes == {"filters": {"category": "03"}, "rows": 4}
    assert entry.username == "a_dispatcher"


def test_export_is_capped(org: Org, categories, page_as, monkeypatch) -> None:
    from openpyxl import load_workbook

    from jiceng.events import views

    monkeypatch.setattr(views, "EXPORT_CAP", 2)
    for i in range(3):
        reported(org, f"事件{i}")
    client = page_as(org.user("a", "dispatcher"))
    assert 'class="panel note"' in client.get("/events/search/").content.decode()
    response = client.get("/events/search/export/")
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    )
    assert len([r for r in rows[1:] if r and r[0]]) == 3  # two events and the note
    assert "3" in str(rows[-1][0])
    assert AuditEntry.objects.get(action="event.export").changes["rows"] == 2
