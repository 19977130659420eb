"""Values shared by portal links and dashboard login links: their lifetimes, the features a
portal link may open, how a secret is recorded (its SHA-256, compared in constant time) and the
session a link's opening starts."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tenantry.domain.base import Timestamp
from tenantry.domain.errors import InvalidField

LINK_LIFETIME: Final = timedelta(minutes=1)
"""How long a single-use portal link (the API's) can be opened."""
SHAREABLE_LIFETIME: Final = timedelta(days=7)
"""How long a shareable portal link (the dashboard's) can be opened, as often as wanted."""
SESSION_LIFETIME: Final = timedelta(hours=6)
"""How long a portal or dashboard session lasts from the link's opening."""
DASHBOARD_LINK_LIFETIME: Final = timedelta(minutes=15)
"""How long a dashboard login link can be opened (once)."""

PORTAL_FEATURES: Final = ("sso", "dir_sync", "domain_verification")
"""What a portal link may open, in the order pages list them."""
DEFAULT_FEATURES: Final = ("sso", "dir_sync")
"""What a link opens when none is named (as the hosted service does)."""


def secret_hash(secret: str) -> str:
    """The SHA-256 of a secret, in hex: what is recorded instead of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(secret: str, recorded_hash: str) -> bool:
    """Whether ``secret`` is the one ``recorded_hash`` records (compared in constant time)."""
    return hmac.compare_digest(secret_hash(secret), recorded_hash)


def portal_features(value: Sequence[str] | None, field: str = "features") -> list[str]:
    """The features a portal link opens: some of :data:`PORTAL_FEATURES` (each once, in that
    order); ``None``: :data:`DEFAULT_FEATURES`."""
    if value is None:
        return list(DEFAULT_FEATURES)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InvalidField(field, f"must be a list of features: {', '.join(PORTAL_FEATURES)}")
    for item in value:
        if item not in PORTAL_FEATURES or not isinstance(item, str):
            raise InvalidField(
                field, f"must each be one of {', '.join(PORTAL_FEATURES)}; got {repr(item)[:40]}"
            )
    if not value:
        raise InvalidField(field, "must name at least one feature")
    return [f for f in PORTAL_FEATURES if f in value]


class LinkSession(BaseModel):
    """A session a link's opening started: its id, secret's hash and end."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    hash: str = Field(repr=False)
    expire_time: Timestamp
    ended_at: Timestamp | None = None

    def live(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.expire_time
