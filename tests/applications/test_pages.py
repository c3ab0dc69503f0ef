"""Staff pages and the public progress page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jiceng.applications.actions import perform, submit_application
from jiceng.applications.models import Application, ApplicationState
from tests.applications.conftest import Services, all_materials, dibao_form

pytestmark = pytest.mark.django_db


def make(svc: Services) -> Application:
    app, _ = submit_application(
        svc.user("a", "window"),
        item="MZ-001",
        person=svc.people["a"].pk,
        form_data=dibao_form(),
        provided=all_materials("MZ-001"),
    )
    return app


def test_window_intake_page_from_item_to_submitted_application(page_as: Any, svc: Services) -> None:
    client = page_as(svc.user("a", "window"))
    assert "最低生活保障申请" in client.get("/services/new/").content.decode()
    found = client.get("/services/new/", {"item": "MZ-001", "q": "张三"}).content.decode()
    assert "张三" in found and "household_size" in found and "家庭经济状况核对授权书" in found
    assert "残疾证、病历等证明材料（非必交）" in found and "(optional)" not in found
    outside = client.get("/services/new/", {"item": "MZ-001", "q": "李四"}).content.decode()
    assert 'name="person"' not in outside and "辖区内未找到此人" in outside
    response = client.post(
        "/services/new/",
        {
            "item": "MZ-001",
            "q": "张三",
            "person": svc.people["a"].pk,
            "provided": all_materials("MZ-001"),
            "delivery": "window",
            "form_data-household_size": "3",
            "form_data-monthly_income": "520",
            "form_data-reason": "因病致贫",
        },
    )
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/services/{app.pk}/"
    assert app.form_data == {"household_size": 3, "monthly_income": 520, "reason": "因病致贫"}
    page = client.get(f"/services/{app.pk}/").content.decode()
    assert 'data-action="accept"' in page and "138****5678" in page and "13812345678" not in page
    accepted = client.post(f"/services/{app.pk}/act/accept/", {"accept-version": app.version})
    assert accepted.status_code == 302
    assert Application.objects.get().state == ApplicationState.REVIEWING
    receipt = client.get(f"/services/{app.pk}/receipt/").content.decode()
    assert app.ref in receipt and "受理回执" in receipt


def test_an_action_with_bad_input_shows_the_error_and_changes_nothing(page_as: Any, svc: Services) -> None:
    # A form shown again with its errors answers 200, as on every page (the event pages too).
    app = make(svc)
    client = page_as(svc.user("a", "window"))
    response = client.post(
        f"/services/{app.pk}/act/refuse/", {"refuse-version": app.version, "refuse-comment": ""}
    )
    assert response.status_code == 200 and 'class="error" role="alert"' in response.content.decode()
    assert Application.objects.get().state == ApplicationState.SUBMITTED
    stale = client.post(
        f"/services/{app.pk}/act/refuse/", {"refuse-version": app.version + 5, "refuse-comment": "x"}
    )
    assert stale.status_code == 200 and "该记录已被他人修改" in stale.content.decode()
    assert Application.objects.get().state == ApplicationState.SUBMITTED


def test_approving_without_an_opinion_shows_the_form_again_with_200(page_as: Any, svc: Services) -> None:
    app = perform(svc.user("a", "window"), make(svc).pk, "accept")
    client = page_as(svc.user("a", "social"))
    response = client.post(
        f"/services/{app.pk}/act/approve/", {"approve-version": app.version, "approve-comment": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error" role="alert"' in html and 'name="approve-comment"' in html
    assert Application.objects.get().state == ApplicationState.REVIEWING


def test_pages_of_the_other_township_are_not_found(page_as: Any, svc: Services) -> None:
    app = make(svc)
    outsider = page_as(svc.user("b", "window"))
    assert outsider.get(f"/services/{app.pk}/").status_code == 404
    assert outsider.post(f"/services/{app.pk}/act/accept/", {"accept-version": 1}).status_code == 404
    assert outsider.get(f"/services/{app.pk}/receipt/").status_code == 404
    assert outsider.post(f"/services/{app.pk}/applicant/").status_code == 404


def test_workbench_queues_per_unit_and_role(page_as: Any, svc: Services) -> None:
    app = make(svc)
    perform(svc.user("a", "window"), app.pk, "accept")
    reviewer = page_as(svc.user("a", "social")).get("/services/").content.decode()
    assert app.ref in reviewer and 'data-queue="to_review"' in reviewer
    window = page_as(svc.user("a", "window")).get("/services/?tab=to_accept").content.decode()
    assert app.ref not in window


def test_catalog_and_rating_statistics(page_as: Any, svc: Services) -> None:
    client = page_as(svc.user("a", "window"))
    assert "居住证办理" in client.get("/services/catalog/").content.decode()
    item = client.get("/services/catalog/MZ-001/").content.decode()
    assert "乡镇审核" in item and "household_size" in item
    stats = client.get("/services/ratings/?by=department")
    assert stats.status_code == 200 and b"rating-data" in stats.content


def test_progress_page_without_login(page_as: Any, svc: Services) -> None:
    app = make(svc)
    anonymous = page_as(None)
    ok = anonymous.get("/services/progress/", {"number": app.ref, "phone": "13812345678"}).content.decode()
    assert "最低生活保障申请" in ok
    wrong = anonymous.get("/services/progress/", {"number": app.ref, "phone": "13812345670"}).content.decode()
    assert "最低生活保障申请" not in wrong and "张三" not in wrong


def test_a_village_agent_takes_an_application_and_the_window_sees_the_contact_in_full(
    page_as: Any, svc: Services
) -> None:
    agent = page_as(svc.org.user("a", "village_cadre"))
    response = agent.post(
        "/services/new/",
        {
            "item": "GA-004",
            "q": "张三",
            "person": svc.people["a"].pk,
            "provided": all_materials("GA-004"),
            "delivery": "window",
            "form_data-address": "A村1号",
            "form_data-tenants": "0",
        },
    )
    assert response.status_code == 200  # the form's own rule: at least one tenant
    assert "form_data-tenants" in response.content.decode() and not Application.objects.exists()
    response = agent.post(
        "/services/new/",
        {
            "item": "GA-004",
            "q": "张三",
            "person": svc.people["a"].pk,
            "provided": all_materials("GA-004"),
            "delivery": "window",
            "form_data-address": "A村1号",
            "form_data-tenants": "2",
        },
    )
    app = Application.objects.get()
    assert (
        response.status_code == 302
        and app.channel == "agency"
        and app.agent == svc.org.user("a", "village_cadre")
    )
    window = page_as(svc.user("a", "window"))
    shown = window.post(f"/services/{app.pk}/applicant/").content.decode()
    assert "13812345678" in shown
    assert agent.post(f"/services/{app.pk}/applicant/").status_code == 403


def test_catalog_edit_page_for_county_administrators(page_as: Any, svc: Services) -> None:
    from jiceng.applications.models import ServiceItem

    url = "/services/catalog/MZ-006/edit/"
    assert page_as(svc.user("a", "window")).get(url).status_code == 403
    admin = page_as(svc.org.user("county", "admin"))
    assert admin.get(url).status_code == 200
    item = ServiceItem.objects.get(code="MZ-006")
    data = {
        "version": item.version,
        "name": "老年人优待证办理",
        "department_name": "县民政局（老龄办）",
        "legal_days": 5,
        "promised_days": 1,
        "fee_cents": 0,
        "online": "on",
        "is_active": "on",
        "form_schema": "",
    }
    assert admin.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.promised_days == 1 and item.department_name == "县民政局（老龄办）"
    stale = admin.post(url, {**data, "promised_days": 2})  # the version read before
    assert stale.status_code == 200 and ServiceItem.objects.get(code="MZ-006").promised_days == 1
    township = page_as(svc.org.user("a", "admin")).post(
        url, {**data, "version": item.version, "promised_days": 3}
    )
    assert township.status_code == 403


def test_the_applicant_rates_at_the_window_by_the_qr_code(page_as: Any, svc: Services) -> None:
    from tests.applications.test_ratings import concluded

    app = concluded(svc)
    window = page_as(svc.user("a", "window"))
    page = window.get(f"/services/{app.pk}/").content.decode()
    # The window shows the link as a QR code for the applicant's phone, and no rating form of its own.
    assert 'class="qr"' in page and "/services/rate/" in page and 'name="rate-rating"' not in page
    # The code only, no link to click: the applicant scans it (the SVG's title holds the address).
    link = re.search(r"<title>(http://testserver/services/rate/[^<]+)</title>", page).group(1)  # type: ignore[union-attr]
    assert f'href="{link}"' not in page
    # Staff who open it anyway get no form.
    staff_view = window.get(link).content.decode()
    assert "工作人员不得代为评价" in staff_view and 'name="rating"' not in staff_view
    assert window.post(link, {"rating": "very_satisfied"}).status_code == 200
    assert not hasattr(Application.objects.get(pk=app.pk), "rating")
    leader = page_as(svc.org.user("county", "leader")).get(f"/services/{app.pk}/").content.decode()
    assert 'class="qr"' not in leader

    anonymous = page_as(None)
    form = anonymous.get(link)
    assert form.status_code == 200
    text = form.content.decode()
    assert "老年人优待证办理" in text and app.ref in text and "张三" not in text
    empty = anonymous.post(link, {})
    assert empty.status_code == 200 and "此项为必填项" in empty.content.decode()
    done = anonymous.post(
        link, {"rating": "very_dissatisfied", "tags": ["等待时间长"], "comment": "排队太久"}
    )
    assert done.status_code == 302
    again = anonymous.get(link).content.decode()
    assert "该办件已评价" in again and 'name="rating"' not in again
    assert anonymous.post(link, {"rating": "very_satisfied"}).status_code == 200
    app.refresh_from_db()
    assert app.rating.level == "very_dissatisfied" and app.rating.channel == "link"
    assert app.rectification.unit.name == "A镇便民服务中心"  # a bad rating is rectified as any other
    # Once rated, the window's page shows the rating instead of the code.
    after = window.get(f"/services/{app.pk}/").content.decode()
    assert 'class="qr"' not in after and "非常不满意" in after


def test_a_broken_or_unknown_rating_link(page_as: Any, svc: Services) -> None:
    anonymous = page_as(None)
    response = anonymous.get("/services/rate/not-a-link/")
    assert response.status_code == 404 and "评价链接无效" in response.content.decode()
    assert anonymous.post("/services/rate/not-a-link/", {"rating": "satisfied"}).status_code == 404


def test_intake_form_names_its_groups_with_a_legend(page_as: Any, svc: Services) -> None:
    html = (
        page_as(svc.user("a", "window"))
        .get("/services/new/", {"item": "MZ-001", "q": "张三"})
        .content.decode()
    )
    assert 'name="person"' in html and 'name="provided"' in html
    assert 'for=""' not in html
    legends = [legend.strip() for legend in re.findall(r"<legend>([^<]+)", html)]
    assert "申请人" in legends and "已收材料" in legends


def test_a_resident_rates_their_online_application_from_the_portal(page_as: Any, svc: Services) -> None:
    from jiceng.applications.models import Rating
    from tests.applications.conftest import at
    from tests.applications.test_ratings import accepted_online

    resident, app = accepted_online(svc)
    window = svc.user("a", "window")
    client = page_as(resident)
    assert "服务评价" not in client.get("/portal/services/").content.decode()  # not concluded yet
    perform(window, app.pk, "approve", comment="当场办结", now=at("2026-03-09", 9, 30))
    page = client.get("/portal/services/").content.decode()
    link = re.search(r'href="(/services/rate/[^"]+)">服务评价', page).group(1)  # type: ignore[union-attr]
    assert client.post(link, {"rating": "very_satisfied"}).status_code == 302
    rating = Rating.objects.get(application=app)
    assert (rating.rated_by, rating.channel) == (resident, "online")
    assert "服务评价" not in client.get("/portal/services/").content.decode()
