"""The DashboardLogin aggregate: a one-time link that signs an operator of the vendor into the
dashboard (``tenantry dashboard login`` prints it), and the session its opening started.

The link can be opened once, within 15 minutes; its session lasts 6 hours or until signed out.
Its secret and the session's are recorded only as their SHA-256 hashes. It belongs to the
environment, not to an organization: its events are recorded with the operator's actor.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.domain import CanInitAggregate
from pydantic import Field

from tenantry.domain import ids
from tenantry.domain.base import Act, Aggregate, AggregateState, Timestamp
from tenantry.domain.errors import NothingChanged
from tenantry.domain.portal_link_errors import (
    DashboardLoginHasExpired,
    DashboardLoginInvalid,
    DashboardLoginUsed,
)
from tenantry.domain.portal_link_values import (
    SESSION_LIFETIME,
    LinkSession,
    same_secret,
    secret_hash,
)


class DashboardLoginState(AggregateState):
    operator: str
    secret_hash: str = Field(repr=False)
    expire_time: Timestamp
    session: LinkSession | None = None


class DashboardLogin(Aggregate):
    """A one-time dashboard login link (see the module's docstring)."""

    State = DashboardLoginState
    if TYPE_CHECKING:
        state: DashboardLoginState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: DashboardLoginState) -> None:
            pass

    class Issued(Event, CanInitAggregate[UUID]):
        originator_topic: str
        operator: str
        secret_hash: str
        expire_time: Timestamp

        def apply(self, aggregate: Any) -> None:
            aggregate.state = DashboardLoginState(
                operator=self.operator, secret_hash=self.secret_hash, expire_time=self.expire_time
            )

    class Opened(Event):
        session_id: UUID
        session_hash: str
        session_expire_time: Timestamp

        def apply_to(self, s: DashboardLoginState) -> None:
            s.session = LinkSession(
                id=self.session_id, hash=self.session_hash, expire_time=self.session_expire_time
            )

    class SessionEnded(Event):
        def apply_to(self, s: DashboardLoginState) -> None:
            if s.session is not None:
                s.session = s.session.model_copy(update={"ended_at": self.timestamp})

    @classmethod
    def issue(
        cls, login_id: UUID, operator: str, secret: str, expire_time: datetime, act: Act
    ) -> DashboardLogin:
        """A new login link for ``operator`` (checked by the caller); only the secret's hash is
        recorded."""
        return cls._create(
            cls.Issued,
            id=login_id,
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            operator=operator,
            secret_hash=secret_hash(secret),
            expire_time=expire_time,
        )

    @property
    def public_id(self) -> str:
        return ids.encode(ids.DASHBOARD_LOGIN, self.id)

    @property
    def actor(self) -> str:
        """Who the dashboard session's changes are recorded as."""
        return f"dashboard:{self.state.operator}"

    def open(self, secret: str, session_id: UUID, session_secret: str, act: Act) -> LinkSession:
        """Starts the session if ``secret`` is the link's and the link was neither opened nor is
        past its time."""
        if not same_secret(secret, self.state.secret_hash):
            raise DashboardLoginInvalid()
        if self.state.session is not None:
            raise DashboardLoginUsed(self.public_id)
        if act.now >= self.state.expire_time:
            raise DashboardLoginHasExpired(self.public_id, self.state.expire_time)
        self._record(
            self.Opened,
            act,
            session_id=session_id,
            session_hash=secret_hash(session_secret),
            session_expire_time=act.now + SESSION_LIFETIME,
        )
        return cast(LinkSession, self.state.session)  # just recorded

    def session(self, session_id: UUID, secret: str, now: datetime) -> LinkSession | None:
        """The live session, if ``session_id`` and ``secret`` are its."""
        x = self.state.session
        if x is None or x.id != session_id or not same_secret(secret, x.hash):
            return None
        return x if x.live(now) else None

    def end_session(self, act: Act) -> None:
        x = self.state.session
        if x is None or not x.live(act.now):
            raise NothingChanged("session")
        self._record(self.SessionEnded, act)
