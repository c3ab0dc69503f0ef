"""The issue's scenario: a village agent submits 最低生活保障申请 for a resident; the township window
accepts; a reviewer asks for a supplement; the applicant supplements; two review steps approve; the
result is delivered; the applicant's 不满意 rating (through the rating link) opens a rectification that
the department answers and the window follows up. The timeline is complete and the time used leaves the
supplement period out."""

from __future__ import annotations

import pytest

from jiceng.applications import queries
from jiceng.applications.actions import perform, rate_by_link, rating_token, submit_application
from jiceng.applications.models import (
    Application,
    ApplicationState,
    Channel,
    Outcome,
    Rectification,
    RectificationState,
)
from jiceng.applications.workflow import available_actions
from jiceng.audit.models import AuditEntry
from jiceng.core.errors import NotFound
from tests.applications.conftest import Services, all_materials, at, dibao_form

pytestmark = pytest.mark.django_db


def test_dibao_from_village_agency_to_closed_rectification(svc: Services) -> None:
    org = svc.org
    agent = org.user("a", "village_cadre")
    window = svc.user("a", "window")
    social = svc.user("a", "social")
    civil_affairs = org.user("county_dept", "handler")

    app, created = submit_application(
        agent,
        item="MZ-001",
        person=svc.people["a"].pk,
        form_data=dibao_form(),
        provided=all_materials("MZ-001"),
        now=at("2026-03-09", 9),
    )
    assert created and app.channel == Channel.AGENCY and app.agent == agent
    assert app.applicant_name == "张三" and app.applicant_phone == "13812345678"
    # Someone of the other township sees nothing of it.
    with pytest.raises(NotFound):
        perform(svc.user("b", "window"), app.pk, "accept")

    app = perform(window, app.pk, "accept", version=app.version, now=at("2026-03-09", 10))
    assert app.state == ApplicationState.REVIEWING and app.current_unit.name == "A镇社会事务办"
    assert app.window == svc.windows["a"]

    declaration = app.materials.get(name="家庭收入及财产状况声明")
    app = perform(social, app.pk, "request_supplement", materials=[declaration.pk], now=at("2026-03-10", 10))
    assert app.state == ApplicationState.SUPPLEMENT
    assert app.supplement_items == ["家庭收入及财产状况声明"]
    assert [t.action for t in available_actions(social, app)] == []

    app = perform(agent, app.pk, "supplement", provided=[declaration.pk], now=at("2026-03-12", 10))
    assert app.state == ApplicationState.REVIEWING and app.step_index == 0

    app = perform(social, app.pk, "approve", comment="经入户调查，情况属实。", now=at("2026-03-12", 14))
    assert app.current_unit == org.units["county_dept"] and app.step_index == 1
    app = perform(civil_affairs, app.pk, "approve", comment="同意纳入低保。", now=at("2026-03-13", 10))
    assert app.state == ApplicationState.APPROVED and app.outcome == Outcome.APPROVED

    app = perform(window, app.pk, "deliver", now=at("2026-03-16", 10))
    assert app.state == ApplicationState.DELIVERED

    # The applicant rates (the agent may not: 好差评 is the applicant's own), through the rating link.
    assert "rate" not in [t.action for t in available_actions(agent, app)]
    app = rate_by_link(
        rating_token(app),
        rating="dissatisfied",
        tags=["等待时间长"],
        comment="跑了两趟",
        now=at("2026-03-16", 11),
    )
    rectification = Rectification.objects.get(application=app)
    assert rectification.unit == org.units["county_dept"] and rectification.state == RectificationState.OPEN
    assert rectification.due_at == at("2026-03-23", 11)  # five working days

    perform(
        civil_affairs, app.pk, "reply_rectification", comment="已优化入户调查流程。", now=at("2026-03-17", 9)
    )
    app = perform(
        window,
        app.pk,
        "follow_up",
        comment="电话回访，群众表示认可。",
        satisfied=True,
        now=at("2026-03-18", 9),
    )
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.CLOSED and rectification.visit_satisfied is True

    app = Application.objects.get(pk=app.pk)
    assert [f.action for f in queries.timeline(app)] == [
        "submit",
        "accept",
        "request_supplement",
        "supplement",
        "approve",
        "approve",
        "deliver",
        "rate",
        "reply_rectification",
        "follow_up",
    ]
    steps = [f.step_name for f in queries.timeline(app) if f.action == "approve"]
    assert steps == ["乡镇审核", "县民政局审批"]
    # Accepted Monday 10:00, concluded Friday 10:00: four working days, two waiting for the supplement.
    assert queries.workdays_used(app) == 2.0
    assert not app.was_overdue
    audited = set(
        AuditEntry.objects.filter(object_type="applications.application", object_id=str(app.pk)).values_list(
            "action", flat=True
        )
    )
    assert {
        "application.submit",
        "application.accept",
        "application.follow_up",
        "application.rate",
    } <= audited
