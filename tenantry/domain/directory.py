"""The Directory aggregate: one organization's SCIM directory — the provider label, the mapping
of SCIM attributes to users and memberships, the enabled state and the bearer tokens the
directory's SCIM client authenticates with.

A directory provisions only while it is *active*: enabled, and its organization's ``dir_sync``
feature on; turning the feature off stops provisioning without touching the directory or what it
synced. A token is only ever recorded as its SHA-256 hash and its last four characters (to tell
tokens apart): the token itself is shown once, when it is made, and never stored. Issuing a token
expires the older live ones at once, or at the end of a grace period.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.domain import CanInitAggregate
from pydantic import BaseModel, ConfigDict, Field

from tenantry.domain import ids
from tenantry.domain.base import Act, Aggregate, AggregateState, Timestamp
from tenantry.domain.directory_errors import DirectorySecretNotFound
from tenantry.domain.directory_values import DirectoryMapping, DirectoryProvider
from tenantry.domain.errors import InvalidField, NothingChanged
from tenantry.domain.feature_errors import FeatureDisabled

DIR_SYNC_FEATURE: Final = "dir_sync"
GRACE_PERIOD_MAX: Final = timedelta(days=30)
SUFFIX_LENGTH: Final = 4


def token_hash(token: str) -> str:
    """The SHA-256 of a bearer token, in hex: what is recorded instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SecretStatus(StrEnum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


class DirectorySecret(BaseModel):
    """A bearer token as it is recorded: its id, hash, last characters and life."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    hash: str = Field(repr=False)  # out of logs too
    suffix: str
    created: Timestamp
    expires_at: Timestamp | None = None
    revoked_at: Timestamp | None = None

    def status(self, now: datetime) -> SecretStatus:
        if self.revoked_at is not None:
            return SecretStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return SecretStatus.EXPIRED
        return SecretStatus.ACTIVE

    @property
    def public_id(self) -> str:
        return ids.encode(ids.DIRECTORY_SECRET, self.id)


class DirectoryState(AggregateState):
    organization_id: UUID
    provider: DirectoryProvider
    name: str | None = None
    enabled: bool = False
    mapping: DirectoryMapping = DirectoryMapping()
    secrets: list[DirectorySecret] = []
    deleted: bool = False


class Directory(Aggregate):
    """An organization's SCIM directory (see the module's docstring)."""

    State = DirectoryState
    if TYPE_CHECKING:
        state: DirectoryState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: DirectoryState) -> None:
            pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
        organization_id: UUID
        provider: DirectoryProvider
        name: str | None = None

        def apply(self, aggregate: Any) -> None:
            aggregate.state = DirectoryState(
                organization_id=self.organization_id, provider=self.provider, name=self.name
            )

    class Updated(Event):
        """New settings (each the whole new value; ``None``: unchanged, except the name, which
        changes when ``renamed``)."""

        provider: DirectoryProvider | None = None
        name: str | None = None
        renamed: bool = False
        mapping: DirectoryMapping | None = None

        def apply_to(self, s: DirectoryState) -> None:
            s.provider = self.provider or s.provider
            s.name = self.name if self.renamed else s.name
            s.mapping = self.mapping or s.mapping

    class Enabled(Event):
        def apply_to(self, s: DirectoryState) -> None:
            s.enabled = True

    class Disabled(Event):
        def apply_to(self, s: DirectoryState) -> None:
            s.enabled = False

    class Deleted(Event):
        def apply_to(self, s: DirectoryState) -> None:
            s.deleted = True
            s.enabled = False

    class SecretIssued(Event):
        """A new token (its hash and last characters); every older live token expires at
        ``older_expire_at`` (the issue's time, or the end of its grace period) unless it
        expires sooner."""

        secret_id: UUID
        secret_hash: str
        secret_suffix: str
        older_expire_at: Timestamp

        def apply_to(self, s: DirectoryState) -> None:
            cut = self.older_expire_at
            older = [
                x
                if x.revoked_at is not None or (x.expires_at is not None and x.expires_at <= cut)
                else x.model_copy(update={"expires_at": cut})
                for x in s.secrets
            ]
            new = DirectorySecret(
                id=self.secret_id,
                hash=self.secret_hash,
                suffix=self.secret_suffix,
                created=self.timestamp,
            )
            s.secrets = [*older, new]

    class SecretRevoked(Event):
        secret_id: UUID

        def apply_to(self, s: DirectoryState) -> None:
            s.secrets = [
                x.model_copy(update={"revoked_at": self.timestamp}) if x.id == self.secret_id else x
                for x in s.secrets
            ]

    @classmethod
    def create(
        cls,
        directory_id: UUID,
        organization_id: UUID,
        provider: DirectoryProvider,
        name: str | None,
        act: Act,
    ) -> Directory:
        return cls._create(
            cls.Created,
            id=directory_id,
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            organization_id=organization_id,
            provider=provider,
            name=name,
        )

    @property
    def public_id(self) -> str:
        return ids.encode(ids.DIRECTORY, self.id)

    @property
    def actor(self) -> str:
        """Who the directory's own changes (its SCIM pushes) are recorded as."""
        return f"directory:{self.public_id}"

    def is_active(self, dir_sync_on: bool) -> bool:
        """Whether it provisions: enabled, and the organization's ``dir_sync`` feature on."""
        return self.state.enabled and dir_sync_on and not self.state.deleted

    def update(
        self,
        act: Act,
        *,
        provider: DirectoryProvider | None = None,
        name: str | EllipsisType | None = ...,
        mapping: DirectoryMapping | None = None,
    ) -> None:
        """Changes the provider label, the name (``...``: unchanged; ``None``: none) and the
        mapping, as one change; something must change."""
        s = self.state
        changes: dict[str, Any] = {}
        if provider is not None and provider != s.provider:
            changes["provider"] = provider
        if not isinstance(name, EllipsisType) and name != s.name:
            changes.update(name=name, renamed=True)
        if mapping is not None and mapping != s.mapping:
            changes["mapping"] = mapping
        if not changes:
            raise NothingChanged("directory")
        self._record(self.Updated, act, **changes)

    def enable(self, dir_sync_on: bool, act: Act) -> None:
        """Starts provisioning: needs the organization's ``dir_sync`` feature on."""
        if self.state.enabled:
            raise NothingChanged("enabled")
        if not dir_sync_on:
            raise FeatureDisabled(ids.encode(ids.ORG, self.state.organization_id), DIR_SYNC_FEATURE)
        self._record(self.Enabled, act)

    def disable(self, act: Act) -> None:
        """Stops provisioning; what the directory synced stays."""
        if not self.state.enabled:
            raise NothingChanged("enabled")
        self._record(self.Disabled, act)

    def delete(self, act: Act) -> None:
        self._record(self.Deleted, act)

    def issue_secret(
        self, secret_id: UUID, token: str, grace_period: timedelta | None, act: Act
    ) -> DirectorySecret:
        """Records a new token (only its hash and last characters); the older live ones expire
        now, or once ``grace_period`` (at most :data:`GRACE_PERIOD_MAX`) has passed."""
        grace = timedelta(0) if grace_period is None else grace_period
        if not timedelta(0) <= grace <= GRACE_PERIOD_MAX:
            raise InvalidField("grace_period", f"must be from 0 to {GRACE_PERIOD_MAX.days} days")
        if len(token) < 32:
            raise InvalidField("token", "must be at least 32 characters")  # never the token
        self._record(
            self.SecretIssued,
            act,
            secret_id=secret_id,
            secret_hash=token_hash(token),
            secret_suffix=token[-SUFFIX_LENGTH:],
            older_expire_at=act.now + grace,
        )
        return self.state.secrets[-1]

    def revoke_secret(self, secret_id: UUID, act: Act) -> None:
        """Revokes a token at once (one already revoked: :class:`NothingChanged`)."""
        secret = self.secret(secret_id)
        if secret.revoked_at is not None:
            raise NothingChanged("secret")
        self._record(self.SecretRevoked, act, secret_id=secret_id)

    def secret(self, secret_id: UUID) -> DirectorySecret:
        for secret in self.state.secrets:
            if secret.id == secret_id:
                return secret
        raise DirectorySecretNotFound(self.public_id, ids.encode(ids.DIRECTORY_SECRET, secret_id))

    def accepts(self, token: str, now: datetime) -> bool:
        """Whether ``token`` is one of the directory's live tokens (compared in constant time
        with every one of them)."""
        given = token_hash(token)
        accepted = False
        for secret in self.state.secrets:
            same = hmac.compare_digest(given, secret.hash)
            accepted |= same and secret.status(now) == SecretStatus.ACTIVE
        return accepted
