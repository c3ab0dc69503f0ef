from __future__ import annotations

from typing import Any

from django.db import models

from jiceng.core.crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Stored as AES-GCM ciphertext, read back as plain text. Not searchable: pair it with a blind index."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
