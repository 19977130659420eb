"""Public identifiers: a type prefix and the aggregate's UUID in Crockford base32.

Aggregates are stored under UUIDs (compact, indexable); people and APIs see ``org_…``, ``usr_…``
and ``inv_…`` strings of 30 characters, within the 32 that Scalekit-shaped APIs allow.
"""

from __future__ import annotations

import uuid
from typing import Final

from tenantry.domain.errors import InvalidField

_ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"
_DECODE: Final = {c: i for i, c in enumerate(_ALPHABET)}

ORG: Final = "org"
USER: Final = "usr"
INVITATION: Final = "inv"

# Namespaces for deterministic ids (uuid5): one per kind of natural key.
NS_USER_EMAIL: Final = uuid.UUID("6f0f3a8e-7c0b-4f3e-9a51-1f0c2d9f0a01")
NS_EXTERNAL_ID: Final = uuid.UUID("6f0f3a8e-7c0b-4f3e-9a51-1f0c2d9f0a02")
NS_SLUG: Final = uuid.UUID("6f0f3a8e-7c0b-4f3e-9a51-1f0c2d9f0a03")


def encode(prefix: str, value: uuid.UUID) -> str:
    n = value.int
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[n & 31])
        n >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def decode(prefix: str, public_id: str, field: str = "id") -> uuid.UUID:
    """Returns the UUID inside ``public_id``; raises :class:`InvalidField` if it is malformed."""
    head, sep, body = public_id.partition("_")
    if head != prefix or not sep or len(body) != 26:
        raise InvalidField(field, f"must be a {prefix}_ id of 30 characters")
    n = 0
    for c in body.lower():
        try:
            n = (n << 5) | _DECODE[c]
        except KeyError:
            raise InvalidField(field, f"must be a {prefix}_ id in base32") from None
    if n >> 128:
        raise InvalidField(field, f"must be a {prefix}_ id in base32")
    return uuid.UUID(int=n)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def user_uuid(email: str) -> uuid.UUID:
    """A user's id follows from the normalized e-mail, so e-mails are unique by construction."""
    return uuid.uuid5(NS_USER_EMAIL, normalize_email(email))


def membership_uuid(organization: uuid.UUID, user: uuid.UUID) -> uuid.UUID:
    """A membership is found from its organization and user, without any index."""
    return uuid.uuid5(organization, user.hex)


def external_id_index_uuid(external_id: str) -> uuid.UUID:
    return uuid.uuid5(NS_EXTERNAL_ID, external_id)


def slug_index_uuid(slug: str) -> uuid.UUID:
    return uuid.uuid5(NS_SLUG, slug)
