"""Public identifiers: a type prefix and the aggregate's UUID in Crockford base32.

Aggregates are stored under UUIDs (compact, indexable); people and APIs see ``org_…``, ``usr_…``
and ``inv_…`` strings of 30 characters, within the 32 that Scalekit-shaped APIs allow.

New organizations and invitations get time-ordered ids (UUIDv7, :func:`new_id`): like the ULIDs of
the hosted services, their public ids sort by creation time, and every table and index keyed by
them (the event store's, the projections') grows at its end instead of at random places, where
a B-tree that has outgrown its cache pays a page write for nearly every row.
"""

from __future__ import annotations

import uuid
from typing import Final

import uuid6

from tenantry.domain.errors import InvalidField

_ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"
_DECODE: Final = {c: i for i, c in enumerate(_ALPHABET)}

ORG: Final = "org"
USER: Final = "usr"
INVITATION: Final = "inv"
CONNECTION: Final = "conn"
DOMAIN: Final = "dom"

# Namespaces for deterministic ids (uuid5): one per kind of natural key.
NS_USER_EMAIL: Final = uuid.UUID("6f0f3a8e-7c0b-4f3e-9a51-1f0c2d9f0a01")
NS_EXTERNAL_ID: Final = uuid.UUID("6f0f3a8e-7c0b-4f3e-9a51-1f0c2d9f0a02")
NS_SLUG: Final = uuid.UUID("6f0f3a8e-7c0b-4f3e-9a51-1f0c2d9f0a03")
NS_VERIFIED_DOMAIN: Final = uuid.UUID("45053f51-4891-468e-99f0-3dc3903952ed")
"""A verified e-mail domain's claim: one organization holds it."""
NS_SSO_REGISTRY: Final = uuid.UUID("d8be1489-408a-4ea7-ab23-f9a724c124b7")
"""An organization's register of its connections and domains, found from the organization."""


def encode(prefix: str, value: uuid.UUID) -> str:
    n = value.int
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[n & 31])
        n >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def decode(prefix: str, public_id: str, field: str = "id") -> uuid.UUID:
    """Returns the UUID inside ``public_id``; raises :class:`InvalidField` if it is malformed
    (or not a string)."""
    if not isinstance(public_id, str):
        raise InvalidField(field, f"must be a {prefix}_ id (a string)")
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


def new_id() -> uuid.UUID:
    """A new time-ordered id (UUIDv7: 48 bits of milliseconds since the epoch, then random
    bits; later ids of one process sort after earlier ones)."""
    return uuid.UUID(int=uuid6.uuid7().int)


def membership_uuid(organization: uuid.UUID, user: uuid.UUID) -> uuid.UUID:
    """A membership is found from its organization and user, without any index: its id follows
    from theirs (so there is one membership per pair by construction).

    It is ``uuid5(organization, user)``, except that for a time-ordered organization id (v7) its
    first 64 bits are the organization's (its creation time), which makes the result a v7 id
    too: an organization's memberships sit together, in the order organizations were created,
    wherever they are keyed by id. Organizations with other ids (made before ids were
    time-ordered, or by another ``id_factory``) keep the plain ``uuid5``, so the ids of their
    existing memberships never change.
    """
    h = uuid.uuid5(organization, user.hex)
    if organization.version != 7:
        return h
    return uuid.UUID(bytes=organization.bytes[:8] + h.bytes[8:])


PUBLIC_ID_FIELDS: Final = {"organization_id": ORG, "user_id": USER, "invitation_id": INVITATION}
PUBLIC_ID_FIELDS.update({"connection_id": CONNECTION, "domain_id": DOMAIN})  # SSO's events
"""The fields of recorded events that hold an aggregate's UUID people know by its public id."""


def with_public_ids(data: dict[str, object]) -> dict[str, object]:
    """``data`` (an event's recorded fields) with each of :data:`PUBLIC_ID_FIELDS` that holds a
    UUID (or its text, as JSON records it) as its public id, changed in place."""
    for field, prefix in PUBLIC_ID_FIELDS.items():
        value = data.get(field)
        if isinstance(value, str):
            value = uuid.UUID(value)
        if isinstance(value, uuid.UUID):
            data[field] = encode(prefix, value)
    return data


ROLE: Final = "role"
NS_ROLE_BOOK: Final = uuid.UUID("2f24a71e-f42b-43c5-8ded-a7287a07412c")
"""Namespace of the role books' ids: one book per scope (the environment, or an organization)."""
NS_ROLE: Final = uuid.UUID("6f0f3a8e-7c0b-4f3e-9a51-1f0c2d9f0a05")
"""Namespace of role ids: a role's id follows from its scope and its name."""


def role_book_uuid(organization: uuid.UUID | None) -> uuid.UUID:
    """The id of the role book of an organization, or of the environment (``None``)."""
    return uuid.uuid5(NS_ROLE_BOOK, "environment" if organization is None else organization.hex)


def role_id(organization: uuid.UUID | None, name: str) -> str:
    """The public id (``role_…``) of the role ``name`` defined in an organization or, for
    ``None``, in the environment."""
    scope = "environment" if organization is None else organization.hex
    return encode(ROLE, uuid.uuid5(NS_ROLE, f"{scope}/{name}"))


NS_USER_EXTERNAL_ID: Final = uuid.UUID("6f0f3a8e-7c0b-4f3e-9a51-1f0c2d9f0a06")
"""The namespace of the claims of users' external ids (:mod:`tenantry.domain.user_claim`)."""

DIRECTORY: Final = "dir"
"""An organization's SCIM directory."""
DIRECTORY_SECRET: Final = "dsec"
"""A bearer token of a directory (its id; the token itself is never stored)."""
PUBLIC_ID_FIELDS.update({"directory_id": DIRECTORY})  # directories' events
DIRECTORY_USER: Final = "dus"
"""A SCIM user of a directory (its SCIM ``id``)."""
DIRECTORY_GROUP: Final = "dgp"
"""A SCIM group of a directory (its SCIM ``id``)."""
NS_DIRECTORY_ROSTER: Final = uuid.UUID("a2eb8ade-6021-4351-8260-148b274f495c")
"""Namespace of the rosters' ids: one roster of SCIM users and groups per directory."""
PUBLIC_ID_FIELDS.update(
    {"directory_user_id": DIRECTORY_USER, "directory_group_id": DIRECTORY_GROUP}
)  # provisioning's events

PORTAL_LINK: Final = "lnk"
"""A link into an organization's admin portal (its id; the link's secret is never stored)."""
DASHBOARD_LOGIN: Final = "dln"
"""A one-time login link to the vendor's dashboard."""
PUBLIC_ID_FIELDS.update({"link_id": PORTAL_LINK})  # the organization's portal-link events
