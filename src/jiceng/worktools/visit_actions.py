"""Writes of visits (走访) and daily work logs (民情日志)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.audit.actions import record
from jiceng.core.concurrency import update_versioned
from jiceng.core.errors import Conflict, NotFound, PermissionDenied, field_error
from jiceng.registry import queries as registry_queries
from jiceng.worktools.common import acting_staff, checked_photo
from jiceng.worktools.models import Visit, WorkLog

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

VISIT_SUBJECTS = ("person", "household", "house", "organization")


def subject_name(kind: str, obj: object) -> str:
    if kind == "person":
        return getattr(obj, "name", "")
    if kind == "household":
        head = getattr(obj, "head", None)
        return _("Household %(number)s") % {"number": obj.number} + (f"（{head.name}）" if head else "")  # type: ignore[attr-defined]
    if kind == "organization":
        return getattr(obj, "name", "")
    return str(obj)


def record_visit(
    actor: User | AnonymousUser | None,
    *,
    subject_kind: str,
    subject_key: str,
    findings: str,
    purpose: str = "",
    follow_up: str = "",
    follow_up_due: date | None = None,
    visited_at: datetime | None = None,
    photo: UploadedFile | None = None,
    now: datetime | None = None,
) -> Visit:
    """Record a visit to a person, household, house or organization in one's jurisdiction."""
    user = acting_staff(actor)
    now = now or timezone.now()
    if subject_kind not in VISIT_SUBJECTS:
        raise field_error("subject_kind", _("Not one of the allowed values."), "invalid_subject")
    try:
        subject = registry_queries.get(user, subject_kind, subject_key)
    except NotFound as exc:
        raise field_error(
            "subject_key", _("Unknown record, or outside your jurisdiction."), "invalid_subject"
        ) from exc
    findings = findings.strip()
    if not findings:
        raise field_error("findings", _("This field is required."), "required")
    visited_at = visited_at or now
    if visited_at > now + timedelta(minutes=5):
        raise field_error("visited_at", _("The time is in the future."), "invalid_time")
    if follow_up_due is not None and not follow_up.strip():
        raise field_error("follow_up", _("Say what is to be followed up."), "required")
    if follow_up_due is not None and follow_up_due < timezone.localdate(visited_at):
        raise field_error("follow_up_due", _("The follow-up is due before the visit."), "invalid_date")
    photo = checked_photo(photo)
    with transaction.atomic():
        visit = Visit(
            visitor=user,
            region_code=subject.region_code,
            visited_at=visited_at,
            subject_name=subject_name(subject_kind, subject)[:200],
            purpose=purpose.strip()[:200],
            findings=findings,
            follow_up=follow_up.strip()[:500],
            follow_up_due=follow_up_due,
            **{subject_kind: subject},
        )
        if photo is not None:
            visit.photo.save(photo.name or "photo.jpg", photo, save=False)
        visit.save()
        record("visit.create", actor=user, obj=visit, changes={subject_kind: subject.pk})
    return visit


def save_work_log(
    actor: User | AnonymousUser | None,
    *,
    day: date,
    content: str,
    issues: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> WorkLog:
    """Write (or rewrite) one's log of a day. Rewriting needs the version read: a stale one is a conflict."""
    user = acting_staff(actor)
    today = timezone.localdate(now or timezone.now())
    if day > today:
        raise field_error("day", _("The date is in the future."), "invalid_date")
    if (today - day).days > 7:
        raise field_error("day", _("Logs older than a week cannot be changed."), "log_closed")
    content = content.strip()
    if not content:
        raise field_error("content", _("This field is required."), "required")
    region_code = user.unit.region.code if user.unit else ""
    with transaction.atomic():
        existing = WorkLog.objects.filter(author=user, day=day).first()
        if existing is None:
            try:
                with transaction.atomic():
                    log = WorkLog.objects.create(
                        author=user, day=day, content=content, issues=issues.strip(), region_code=region_code
                    )
            except IntegrityError:
                raise Conflict() from None
            record("work_log.create", actor=user, obj=log, changes={"day": day})
            return log
        if existing.author_id != user.pk:
            raise PermissionDenied()
        log = update_versioned(existing, version, {"content": content, "issues": issues.strip()})
        record("work_log.update", actor=user, obj=log, changes={"day": day})
    return log
