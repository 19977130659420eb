"""The KeyClaim aggregate: keeps a natural key (external id, slug) unique among live
organizations. It moved here from :mod:`tenantry.domain.membership` and keeps that module's
topics (see :mod:`tenantry.domain.base`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain.base import Aggregate, AggregateState

_STORED_AS = "tenantry.domain.membership:KeyClaim"


class KeyClaimState(AggregateState):
    kind: str
    key: str
    organization_id: UUID | None


class KeyClaim(Aggregate):
    """Holds one natural key (an external id or a slug) for at most one live organization.

    Its id is ``uuid5(namespace-of-kind, key)``: two racing claims of the same key write the same
    aggregate version, and the store lets only one of them commit.
    """

    TOPIC = _STORED_AS
    State = KeyClaimState
    if TYPE_CHECKING:
        state: KeyClaimState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: KeyClaimState) -> None:
            pass

    class Created(Event, Aggregate.Created):
        TOPIC: ClassVar[str] = f"{_STORED_AS}.Created"

    class Claimed(Event, CanInitAggregate[UUID]):
        TOPIC: ClassVar[str] = f"{_STORED_AS}.Claimed"
        originator_topic: str
        kind: str
        key: str
        organization_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.state = KeyClaimState(
                kind=self.kind, key=self.key, organization_id=self.organization_id
            )

    class Released(Event):
        TOPIC: ClassVar[str] = f"{_STORED_AS}.Released"

        def apply_to(self, s: KeyClaimState) -> None:
            s.organization_id = None

    class Reclaimed(Event):
        """Claimed again, after a release."""

        TOPIC: ClassVar[str] = f"{_STORED_AS}.Reclaimed"
        organization_id: UUID

        def apply_to(self, s: KeyClaimState) -> None:
            s.organization_id = self.organization_id

    @classmethod
    def claim(
        cls, *, id: UUID, kind: str, key: str, organization_id: UUID, now: datetime, actor: str
    ) -> KeyClaim:
        return cls._create(
            cls.Claimed,
            id=id,
            timestamp=now,
            actor=actor,
            kind=kind,
            key=key,
            organization_id=organization_id,
        )

    @property
    def holder(self) -> UUID | None:
        return self.state.organization_id

    def reclaim(self, organization_id: UUID, now: datetime, actor: str) -> None:
        """The caller checks :attr:`holder` first (and raises the kind's Conflict error)."""
        self._trigger(self.Reclaimed, now, actor, organization_id=organization_id)

    def release(self, organization_id: UUID, now: datetime, actor: str) -> None:
        if self.state.organization_id == organization_id:
            self._trigger(self.Released, now, actor)
