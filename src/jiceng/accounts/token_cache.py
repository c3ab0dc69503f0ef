"""Bearer tokens already checked in this process, so an API call costs no token, role or unit query.

An entry lives ``API_TOKEN_CACHE_SECONDS`` (default 10 s). Revoking a token, or changing a user or their
roles, forgets the entries of this process at once (see ``signals``); other server processes notice within
that time. Each request gets its own copy of the cached user (with its roles and unit already loaded).
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from jiceng.accounts.models import User


@dataclass
class Entry:
    user: User
    token_pk: int
    expires_at: datetime | None
    last_used_at: datetime | None
    cached_at: float


_lock = threading.Lock()
_entries: dict[str, Entry] = {}


def get(key_hash: str) -> Entry | None:
    entry = _entries.get(key_hash)
    if entry is None or time.monotonic() - entry.cached_at > settings.API_TOKEN_CACHE_SECONDS:
        return None
    return entry


def put(key_hash: str, entry: Entry) -> None:
    if settings.API_TOKEN_CACHE_SECONDS <= 0:
        return
    with _lock:
        if len(_entries) > 10_000:
            _entries.clear()
        _entries[key_hash] = entry


def user_copy(entry: Entry) -> User:
    return copy.copy(entry.user)


def reset() -> None:
    with _lock:
        _entries.clear()
