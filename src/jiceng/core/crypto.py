"""Personal data at rest: AES-256-GCM encryption and a keyed blind index for exact-match search.

Ciphertexts are ``v2:<key id>:<base64(nonce|ciphertext|tag)>`` (``v1:`` without a key id, from before key
rotation, still decrypts). Keys are derived (HKDF) from JICENG_DATA_KEY; without it (demo, tests) from
SECRET_KEY, which settings only allow outside production. To rotate: set the new key in JICENG_DATA_KEY, the
old one in JICENG_DATA_KEY_PREVIOUS, run ``jiceng rotate_data_key`` (re-encrypts every value and recomputes
every blind index), then drop the previous key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "v2:"
LEGACY_PREFIX = "v1:"


class DecryptionError(ValueError):
    pass


@lru_cache(maxsize=4)
def _keys(master: str) -> tuple[bytes, bytes]:
    def derive(info: bytes) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=b"jiceng", info=info).derive(master.encode())

    return derive(b"encryption"), derive(b"blind-index")


def _master() -> str:
    return settings.DATA_KEY or settings.SECRET_KEY


def data_key() -> str:
    """The current master key (what caches of keyed values must be keyed by)."""
    return _master()


def _previous() -> list[str]:
    return [k for k in getattr(settings, "DATA_KEY_PREVIOUS", []) if k]


@lru_cache(maxsize=8)
def key_id(master: str) -> str:
    key, _ = _keys(master)
    return hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:8]


def encrypt(plaintext: str) -> str:
    master = _master()
    key, _ = _keys(master)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), None)
    return f"{PREFIX}{key_id(master)}:" + base64.b64encode(nonce + sealed).decode()


def _open(master: str, blob: bytes) -> str:
    key, _ = _keys(master)
    return AESGCM(key).decrypt(blob[:12], blob[12:], None).decode()


def decrypt(token: str) -> str:
    masters = [_master(), *_previous()]
    if token.startswith(PREFIX):
        kid, _sep, body = token[len(PREFIX) :].partition(":")
        masters = [m for m in masters if key_id(m) == kid]
    elif token.startswith(LEGACY_PREFIX):
        body = token[len(LEGACY_PREFIX) :]
    else:
        raise DecryptionError("unknown ciphertext format")
    blob = base64.b64decode(body)
    for master in masters:
        try:
            return _open(master, blob)
        except Exception:  # noqa: S112 - cryptography raises InvalidTag; try the next key
            continue
    raise DecryptionError("ciphertext does not decrypt with the current or previous keys")


def is_current(token: str) -> bool:
    """Whether ``token`` is sealed with the current key (rotation skips those)."""
    return token.startswith(f"{PREFIX}{key_id(_master())}:")


def blind_index(value: str) -> str:
    """A keyed hash of a normalized value: equal values match, nothing can be read back."""
    _, key = _keys(_master())
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:40]


def blind_indexer() -> Callable[[str], str]:
    """``blind_index`` with the current key looked up once (bulk work: imports)."""
    _, key = _keys(_master())

    def index(value: str) -> str:
        return hmac.digest(key, value.encode(), "sha256").hex()[:40]

    return index


def encryptor() -> Callable[[str], str]:
    """``encrypt`` with the current key looked up once (bulk work: imports)."""
    master = _master()
    key, _ = _keys(master)
    aead = AESGCM(key)
    prefix = f"{PREFIX}{key_id(master)}:"

    def seal(plaintext: str) -> str:
        nonce = os.urandom(12)
        return prefix + base64.b64encode(nonce + aead.encrypt(nonce, plaintext.encode(), None)).decode()

    return seal
