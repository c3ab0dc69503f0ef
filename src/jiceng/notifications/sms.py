"""The SMS sender interface. The default logs messages; a real gateway is a class named in
JICENG_SMS_SENDER with the same ``send`` method."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from jiceng.core.validators import mask_phone

logger = logging.getLogger("jiceng.sms")


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> tuple[bool, str]: ...


class LoggingSmsSender:
    """Writes the message to the log instead of sending it (demo and development); the number masked,
    as logs are not where personal data may be kept."""

    def send(self, phone: str, text: str) -> tuple[bool, str]:
        logger.info("SMS to %s: %s", mask_phone(phone), text)
        return True, "logged"


@lru_cache(maxsize=1)
def sender() -> SmsSender:
    return import_string(settings.SMS_SENDER)()
