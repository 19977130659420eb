"""API client secrets at rest: a salted scrypt hash, compared in constant time. A secret itself is
never stored."""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

_SCRYPT: Final = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def secret_hash(secret: str, salt: bytes) -> str:
    """``scrypt$<salt>$<digest>`` of ``secret``."""
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def matches(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` is the hash of (constant time)."""
    _, salt, _digest = stored.split("$")
    return hmac.compare_digest(secret_hash(secret, bytes.fromhex(salt)), stored)


DUMMY_HASH: Final = secret_hash("not-a-secret", b"\0" * 16)
"""Compared against when no client has the id, so an unknown id takes as long as a wrong
secret."""
