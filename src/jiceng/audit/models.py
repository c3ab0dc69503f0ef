from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditResult(models.TextChoices):
    OK = "ok", _("Succeeded")
    DENIED = "denied", _("Denied")
    ERROR = "error", _("Failed")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("audit entries are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("audit entries are append-only")


class AuditEntry(models.Model):
    """One append-only audit record; ``entry_hash`` chains it to the entry before it."""

    # Assigned as head.last_id + 1 under the chain lock, so ids have no gaps and a missing entry shows.
    id = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField(_("time"), db_index=True)
    user_id = models.BigIntegerField(_("user id"), null=True, blank=True, db_index=True)
    username = models.CharField(_("user"), max_length=150, blank=True)
    unit_code = models.CharField(_("unit"), max_length=40, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=AuditResult.choices, default=AuditResult.OK)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("audit entries are append-only")

    def compute_hash(self) -> str:
        canonical = f"[{json.dumps(self.pk)},{self.hashed_middle()},{json.dumps(self.prev_hash)}]"
        return hashlib.sha256(canonical.encode()).hexdigest()

    def hashed_middle(self) -> str:
        """What the hash covers between the id and the previous hash, as canonical JSON list items (the
        database computes the hash from it where it assigns both, see audit/actions.py)."""
        body = [
            self.at.isoformat(timespec="microseconds"),
            self.user_id,
            self.username,
            self.unit_code,
            self.ip,
            self.user_agent,
            self.request_id,
            self.action,
            self.object_type,
            self.object_id,
            self.changes,
            self.result,
        ]
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)[1:-1]


class AuditChainHead(models.Model):
    """The single row that holds the chain's tip; locking it serializes appends."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The hash before last_hash: an append returns it for the new entry's prev_hash.
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head #{self.last_id}"
