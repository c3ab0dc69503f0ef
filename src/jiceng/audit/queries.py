from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from jiceng.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry
from jiceng.core.errors import PermissionDenied

if TYPE_CHECKING:
    from jiceng.accounts.models import User


COUNTY_AND_ABOVE = {"province", "city", "county"}


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the whole chain in id order; name the first altered, missing or reordered entry."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for entry in batch:
            if entry.id != expected_id:
                return ChainReport(False, checked, expected_id, f"entry {expected_id} is missing")
            if entry.prev_hash != expected_prev:
                return ChainReport(False, checked, entry.id, "link to the previous entry is broken")
            if entry.compute_hash() != entry.entry_hash:
                return ChainReport(False, checked, entry.id, "entry content was altered")
            expected_prev = entry.entry_hash
            expected_id += 1
            checked += 1
        last_id = batch[-1].id
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_id != last_id or head.last_hash != expected_prev):
        return ChainReport(False, checked, last_id + 1, "entries after the last one were removed")
    return ChainReport(True, checked)


def audit_entries(
    actor: User,
    *,
    username: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """The audit viewer's query: administrators only."""
    if not (actor.is_superuser or actor.has_role("admin")):
        raise PermissionDenied()
    qs = AuditEntry.objects.all()
    if not actor.is_superuser and actor.unit_id:
        # An administrator sees the entries of the users and units in their jurisdiction.
        from jiceng.org.models import Unit

        in_scope = Q(unit_code__in=Unit.objects.restrict(actor).values("code"))
        if actor.unit.region.level in COUNTY_AND_ABOVE:  # type: ignore[union-attr]
            in_scope |= Q(unit_code="")  # e.g. failed logins with unknown usernames
        qs = qs.filter(in_scope)
    if username:
        qs = qs.filter(username=username)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs


def day_start(day: date, plus_days: int = 0) -> datetime:
    """Midnight (local time) of ``day`` + ``plus_days``, for date-range filters."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=plus_days), time.min))
