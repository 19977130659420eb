"""The UserExternalIdClaim aggregate: keeps an external id unique among live users.

Its id is ``uuid5(NS_USER_EXTERNAL_ID, external id)`` (:meth:`UserExternalIdClaim.create_id`):
two racing claims of one key write the same aggregate version and the store commits only one.
It is saved in the same ``save(...)`` as the user, and a deleted user releases it, so the key
can be reused. (Organizations' keys are :class:`~tenantry.domain.key_claim.KeyClaim`s: their
events name the organization, as the audit reads them; these name the user.)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids
from tenantry.domain.base import Aggregate, AggregateState
from tenantry.domain.user_errors import UserExternalIdTaken

_TOPIC = "tenantry.domain.user_claim:UserExternalIdClaim"


class UserClaimState(AggregateState):
    key: str
    user_id: UUID | None


class UserExternalIdClaim(Aggregate):
    """Holds one external id for at most one live user (see the module's docstring)."""

    TOPIC = _TOPIC
    State = UserClaimState
    if TYPE_CHECKING:
        state: UserClaimState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: UserClaimState) -> None:
            pass

    class Created(Event, Aggregate.Created):
        TOPIC: ClassVar[str] = f"{_TOPIC}.Created"

    class Taken(Event, CanInitAggregate[UUID]):
        TOPIC: ClassVar[str] = f"{_TOPIC}.Taken"
        originator_topic: str
        key: str
        user_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.state = UserClaimState(key=self.key, user_id=self.user_id)

    class Released(Event):
        TOPIC: ClassVar[str] = f"{_TOPIC}.Released"

        def apply_to(self, s: UserClaimState) -> None:
            s.user_id = None

    class Retaken(Event):
        """Taken again, after a release."""

        TOPIC: ClassVar[str] = f"{_TOPIC}.Retaken"
        user_id: UUID

        def apply_to(self, s: UserClaimState) -> None:
            s.user_id = self.user_id

    @staticmethod
    def create_id(key: str) -> UUID:
        return uuid5(ids.NS_USER_EXTERNAL_ID, key)

    @classmethod
    def first(cls, key: str, user_id: UUID, now: datetime, actor: str) -> UserExternalIdClaim:
        """The first claim ever of ``key``."""
        return cls._create(
            cls.Taken, id=cls.create_id(key), timestamp=now, actor=actor, key=key, user_id=user_id
        )

    @property
    def holder(self) -> UUID | None:
        return self.state.user_id

    def take_for(self, user_id: UUID, now: datetime, actor: str) -> bool:
        """Takes the key for ``user_id``; :class:`UserExternalIdTaken` while another live user
        holds it; False, recording nothing, if this one holds it already."""
        if self.holder == user_id:
            return False
        if self.holder is not None:
            raise UserExternalIdTaken(self.state.key)
        self._trigger(self.Retaken, now, actor, user_id=user_id)
        return True

    def release(self, user_id: UUID, now: datetime, actor: str) -> None:
        if self.holder == user_id:
            self._trigger(self.Released, now, actor)
