"""Opaque keyset page tokens.

A token says where a page starts (the sort key of the row just before or after it), in which
direction, and for which listing (kind, filter, projection version). It is signed with the
database's own secret (:mod:`tenantry.adapters.projections.secrets`), so a forged or edited token,
or one from another listing, database or projection version, is refused with
:class:`~tenantry.domain.errors.InvalidField` naming ``page_token`` — never a crash; so is one
whose position is out of range.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Final, Literal

from tenantry.domain.errors import InvalidField

_MAC_SIZE: Final = 12
AFTER_MAX: Final = 2**63 - 1
"""The largest position a token may name (a signed 64-bit integer, as the databases store)."""

Direction = Literal["next", "prev"]


@dataclass(frozen=True)
class PageToken:
    kind: str
    scope: str
    """The listing's filter, e.g. the external id or the search query; must match on reuse."""
    after: int
    direction: Direction
    version: int


def encode(token: PageToken, secret: bytes) -> str:
    body = json.dumps(
        [token.kind, token.scope, token.after, token.direction[0], token.version],
        separators=(",", ":"),
    ).encode()
    mac = hmac.new(secret, body, hashlib.blake2b).digest()[:_MAC_SIZE]
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def decode(value: str, *, kind: str, scope: str, version: int, secret: bytes) -> PageToken:
    """The token's content, if it was issued for this listing; else :class:`InvalidField`."""
    bad = InvalidField("page_token", "is not a page token of this listing; start without one")
    if not isinstance(value, str) or not 0 < len(value) <= 4096:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    mac, body = raw[:_MAC_SIZE], raw[_MAC_SIZE:]
    if not hmac.compare_digest(mac, hmac.new(secret, body, hashlib.blake2b).digest()[:_MAC_SIZE]):
        raise bad
    try:
        k, s, after, d, v = json.loads(body)
    except (ValueError, TypeError):
        raise bad from None
    if k != kind or s != scope or v != version or d not in ("n", "p"):
        raise bad
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= AFTER_MAX:
        raise bad
    return PageToken(kind, scope, after, "next" if d == "n" else "prev", version)
