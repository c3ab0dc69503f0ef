"""Personal data at rest: AES-256-GCM encryption and a keyed blind index for exact-match search.

Ciphertexts are ``v1:<base64(nonce|ciphertext|tag)>``; the version prefix leaves room for key
rotation or SM4. Keys are derived (HKDF) from JICENG_DATA_KEY; without it (demo, tests) they
are derived from SECRET_KEY, which settings only allow outside production.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "v1:"


class DecryptionError(ValueError):
    pass


@lru_cache(maxsize=4)
def _keys(master: str) -> tuple[bytes, bytes]:
    def derive(info: bytes) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=b"jiceng", info=info).derive(master.encode())

    return derive(b"encryption"), derive(b"blind-index")


def _master() -> str:
    return settings.DATA_KEY or settings.SECRET_KEY


def encrypt(plaintext: str) -> str:
    key, _ = _keys(_master())
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), None)
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise DecryptionError("unknown ciphertext format")
    key, _ = _keys(_master())
    blob = base64.b64decode(token[len(PREFIX) :])
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], None).decode()
    except Exception as exc:  # cryptography raises InvalidTag
        raise DecryptionError("ciphertext does not decrypt with the current key") from exc


def blind_index(value: str) -> str:
    """A keyed hash of a normalized value: equal values match, nothing can be read back."""
    _, key = _keys(_master())
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:40]
