"""The payment gateway interface and the simulated gateway used by default.

A gateway charges an order number at most once: charging the same order again answers the first
transaction. Orders are numbered by application, so a retry after a rolled-back transaction cannot charge
twice. Set ``APPLICATIONS_PAYMENT_GATEWAY`` (a dotted path to a class) to plug in a real one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from jiceng.applications.models import SimulatedTransaction

DEFAULT_GATEWAY = "jiceng.applications.payments.SimulatedGateway"


@dataclass(frozen=True)
class Charge:
    transaction_id: str
    amount_cents: int


class PaymentGateway(Protocol):
    name: str

    def charge(self, order_no: str, amount_cents: int, description: str) -> Charge:
        """Charge ``order_no`` once; the same order again returns the first charge."""
        ...


class SimulatedGateway:
    """Records each order in its own ledger table and always succeeds."""

    name = "simulated"

    def charge(self, order_no: str, amount_cents: int, description: str) -> Charge:
        found = SimulatedTransaction.objects.filter(order_no=order_no).first()
        if found is None:
            try:
                with transaction.atomic():
                    found = SimulatedTransaction.objects.create(
                        order_no=order_no,
                        amount_cents=amount_cents,
                        transaction_id=f"SIM{uuid.uuid4().hex[:20].upper()}",
                    )
            except IntegrityError:
                found = SimulatedTransaction.objects.get(order_no=order_no)
        return Charge(found.transaction_id, found.amount_cents)


@cache
def _gateway_class(path: str) -> type[PaymentGateway]:
    return import_string(path)


def gateway() -> PaymentGateway:
    return _gateway_class(getattr(settings, "APPLICATIONS_PAYMENT_GATEWAY", DEFAULT_GATEWAY))()
