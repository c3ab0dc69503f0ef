"""Two people acting on one application at the same moment: one success, one clear conflict; a fee
paid twice at once is charged once."""

from __future__ import annotations

import pytest

from jiceng.applications.actions import perform, submit_application
from jiceng.applications.models import Application, ApplicationFlow, Payment, SimulatedTransaction
from jiceng.core.errors import Conflict
from tests.applications.conftest import Services, all_materials, dibao_form
from tests.core.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_accept_and_refuse_at_once_one_wins_one_conflicts(svc: Services) -> None:
    window, other = svc.user("a", "window"), svc.user("county", "window")
    app, _ = submit_application(
        window,
        item="MZ-001",
        person=svc.people["a"].pk,
        form_data=dibao_form(),
        provided=all_materials("MZ-001"),
    )
    results = race(
        lambda: perform(window, app.pk, "accept", version=app.version),
        lambda: perform(other, app.pk, "refuse", version=app.version, comment="不属于本窗口"),
    )
    assert sorted(type(r).__name__ for r in results) == ["Application", "Conflict"], results
    winner = next(r for r in results if isinstance(r, Application))
    assert Application.objects.get(pk=app.pk).state == winner.state
    assert ApplicationFlow.objects.filter(application=app).exclude(action="submit").count() == 1
    assert next(r for r in results if isinstance(r, Conflict)).status == 409


def test_paying_twice_at_once_charges_once(svc: Services) -> None:
    from jiceng.accounts.roles import Role
    from jiceng.org.models import Unit
    from tests.conftest import make_user

    window = svc.user("a", "window")
    app, _ = submit_application(
        window,
        item="GA-002",
        person=svc.people["a"].pk,
        form_data={"kind": "遗失补领"},
        provided=all_materials("GA-002"),
    )
    perform(window, app.pk, "accept")
    perform(svc.user("a", "police"), app.pk, "approve", comment="核验无误")
    perform(
        make_user("county_police", Unit.objects.get(code="C-GAJ"), Role.HANDLER),
        app.pk,
        "approve",
        comment="签发",
    )
    results = race(lambda: perform(window, app.pk, "pay"), lambda: perform(window, app.pk, "pay"))
    assert sum(isinstance(r, Application) for r in results) == 1, results
    assert Payment.objects.count() == 1 and SimulatedTransaction.objects.count() == 1
