from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField


class Notification(models.Model):
    """An in-app notification for one user."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class SmsMessage(models.Model):
    """Every SMS handed to the sender, with what the gateway answered. The number is kept encrypted (so a
    key rotation can recompute its blind index) and shown masked."""

    phone = EncryptedTextField(blank=True, default="")
    phone_index = models.CharField(max_length=40, db_index=True)
    phone_masked = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_ok = models.BooleanField(default=False)
    gateway_reply = models.CharField(max_length=200, blank=True)

    blind_indexes: ClassVar[dict[str, str]] = {"phone": "phone_index"}

    def __str__(self) -> str:
        return f"{self.phone_masked}: {self.text[:20]}"


class PendingNotification(models.Model):
    """Something that happened to an event and whose notifications a worker still has to write.

    Written in the event change's own transaction when side effects are deferred (DEFER_SIDE_EFFECTS),
    so a notification is never lost between the commit and the worker; ``deliver_pending`` takes them in
    batches.
    """

    id = models.BigAutoField(primary_key=True)
    event_id = models.BigIntegerField()
    kind = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind} #{self.event_id}"
