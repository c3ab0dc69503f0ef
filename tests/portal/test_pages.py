"""The portal's pages: residents sign up, log in, report with a photo, follow and rate; staff publish,
reply, run consultations and volunteer activities, moderate — and never reach another township's."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.core.errors import InvalidInput
from jiceng.events.actions import perform
from jiceng.events.models import Event, EventAttachment
from jiceng.portal import actions
from jiceng.portal.models import Consultation, Notice, NoticeRead, Opinion, VolunteerActivity, Vote
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A
from tests.portal.conftest import last_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 12), "red").save(out, "JPEG")
    return out.getvalue()


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_sign_up_and_log_in_through_the_pages(org: Org) -> None:
    client = Client()
    assert client.get(reverse("portal:home")).status_code == 200
    assert client.get(reverse("portal:signup")).status_code == 200
    sent = client.post(reverse("portal:send_code"), {"phone": "13900000001", "purpose": "signup"})
    assert sent.status_code == 200
    response = client.post(
        reverse("portal:signup"),
        {
            "phone": "13900000001",
            "code": last_code(),
            "community": org.regions["village_a"].code,
            "privacy": "on",
            "full_name": "李明",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.get(reverse("portal:home")).status_code == 200
    client.post(reverse("portal:logout"))
    assert client.get(reverse("portal:account")).status_code == 302
    client.post(reverse("portal:send_code"), {"phone": "13900000001", "purpose": "login"})
    response = client.post(
        reverse("portal:login"), {"method": "code", "phone": "13900000001", "code": last_code()}
    )
    assert response.status_code == 302
    assert client.get(reverse("portal:account")).status_code == 200


def test_sign_up_without_the_privacy_notice_is_refused(org: Org) -> None:
    client = Client()
    client.post(reverse("portal:send_code"), {"phone": "13900000001", "purpose": "signup"})
    response = client.post(
        reverse("portal:signup"),
        {"phone": "13900000001", "code": last_code(), "community": org.regions["village_a"].code},
    )
    assert response.status_code == 200 and not User.objects.filter(full_name="李明").exists()


def test_report_with_photo_follow_and_rate(org: Org, people: dict[str, Any], categories: Any) -> None:
    resident = people["a1"]
    client = as_user(resident)
    form = client.get(reverse("portal:report"))
    assert form.status_code == 200
    found = re.search(r'<script id="pick-map-config" type="application/json">(.*?)</script>', form.text, re.S)
    assert found and json.loads(found.group(1))["locale"]["NavigationControl.ZoomIn"] == "放大"
    response = client.post(
        reverse("portal:report"),
        {
            "category": "0301",
            "title": "路边垃圾",
            "description": "很多天没人清理",
            "urgency": "normal",
            "coord_system": "wgs84",
            "lng": IN_GRID_A["lng"],
            "lat": IN_GRID_A["lat"],
            "photos": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get()
    assert event.reporter == resident and event.region_code == org.regions["grid_a"].code
    assert EventAttachment.objects.filter(event=event).count() == 1
    page = client.get(reverse("portal:my_report", args=[event.pk]))
    assert page.status_code == 200 and "rate-form" not in page.content.decode()
    assert "路边垃圾" in client.get(reverse("portal:my_reports")).content.decode()
    dispatcher, station = org.user("a", "dispatcher"), org.user("a", "handler")
    perform(dispatcher, event.pk, "accept")
    perform(dispatcher, event.pk, "dispatch", lead_unit=org.units["station_a"].code)
    perform(station, event.pk, "sign")
    perform(station, event.pk, "handle", comment="已清理")
    perform(dispatcher, event.pk, "verify_pass")
    page = client.get(reverse("portal:my_report", args=[event.pk]))
    assert "rate-form" in page.content.decode()
    event.refresh_from_db()
    response = client.post(
        reverse("portal:my_report", args=[event.pk]), {"evaluation": "satisfied", "version": event.version}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.evaluation == "satisfied"
    # Another resident cannot open it.
    assert as_user(people["a2"]).get(reverse("portal:my_report", args=[event.pk])).status_code == 404


def test_report_asks_for_the_categorys_extra_fields(org: Org, people: dict[str, Any], services: Any) -> None:
    """The resident's form shows a category's extra fields as the grid worker's does, and sends them."""
    client = as_user(people["a1"])
    fields = client.get(reverse("portal:report_fields"), {"category": "0201"}).content.decode()
    assert 'name="form_data-size"' in fields and "坑洼大小" in fields and 'name="form_data-lanes"' in fields
    assert "<input" not in client.get(reverse("portal:report_fields"), {"category": "0301"}).content.decode()
    assert "<input" not in client.get(reverse("portal:report_fields"), {"category": "02"}).content.decode()
    assert as_user(org.user("a", "grid_worker")).get(reverse("portal:report_fields")).status_code == 403
    page = client.get(reverse("portal:report")).content.decode()
    assert 'hx-get="/portal/report/fields/"' in page and 'id="extra-fields"' in page

    data = {
        "category": "0201",
        "title": "路面坑洼",
        "urgency": "normal",
        "coord_system": "wgs84",
        **IN_GRID_A,
    }
    missing = client.post(reverse("portal:report"), data)
    html = missing.content.decode()
    assert missing.status_code == 200 and not Event.objects.exists()
    assert 'name="form_data-size"' in html and "required property" not in html
    assert "此项为必填项" in html
    done = client.post(
        reverse("portal:report"),
        {**data, "form_data-size": "大", "form_data-depth_cm": "12", "form_data-lanes": ["左", "右"]},
    )
    assert done.status_code == 302, done.content.decode()[:3000]
    assert Event.objects.get().form_data == {
        "size": "大",
        "depth_cm": 12,
        "blocking": False,
        "lanes": ["左", "右"],
    }


def test_extra_fields_refused_by_the_action_are_explained_in_chinese(
    org: Org, people: dict[str, Any], services: Any
) -> None:
    """A schema the form cannot show is still checked: the resident reads which field, in Chinese."""
    pothole = services["pothole"]
    pothole.form_schema = {
        "type": "object",
        "properties": {"spot": {"type": "object", "title": "位置细节"}},
        "required": ["spot"],
    }
    pothole.save()
    data = {
        "category": "0201",
        "title": "路面坑洼",
        "urgency": "normal",
        "coord_system": "wgs84",
        **IN_GRID_A,
    }
    response = as_user(people["a1"]).post(reverse("portal:report"), data)
    assert response.status_code == 200 and not Event.objects.exists()
    assert "请填写“位置细节”。" in response.content.decode()


def test_resident_reads_what_was_done_but_not_who_did_it(
    org: Org, people: dict[str, Any], categories: Any
) -> None:
    client = as_user(people["a1"])
    data = {
        "category": "0301",
        "title": "路边垃圾",
        "urgency": "normal",
        "coord_system": "wgs84",
        **IN_GRID_A,
    }
    assert client.post(reverse("portal:report"), data).status_code == 302
    event = Event.objects.get()
    dispatcher, station = org.user("a", "dispatcher"), org.user("a", "handler")
    lead = org.units["station_a"].code
    perform(dispatcher, event.pk, "accept")
    perform(dispatcher, event.pk, "dispatch", lead_unit=lead)
    perform(station, event.pk, "return", comment="非本单位职责，请改派")
    perform(dispatcher, event.pk, "dispatch", lead_unit=lead)
    perform(station, event.pk, "sign")
    perform(station, event.pk, "progress", comment="已通知环卫班组")
    perform(station, event.pk, "handle", comment="已清理一半")
    html = client.get(reverse("portal:my_report", args=[event.pk])).content.decode()
    assert "已清理一半" in html and 'id="handling-result"' in html
    perform(dispatcher, event.pk, "verify_fail", comment="桥下仍有垃圾")
    html = client.get(reverse("portal:my_report", args=[event.pk])).content.decode()
    assert "桥下仍有垃圾" in html and 'id="handling-result"' not in html  # being handled again
    perform(station, event.pk, "handle", comment="已清运垃圾，现场恢复整洁。有问题请拨 13812345678")
    perform(dispatcher, event.pk, "verify_pass", comment="现场核查已干净")
    html = client.get(reverse("portal:my_report", args=[event.pk])).content.decode()
    result = html.split('id="handling-result"', 1)[1].split("</div>", 1)[0]
    assert "已清运垃圾，现场恢复整洁。" in result and "已清理一半" not in result
    assert "现场核查已干净" in html and "rate-form" in html
    assert "138****5678" in html and "13812345678" not in html  # personal data masked
    # Internal words and who did what stay out.
    assert "非本单位职责" not in html and "已通知环卫班组" not in html
    for staff in (dispatcher, station):
        assert staff.full_name not in html and staff.username not in html
    assert org.units["station_a"].name not in html


def test_report_without_location_uses_the_community(
    org: Org, people: dict[str, Any], categories: Any
) -> None:
    response = as_user(people["a1"]).post(
        reverse("portal:report"),
        {"category": "0301", "title": "井盖缺失", "urgency": "normal", "coord_system": "wgs84"},
    )
    assert response.status_code == 302
    assert Event.objects.get().region_code == org.regions["village_a"].code


def test_resident_pages_render(org: Org, people: dict[str, Any]) -> None:
    cadre = org.user("a", "village_cadre")
    notice = actions.publish_notice(
        cadre, title="停水通知", body="明天停水", region_code=org.regions["village_a"].code
    )
    topic = actions.open_consultation(
        cadre,
        title="停车位",
        body="是否改建",
        region_code=org.regions["village_a"].code,
        options=["同意", "不同意"],
        closes_at=timezone.now() + timedelta(days=3),
    )
    activity = actions.create_activity(
        cadre,
        title="清洁",
        place="村口",
        region_code=org.regions["village_a"].code,
        starts_at=timezone.now() - timedelta(minutes=10),
        ends_at=timezone.now() + timedelta(hours=2),
        capacity=5,
        hours=2,
    )
    article = actions.publish_article(
        cadre,
        kind="anti_fraud",
        title="警惕刷单诈骗",
        body="刷单就是诈骗",
        region_code=org.regions["village_a"].code,
    )
    client = as_user(people["a1"])
    for name, args in [
        ("home", []),
        ("account", []),
        ("my_reports", []),
        ("feed", []),
        ("notices", []),
        ("opinions", []),
        ("consultations", []),
        ("activities", []),
        ("learning", []),
        ("services", []),
        ("privacy", []),
        ("notice", [notice.pk]),
        ("consultation", [topic.pk]),
        ("activity", [activity.pk]),
        ("article", [article.pk]),
    ]:
        response = client.get(reverse(f"portal:{name}", args=args))
        assert response.status_code == 200, name
    assert NoticeRead.objects.filter(notice=notice, user=people["a1"]).exists()
    # Vote, comment, opinion, sign-up and check-in through the pages.
    option = topic.options.first()
    client.post(reverse("portal:consultation", args=[topic.pk]), {"form": "vote", "option": option.pk})
    client.post(reverse("portal:consultation", args=[topic.pk]), {"form": "vote", "option": option.pk})
    assert Vote.objects.filter(consultation=topic).count() == 1
    client.post(reverse("portal:consultation", args=[topic.pk]), {"form": "comment", "body": "支持"})
    client.post(reverse("portal:opinions"), {"title": "路灯", "body": "太暗了", "public": "on"})
    assert Opinion.objects.filter(author=people["a1"]).exists()
    client.post(reverse("portal:activity", args=[activity.pk]), {"do": "sign_up"})
    client.post(reverse("portal:activity", args=[activity.pk]), {"do": "check_in"})
    assert activity.signups.get().checked_in_at is not None
    export = client.get(reverse("portal:export"))
    assert json.loads(export.content)["account"]["phone"] == "13900000001"
    # Village B's resident sees none of it.
    other = as_user(people["b1"])
    for name, pk in [
        ("notice", notice.pk),
        ("consultation", topic.pk),
        ("activity", activity.pk),
        ("article", article.pk),
    ]:
        assert other.get(reverse(f"portal:{name}", args=[pk])).status_code == 404, name


EMOJI = re.compile("[\u2190-\u2bff\uff0b\U0001f000-\U0001faff]")  # arrows, symbols, dingbats, ＋, emoji


def test_home_names_the_page_and_draws_its_icons_without_an_emoji_font(
    org: Org, people: dict[str, Any]
) -> None:
    html = as_user(people["a1"]).get(reverse("portal:home")).content.decode()
    assert re.search(r"<title>首页 · A村 · 数字社区</title>", html)
    tiles = html.split('<nav class="tiles">', 1)[1].split("</nav>", 1)[0]
    assert tiles.count("<a ") == 10 and tiles.count('<svg class="icon-svg"') == 10
    tabbar = html.split('<nav class="tabbar"', 1)[1].split("</nav>", 1)[0]
    assert tabbar.count('<svg class="icon-svg"') == 4
    assert not EMOJI.findall(tiles + tabbar), EMOJI.findall(tiles + tabbar)
    assert 'aria-hidden="true"' in tiles and "<script" not in tiles and "style=" not in tiles
    welcome = Client().get(reverse("portal:home")).content.decode()
    assert "<title>欢迎 · 数字社区</title>" in welcome


def test_my_page_calls_a_persons_name_xingming(org: Org, people: dict[str, Any]) -> None:
    html = as_user(people["a1"]).get(reverse("portal:account")).content.decode()
    assert "<dt>姓名</dt><dd>李明</dd>" in html and "名称" not in html


def test_staff_are_sent_to_the_staff_side(org: Org) -> None:
    client = as_user(org.user("a", "dispatcher"))
    assert client.get(reverse("portal:home")).status_code == 302
    assert client.get(reverse("portal:account")).status_code == 403
    assert as_user(org.user("a", "handler")).get(reverse("portal:staff_home")).status_code == 403


def test_staff_pages(org: Org, people: dict[str, Any], categories: Any) -> None:
    cadre = org.user("a", "village_cadre")
    client = as_user(cadre)
    for name in (
        "staff_home",
        "staff_notices",
        "staff_opinions",
        "staff_consultations",
        "staff_activities",
        "staff_articles",
        "staff_feed",
    ):
        assert client.get(reverse(f"portal:{name}")).status_code == 200, name
    village = org.regions["village_a"].code
    client.post(
        reverse("portal:staff_notices"),
        {"region_code": village, "kind": "notice", "title": "通知", "body": "内容"},
    )
    notice = Notice.objects.get()
    page = client.get(reverse("portal:staff_notice", args=[notice.pk]))
    assert page.status_code == 200 and "0 / 3" not in page.content.decode()
    closes = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("portal:staff_consultations"),
        {
            "region_code": village,
            "title": "议题",
            "body": "说明",
            "options": "同意\n不同意",
            "closes_at": closes,
        },
    )
    topic = Consultation.objects.get()
    assert client.get(reverse("portal:staff_consultation", args=[topic.pk])).status_code == 200
    client.post(reverse("portal:staff_consultation", args=[topic.pk]), {"do": "close"})
    client.post(reverse("portal:staff_consultation", args=[topic.pk]), {"do": "publish", "result": "通过"})
    topic.refresh_from_db()
    assert topic.state == "published"
    opinion = actions.submit_opinion(people["a1"], title="建议", body="内容")
    client.post(
        reverse("portal:staff_opinion", args=[opinion.pk]),
        {"do": "reply", "reply": "收到", "version": opinion.version},
    )
    opinion.refresh_from_db()
    assert opinion.reply == "收到"
    start = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    end = (timezone.localtime() + timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("portal:staff_activities"),
        {
            "region_code": village,
            "title": "义诊",
            "place": "村部",
            "starts_at": start,
            "ends_at": end,
            "capacity": 10,
            "hours": "2",
        },
    )
    activity = VolunteerActivity.objects.get()
    assert client.get(reverse("portal:staff_activity", args=[activity.pk])).status_code == 200
    # Township B's cadre reaches none of these.
    other = as_user(org.user("b", "village_cadre"))
    for name, pk in [
        ("staff_notice", notice.pk),
        ("staff_consultation", topic.pk),
        ("staff_opinion", opinion.pk),
        ("staff_activity", activity.pk),
    ]:
        assert other.get(reverse(f"portal:{name}", args=[pk])).status_code == 404, name
        assert other.post(reverse(f"portal:{name}", args=[pk]), {"do": "hide"}).status_code == 404, name


def test_admin_issues_and_revokes_open311_keys(org: Org) -> None:
    client = as_user(org.user("county", "admin"))
    response = client.post(
        reverse("portal:staff_api_clients"),
        {"do": "issue", "name": "随手拍", "jurisdiction_code": org.regions["county"].code},
    )
    assert response.status_code == 200 and "o311_" in response.content.decode()
    assert as_user(org.user("a", "dispatcher")).get(reverse("portal:staff_api_clients")).status_code == 403


def test_public_text_is_masked_and_reports_are_rate_limited(
    org: Org, people: dict[str, Any], categories: Any, monkeypatch: Any
) -> None:
    from jiceng.portal import views

    actions.submit_opinion(people["a1"], title="电话 13812345678", body="身份证 11010519491231002X")
    page = as_user(people["a2"]).get(reverse("portal:opinions")).content.decode()
    assert "138****5678" in page and "110105********002X" in page
    assert "13812345678" not in page and "11010519491231002X" not in page
    monkeypatch.setattr(views, "REPORTS_PER_HOUR", 1)
    client = as_user(people["a1"])
    data = {"category": "0301", "title": "井盖缺失", "urgency": "normal", "coord_system": "wgs84"}
    assert client.post(reverse("portal:report"), data).status_code == 302
    refused = client.post(reverse("portal:report"), {**data, "title": "又一个"})
    assert refused.status_code == 200 and Event.objects.count() == 1


def test_verify_and_erase_through_the_account_page(org: Org) -> None:
    from tests.portal.conftest import ID_NUMBERS, make_resident

    user = make_resident(org, "a", "13900000001")
    client = as_user(user)
    client.post(reverse("portal:account"), {"form": "consent"})
    response = client.post(
        reverse("portal:account"), {"form": "verify", "full_name": "李明", "id_number": ID_NUMBERS[0]}
    )
    assert response.status_code == 302
    assert "110105********002X" in client.get(reverse("portal:account")).content.decode()
    refused = client.post(reverse("portal:account"), {"form": "erase", "confirm_phone": "13900000002"})
    assert refused.status_code == 200 and User.objects.get(pk=user.pk).is_active
    done = client.post(reverse("portal:account"), {"form": "erase", "confirm_phone": "13900000001"})
    assert done.status_code == 302 and not User.objects.get(pk=user.pk).is_active
    assert client.get(reverse("portal:account")).status_code == 302  # logged out


def test_a_resident_without_a_community_chooses_one_first(org: Org, categories: Any) -> None:
    client = as_user(org.user("none", "resident"))
    response = client.get(reverse("portal:report"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:account")
    client.post(reverse("portal:account"), {"form": "community", "community": org.regions["township_a"].code})
    assert client.get(reverse("portal:report")).status_code == 302  # a township is not a community
    client.post(reverse("portal:account"), {"form": "community", "community": org.regions["village_b"].code})
    assert client.get(reverse("portal:report")).status_code == 200


def test_residents_are_not_offered_staff_only_categories(
    org: Org, people: dict[str, Any], services: Any
) -> None:
    """A 大类 whose every 小类 is staff's own work disappears from the resident's form; a staff-only 小类
    beside others disappears alone; posting its code anyway is refused and changes nothing."""
    from jiceng.events import category_cache
    from jiceng.events.actions import report_event
    from jiceng.events.models import EventCategory

    EventCategory.objects.filter(code__in=["D0101", "0201"]).update(staff_only=True)
    category_cache.reset()
    EventCategory.objects.create(
        code="0202", name="井盖缺失", parent=services["road"], platform="law_enforcement"
    )
    client = as_user(people["a1"])
    page = client.get(reverse("portal:report")).text
    assert 'value="0301"' in page and 'value="0202"' in page
    assert 'value="0201"' not in page and "婚姻家庭纠纷" not in page and 'value="D0101"' not in page
    assert "坑洼大小" not in client.get(reverse("portal:report_fields"), {"category": "0201"}).text
    before = Event.objects.count()
    refused = client.post(reverse("portal:report"), {"category": "D0101", "title": "邻居吵架"})
    assert refused.status_code == 200 and Event.objects.count() == before
    with pytest.raises(InvalidInput) as caught:
        report_event(people["a1"], category="D0101", title="邻居吵架")
    assert caught.value.code == "category_staff_only" and "category" in caught.value.details
    # Staff report in it as before.
    event, created = report_event(
        org.user("a", "grid_worker"), category="D0101", title="邻里纠纷", form_data={"parties": 2}
    )
    assert created and event.category.code == "D0101"
