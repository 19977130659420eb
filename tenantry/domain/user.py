"""The User aggregate: a person, one identity across every organization they belong to.

A user is keyed by ``uuid5(namespace, e-mail)``, so e-mails are unique by construction. It moved
here from :mod:`tenantry.domain.membership` and keeps that module's topics (see
:mod:`tenantry.domain.base`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids, values
from tenantry.domain.base import Aggregate, AggregateState

_STORED_AS = "tenantry.domain.membership:User"


class UserState(AggregateState):
    email: str


class User(Aggregate):
    """A person, identified across organizations by e-mail."""

    TOPIC = _STORED_AS
    State = UserState
    if TYPE_CHECKING:
        state: UserState

    class Event(Aggregate.Event):
        pass

    class Created(Event, Aggregate.Created):
        TOPIC: ClassVar[str] = f"{_STORED_AS}.Created"

    class Registered(Event, CanInitAggregate[UUID]):
        TOPIC: ClassVar[str] = f"{_STORED_AS}.Registered"
        originator_topic: str
        email: str

        def apply(self, aggregate: Any) -> None:
            aggregate.state = UserState(email=self.email)

    @classmethod
    def register(cls, email: str, now: datetime, actor: str) -> User:
        return cls._create(
            cls.Registered, id=ids.user_uuid(email), timestamp=now, actor=actor, email=email
        )

    @property
    def public_id(self) -> str:
        return ids.encode(ids.USER, self.id)


def parse_user_reference(reference: str) -> UUID:
    """The id of a user as commands and queries name one: by its ``usr_`` id or by its e-mail
    (an e-mail names a user whether or not one is registered: the id follows from it)."""
    if isinstance(reference, str) and reference.startswith(f"{ids.USER}_"):
        return ids.decode(ids.USER, reference, "user_id")
    return ids.user_uuid(values.email(reference, "user"))
