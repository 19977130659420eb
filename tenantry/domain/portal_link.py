"""The PortalLink aggregate: a link into one organization's admin portal, for some of its
features, and the sessions its openings started.

A link is *single-use* (the API's: it can be opened once, within a minute) or *shareable* (the
dashboard's: opened as often as wanted for 7 days); each opening starts a session of 6 hours
bound to the link's organization and features. Revoking a link ends its sessions at once. The
link's secret and each session's secret are recorded only as their SHA-256 hashes. Once a link
can no longer be opened and none of its sessions can still be live, the expiry sweep records
that it is over (``Expired``).

Each of its events is paired with one of the organization's (``PortalLink*``, saved in the same
transaction), so the organization's history shows every generation, opening, sign-out,
revocation and expiry with its actor; the organization keeps only which links may still matter
(``portal_links``), so that listing, revoking all and the sweep find them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import CanInitAggregate
from pydantic import Field

from tenantry.domain import ids
from tenantry.domain.base import Act, Aggregate, AggregateState, Timestamp
from tenantry.domain.errors import NothingChanged
from tenantry.domain.portal_link_errors import (
    PortalLinkHasExpired,
    PortalLinkInvalid,
    PortalLinkUsed,
    PortalLinkWasRevoked,
)
from tenantry.domain.portal_link_values import (
    SESSION_LIFETIME,
    LinkSession,
    same_secret,
    secret_hash,
)


class LinkStatus(StrEnum):
    ACTIVE = "ACTIVE"
    """It can be opened."""
    USED = "USED"
    """A single-use link that was opened (its session may still be live)."""
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


class PortalLinkState(AggregateState):
    organization_id: UUID
    features: list[str]
    shareable: bool
    secret_hash: str = Field(repr=False)
    expire_time: Timestamp
    sessions: list[LinkSession] = []
    revoked_at: Timestamp | None = None
    over: bool = False


class PortalLink(Aggregate):
    """A link into an organization's admin portal (see the module's docstring)."""

    State = PortalLinkState
    if TYPE_CHECKING:
        state: PortalLinkState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: PortalLinkState) -> None:
            pass

    class Generated(Event, CanInitAggregate[UUID]):
        originator_topic: str
        organization_id: UUID
        features: list[str]
        shareable: bool
        secret_hash: str
        expire_time: Timestamp

        def apply(self, aggregate: Any) -> None:
            aggregate.state = PortalLinkState(
                organization_id=self.organization_id,
                features=list(self.features),
                shareable=self.shareable,
                secret_hash=self.secret_hash,
                expire_time=self.expire_time,
            )

    class Opened(Event):
        """A session started (its secret's hash; it ends at ``session_expire_time``)."""

        session_id: UUID
        session_hash: str
        session_expire_time: Timestamp

        def apply_to(self, s: PortalLinkState) -> None:
            new = LinkSession(
                id=self.session_id, hash=self.session_hash, expire_time=self.session_expire_time
            )
            s.sessions = [*s.sessions, new]

    class SessionEnded(Event):
        session_id: UUID

        def apply_to(self, s: PortalLinkState) -> None:
            s.sessions = [
                x.model_copy(update={"ended_at": self.timestamp}) if x.id == self.session_id else x
                for x in s.sessions
            ]

    class Revoked(Event):
        """The link can no longer be opened and its live sessions end."""

        def apply_to(self, s: PortalLinkState) -> None:
            s.revoked_at = self.timestamp
            s.sessions = [
                x if x.ended_at is not None else x.model_copy(update={"ended_at": self.timestamp})
                for x in s.sessions
            ]

    class Expired(Event):
        """It can no longer be opened and none of its sessions is live: it is over."""

        def apply_to(self, s: PortalLinkState) -> None:
            s.over = True

    @classmethod
    def generate(
        cls,
        link_id: UUID,
        organization_id: UUID,
        features: list[str],
        *,
        shareable: bool,
        secret: str,
        expire_time: datetime,
        act: Act,
    ) -> PortalLink:
        """A new link; ``features`` must be checked (:func:`portal_features`) and ``secret``
        made by the caller (only its hash is recorded)."""
        return cls._create(
            cls.Generated,
            id=link_id,
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            organization_id=organization_id,
            features=features,
            shareable=shareable,
            secret_hash=secret_hash(secret),
            expire_time=expire_time,
        )

    @property
    def public_id(self) -> str:
        return ids.encode(ids.PORTAL_LINK, self.id)

    @property
    def actor(self) -> str:
        """Who the link's openings and sign-outs are recorded as."""
        return f"portal:{self.public_id}"

    def status(self, now: datetime) -> LinkStatus:
        s = self.state
        if s.revoked_at is not None:
            return LinkStatus.REVOKED
        if not s.shareable and s.sessions:
            return LinkStatus.USED
        if now >= s.expire_time or s.over:
            return LinkStatus.EXPIRED
        return LinkStatus.ACTIVE

    @property
    def live_until(self) -> datetime:
        """Until when it can be opened or one of its sessions can be live."""
        return max([self.state.expire_time, *(x.expire_time for x in self.state.sessions)])

    def open(self, secret: str, session_id: UUID, session_secret: str, act: Act) -> LinkSession:
        """Starts a session of :data:`SESSION_LIFETIME` (its secret made by the caller) if
        ``secret`` is the link's and the link can be opened at ``act.now``; else refuses it,
        saying why only to the holder of the right secret."""
        if not same_secret(secret, self.state.secret_hash):
            raise PortalLinkInvalid()
        status = self.status(act.now)
        if status is LinkStatus.REVOKED:
            raise PortalLinkWasRevoked(self.public_id)
        if status is LinkStatus.USED:
            raise PortalLinkUsed(self.public_id)
        if status is LinkStatus.EXPIRED:
            raise PortalLinkHasExpired(self.public_id, self.state.expire_time)
        self._record(
            self.Opened,
            act,
            session_id=session_id,
            session_hash=secret_hash(session_secret),
            session_expire_time=act.now + SESSION_LIFETIME,
        )
        return self.state.sessions[-1]

    def session(self, session_id: UUID, secret: str, now: datetime) -> LinkSession | None:
        """The live session ``session_id`` whose secret is ``secret``, if there is one."""
        for x in self.state.sessions:
            if x.id == session_id:
                matches = same_secret(secret, x.hash)
                return x if matches and x.live(now) and self.state.revoked_at is None else None
        return None

    def end_session(self, session_id: UUID, act: Act) -> None:
        """Signs a live session out (one that ended already: :class:`NothingChanged`)."""
        if not any(x.id == session_id and x.live(act.now) for x in self.state.sessions):
            raise NothingChanged("session")
        self._record(self.SessionEnded, act, session_id=session_id)

    def revoke(self, act: Act) -> None:
        """Ends it and its sessions at once (one revoked or over already:
        :class:`NothingChanged`)."""
        if self.state.revoked_at is not None or self.state.over:
            raise NothingChanged("portal_link")
        self._record(self.Revoked, act)

    def is_due(self, now: datetime) -> bool:
        """Whether the sweep should record it over: not revoked, not over, past
        :attr:`live_until`."""
        s = self.state
        return s.revoked_at is None and not s.over and now >= self.live_until

    def expire(self, act: Act) -> None:
        if not self.is_due(act.now):
            raise NothingChanged("portal_link")
        self._record(self.Expired, act)
