"""The KeyClaim aggregate: keeps a natural key (external id, slug) unique among live
organizations. It moved here from :mod:`tenantry.domain.membership` and keeps that module's
topics (see :mod:`tenantry.domain.base`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final
from uuid import UUID, uuid5

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids
from tenantry.domain.base import Aggregate, AggregateState
from tenantry.domain.errors import Conflict, ExternalIdTaken, SlugTaken

EXTERNAL_ID: Final = "external_id"
SLUG: Final = "slug"
_NAMESPACES: Final = {EXTERNAL_ID: ids.NS_EXTERNAL_ID, SLUG: ids.NS_SLUG}

_STORED_AS = "tenantry.domain.membership:KeyClaim"


class KeyClaimState(AggregateState):
    kind: str
    key: str
    organization_id: UUID | None


class KeyClaim(Aggregate):
    """Holds one natural key (an external id or a slug) for at most one live organization.

    Its id is ``uuid5(namespace-of-kind, key)`` (:meth:`create_id`): two racing claims of the same
    key write the same aggregate version, and the store lets only one of them commit.
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

    @staticmethod
    def create_id(kind: str, key: str) -> UUID:
        """The id of the claim of ``key``: found from the key alone, one claim per key."""
        return uuid5(_NAMESPACES[kind], key)

    @classmethod
    def claim(
        cls,
        *,
        id: UUID | None = None,
        kind: str,
        key: str,
        organization_id: UUID,
        now: datetime,
        actor: str,
    ) -> KeyClaim:
        """The first claim of ``key`` (its id is :meth:`create_id` unless given)."""
        return cls._create(
            cls.Claimed,
            id=cls.create_id(kind, key) if id is None else id,
            timestamp=now,
            actor=actor,
            kind=kind,
            key=key,
            organization_id=organization_id,
        )

    @property
    def holder(self) -> UUID | None:
        return self.state.organization_id

    def claim_for(self, organization_id: UUID, now: datetime, actor: str) -> bool:
        """Takes the key for ``organization_id``. Raises the kind's conflict
        (:class:`ExternalIdTaken`, :class:`SlugTaken`) while another organization holds it;
        returns False, recording nothing, if this one holds it already."""
        if self.holder == organization_id:
            return False
        if self.holder is not None:
            raise self.taken()
        self.reclaim(organization_id, now, actor)
        return True

    def taken(self) -> Conflict:
        """The conflict of another organization asking for this claim's key."""
        key = self.state.key
        return ExternalIdTaken(key) if self.state.kind == EXTERNAL_ID else SlugTaken(key)

    def reclaim(self, organization_id: UUID, now: datetime, actor: str) -> None:
        """Takes a released key; :meth:`claim_for` checks that it is free first."""
        self._trigger(self.Reclaimed, now, actor, organization_id=organization_id)

    def release(self, organization_id: UUID, now: datetime, actor: str) -> None:
        if self.state.organization_id == organization_id:
            self._trigger(self.Released, now, actor)
