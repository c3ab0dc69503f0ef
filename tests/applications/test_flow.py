"""Rules of the flow: intake checks, one-time supplement notices and the stopped clock, fees through the
gateway paid once, send-back and denial, version conflicts, deadlines, and the applicant's personal data."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from jiceng.accounts.roles import Role
from jiceng.applications import queries
from jiceng.applications.actions import ActionNotAvailable, perform, reveal_applicant, submit_application
from jiceng.applications.models import (
    Application,
    ApplicationState,
    Channel,
    Payment,
    SimulatedTransaction,
    Warning,
)
from jiceng.applications.tasks import check_deadlines
from jiceng.audit.models import AuditEntry
from jiceng.core.errors import Conflict, InvalidInput, PermissionDenied
from jiceng.org.models import Unit
from tests.applications.conftest import Services, all_materials, at, dibao_form
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def window_intake(svc: Services, code: str = "MZ-001", key: str = "a", **kwargs: object) -> Application:
    defaults: dict[str, object] = {
        "item": code,
        "person": svc.people[key].pk,
        "form_data": dibao_form() if code == "MZ-001" else {},
        "provided": all_materials(code),
        "now": at("2026-03-09", 9),
    }
    app, _ = submit_application(svc.user(key, "window"), **{**defaults, **kwargs})  # type: ignore[arg-type]
    return app


def test_the_window_takes_an_application_for_a_person_of_the_registry(svc: Services) -> None:
    app = window_intake(svc)
    assert app.channel == Channel.WINDOW and app.window == svc.windows["a"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT applicant_phone, applicant_id_number FROM applications_application WHERE id = %s",
            [app.pk],
        )
        raw = cursor.fetchone()
    assert raw[0].startswith("v2:") and raw[1].startswith("v2:")  # encrypted at rest
    assert app.applicant_phone_masked == "138****5678"
    # B's window cannot take A's resident: the person is outside its jurisdiction.
    with pytest.raises(InvalidInput) as exc:
        window_intake(svc, key="b", person=svc.people["a"].pk)
    assert exc.value.code == "invalid_person"


def test_the_form_is_checked_against_the_items_schema_and_nothing_is_saved(svc: Services) -> None:
    with pytest.raises(InvalidInput) as exc:
        window_intake(svc, form_data={"household_size": 0, "reason": "x"})
    assert exc.value.code == "invalid_form_data"
    assert {"form_data.household_size", "form_data.monthly_income"} <= set(exc.value.details)
    assert not Application.objects.exists()


def test_idempotency_key_returns_the_first_application(svc: Services) -> None:
    first = window_intake(svc, idempotency_key="k1")
    again, created = submit_application(
        svc.user("a", "window"),
        item="MZ-001",
        person=svc.people["a"].pk,
        form_data=dibao_form(),
        idempotency_key="k1",
    )
    assert not created and again.pk == first.pk and Application.objects.count() == 1


def test_a_supplement_notice_lists_every_missing_material_at_once(svc: Services, page_as: Any) -> None:
    required = all_materials("MZ-001")[:5]
    app = window_intake(svc, provided=required[:2])
    with pytest.raises(InvalidInput) as exc:
        perform(svc.user("a", "window"), app.pk, "accept")
    assert exc.value.code == "materials_missing"
    app = perform(svc.user("a", "window"), app.pk, "request_supplement", other=["村委会出具的家庭情况证明"])
    notice = page_as(svc.user("a", "window")).get(f"/services/{app.pk}/receipt/").content.decode()
    assert "补正材料一次性告知书" in notice and "村委会出具的家庭情况证明" in notice
    assert app.supplement_items == [
        "户口簿",
        "家庭经济状况核对授权书",
        "家庭收入及财产状况声明",
        "村委会出具的家庭情况证明",
    ]
    missing = list(app.materials.filter(provided=False).values_list("pk", flat=True))
    with pytest.raises(InvalidInput) as exc:
        perform(svc.user("a", "window"), app.pk, "supplement", provided=missing[:1])
    assert exc.value.code == "materials_missing" and "家庭收入及财产状况声明" in str(exc.value.message)
    app = perform(svc.user("a", "window"), app.pk, "supplement", provided=missing)
    assert app.state == ApplicationState.SUBMITTED
    assert perform(svc.user("a", "window"), app.pk, "accept").state == ApplicationState.REVIEWING


def test_the_clock_stops_while_waiting_for_supplements(svc: Services) -> None:
    app = window_intake(svc)
    app = perform(svc.user("a", "window"), app.pk, "accept", now=at("2026-03-09", 10))
    assert app.due_at == at("2026-04-07", 10)  # 20 working days (清明 4-4 … 4-6 is a holiday)
    app = perform(
        svc.user("a", "social"), app.pk, "request_supplement", other=["补充材料"], now=at("2026-03-10", 10)
    )
    # While the applicant supplements, no warning rises however long it takes.
    assert check_deadlines(at("2026-05-01", 10))["red"] == 0
    app = perform(
        svc.user("a", "window"),
        app.pk,
        "supplement",
        provided=list(app.materials.filter(provided=False).values_list("pk", flat=True)),
        now=at("2026-03-11", 10),
    )
    assert app.due_at == at("2026-04-08", 10)  # one working day later
    assert queries.workdays_used(app, now=at("2026-03-12", 10)) == 2.0


def test_deadline_warnings_rise_once_and_mark_overdue(svc: Services) -> None:
    app = window_intake(svc)
    perform(svc.user("a", "window"), app.pk, "accept", now=at("2026-03-09", 10))
    assert check_deadlines(at("2026-03-10", 10))["yellow"] == 0
    assert check_deadlines(at("2026-04-02", 10))["yellow"] == 1
    assert check_deadlines(at("2026-04-02", 11))["yellow"] == 0  # idempotent
    assert check_deadlines(at("2026-04-08", 10))["red"] == 1
    app.refresh_from_db()
    assert app.warning == Warning.RED and app.was_overdue
    assert queries.counts(svc.user("a", "window"))["overdue"] == 1


def test_send_back_and_deny_with_an_opinion(svc: Services) -> None:
    app = window_intake(svc)
    perform(svc.user("a", "window"), app.pk, "accept")
    with pytest.raises(PermissionDenied):
        perform(svc.user("a", "window"), app.pk, "approve", comment="越权")
    perform(svc.user("a", "social"), app.pk, "approve", comment="属实")
    county = svc.org.user("county_dept", "handler")
    with pytest.raises(InvalidInput):
        perform(county, app.pk, "send_back")  # an opinion is required
    app = perform(county, app.pk, "send_back", comment="请补充入户调查记录")
    assert app.step_index == 0 and app.current_unit.name == "A镇社会事务办"
    perform(svc.user("a", "social"), app.pk, "approve", comment="已补充调查记录")
    app = perform(county, app.pk, "deny", comment="家庭财产超过规定标准")
    assert app.state == ApplicationState.DENIED and app.outcome == "denied"
    assert app.concluded_at is not None


def test_two_people_acting_at_once_get_one_success_and_one_conflict(svc: Services) -> None:
    app = window_intake(svc)
    version = app.version
    perform(svc.user("a", "window"), app.pk, "accept", version=version)
    with pytest.raises(Conflict):
        perform(svc.user("a", "window"), app.pk, "refuse", version=version, comment="重复")
    assert Application.objects.get(pk=app.pk).state == ApplicationState.REVIEWING


def test_the_fee_is_paid_once_through_the_gateway(svc: Services) -> None:
    app = window_intake(svc, code="GA-002", form_data={"kind": "遗失补领"})
    perform(svc.user("a", "window"), app.pk, "accept")
    perform(svc.user("a", "police"), app.pk, "approve", comment="核验无误")
    county_police = make_user("county_police", Unit.objects.get(code="C-GAJ"), Role.HANDLER)
    app = perform(county_police, app.pk, "approve", comment="同意签发")
    assert app.state == ApplicationState.PAYMENT and app.fee_cents == 2000
    paid = perform(svc.user("a", "window"), app.pk, "pay")
    assert paid.state == ApplicationState.APPROVED and paid.paid_at is not None
    payment = Payment.objects.get(application=app)
    assert payment.amount_cents == 2000 and payment.gateway == "simulated"
    assert SimulatedTransaction.objects.get(order_no=app.ref).transaction_id == payment.transaction_id
    with pytest.raises(ActionNotAvailable):
        perform(svc.user("a", "window"), app.pk, "pay")
    assert Payment.objects.count() == 1 and SimulatedTransaction.objects.count() == 1


def test_the_applicants_data_in_full_only_for_those_who_work_on_it_and_audited(svc: Services) -> None:
    app = window_intake(svc)
    shown = reveal_applicant(svc.user("a", "window"), app.pk)
    assert shown.applicant_phone == "13812345678"
    assert AuditEntry.objects.filter(action="application.applicant.view", object_id=str(app.pk)).count() == 1
    with pytest.raises(PermissionDenied):
        reveal_applicant(svc.org.user("a", "leader"), app.pk)
