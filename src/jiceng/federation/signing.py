"""Message envelopes and their signatures.

An envelope is a JSON object: id, type, source, target, time (when the change happened), correlation (the
event's reference in the conversation), sequence (per correlation, from 1; 0 = unordered), payload, and
sent_at (when this delivery attempt was signed) with signature = HMAC over the canonical JSON of every other
field (keys sorted, no spaces, UTF-8) and alg naming the hash: hmac-sha256 (default) or hmac-sm3 (国密 SM3,
where the OpenSSL under Python provides it; ``JICENG_FEDERATION_SIGNATURE``). A retry is signed afresh, so
an outage does not make queued messages stale; a replay of an old capture is stale or a duplicate id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings

DEFAULT_ALGORITHM = "hmac-sha256"
ALGORITHMS = {"hmac-sha256": "sha256"}
if "sm3" in hashlib.algorithms_available:
    ALGORITHMS["hmac-sm3"] = "sm3"
ENVELOPE_FIELDS = (
    "id",
    "type",
    "source",
    "target",
    "time",
    "correlation",
    "sequence",
    "payload",
    "sent_at",
    "alg",
)
# How far a signed timestamp may be from the receiver's clock.
MAX_SKEW_SECONDS = 300


def new_key() -> str:
    return secrets.token_urlsafe(32)


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(envelope: dict[str, Any], key: str) -> str:
    body = {k: envelope.get(k) for k in ENVELOPE_FIELDS}
    digest = ALGORITHMS[str(envelope.get("alg") or DEFAULT_ALGORITHM)]
    return hmac.new(key.encode(), canonical(body), digest).hexdigest()


def sign(envelope: dict[str, Any], key: str, sent_at: datetime, alg: str | None = None) -> dict[str, Any]:
    alg = alg or getattr(settings, "FEDERATION_SIGNATURE", DEFAULT_ALGORITHM)
    signed = {**envelope, "sent_at": sent_at.isoformat(), "alg": alg}
    signed["signature"] = signature(signed, key)
    return signed


def verify(envelope: dict[str, Any], keys: list[str]) -> bool:
    given = envelope.get("signature")
    if not isinstance(given, str) or str(envelope.get("alg") or DEFAULT_ALGORITHM) not in ALGORITHMS:
        return False
    return any(hmac.compare_digest(given, signature(envelope, key)) for key in keys if key)
