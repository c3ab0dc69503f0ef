"""Password rules of the security baseline: at least three of four character classes, no username."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MinimumLengthValidator:
    """Django's, with our own message (Django's own has no Chinese translation in 5.2)."""

    def __init__(self, min_length: int = 8):
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("The password must have at least %(min)d characters.") % {"min": self.min_length},
                code="password_too_short",
            )

    def get_help_text(self) -> str:
        return _("At least %(min)d characters.") % {"min": self.min_length}


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation or c == " " for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(
                _(
                    "The password must contain at least %(min)d of: lower-case letters, upper-case letters, "
                    "digits and symbols."
                ),
                code="password_too_simple",
                params={"min": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("Use at least %(min)d of: lower-case letters, upper-case letters, digits and symbols.") % {
            "min": self.min_classes
        }


class NoUsernameValidator:
    def validate(self, password: str, user: Any = None) -> None:
        username = getattr(user, "username", "") or ""
        if len(username) >= 3 and username.lower() in password.lower():
            raise ValidationError(
                _("The password must not contain the username."), code="password_has_username"
            )

    def get_help_text(self) -> str:
        return _("The password must not contain the username.")
