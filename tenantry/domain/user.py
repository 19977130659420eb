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
from tenantry.domain.base import Act, Aggregate, AggregateState, Timestamp
from tenantry.domain.errors import NothingChanged, UserNotFound
from tenantry.domain.user_values import UserProfile

_STORED_AS = "tenantry.domain.membership:User"


class UserState(AggregateState):
    email: str
    external_id: str | None = None
    metadata: dict[str, str] = {}
    user_profile: UserProfile = UserProfile()
    registered_at: Timestamp | None = None  # None: registered before it was recorded here
    deleted: bool = False


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
            aggregate.state = UserState(email=self.email, registered_at=self.timestamp)

    class Applied(Event):
        """Base of the events that change a registered user."""

        TOPIC: ClassVar[str] = f"{_STORED_AS}.Applied"

        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: UserState) -> None:
            pass

    class ExternalIdChanged(Applied):
        TOPIC: ClassVar[str] = f"{_STORED_AS}.ExternalIdChanged"
        external_id: str | None

        def apply_to(self, s: UserState) -> None:
            s.external_id = self.external_id

    class MetadataChanged(Applied):
        TOPIC: ClassVar[str] = f"{_STORED_AS}.MetadataChanged"
        metadata: dict[str, str]

        def apply_to(self, s: UserState) -> None:
            s.metadata = dict(self.metadata)

    class ProfileChanged(Applied):
        TOPIC: ClassVar[str] = f"{_STORED_AS}.ProfileChanged"
        user_profile: UserProfile

        def apply_to(self, s: UserState) -> None:
            s.user_profile = self.user_profile

    class Deleted(Applied):
        """The user was deleted (after every membership of theirs was removed)."""

        TOPIC: ClassVar[str] = f"{_STORED_AS}.Deleted"

        def apply_to(self, s: UserState) -> None:
            s.deleted = True
            s.external_id = None

    class Reregistered(Applied):
        """A deleted user's e-mail was admitted again: the user is back, with no profile,
        metadata or external id (the id follows from the e-mail, so it is the same)."""

        TOPIC: ClassVar[str] = f"{_STORED_AS}.Reregistered"

        def apply(self, aggregate: Any) -> None:
            aggregate.state = UserState(email=aggregate.state.email, registered_at=self.timestamp)

    @classmethod
    def register(cls, email: str, now: datetime, actor: str) -> User:
        return cls._create(
            cls.Registered, id=ids.user_uuid(email), timestamp=now, actor=actor, email=email
        )

    @property
    def public_id(self) -> str:
        return ids.encode(ids.USER, self.id)

    @property
    def is_deleted(self) -> bool:
        return self.state.deleted

    def check_live(self) -> None:
        if self.state.deleted:
            raise UserNotFound(self.public_id)

    def change_external_id(self, external_id: str | None, act: Act) -> None:
        self.check_live()
        if external_id == self.state.external_id:
            raise NothingChanged("external_id")
        self._record(self.ExternalIdChanged, act, external_id=external_id)

    def change_metadata(self, metadata: dict[str, str], act: Act) -> None:
        self.check_live()
        if metadata == self.state.metadata:
            raise NothingChanged("metadata")
        self._record(self.MetadataChanged, act, metadata=metadata)

    def change_profile(self, profile: UserProfile, act: Act) -> None:
        self.check_live()
        if profile == self.state.user_profile:
            raise NothingChanged("user_profile")
        self._record(self.ProfileChanged, act, user_profile=profile)

    def delete(self, act: Act) -> None:
        self.check_live()
        self._record(self.Deleted, act)

    def reregister(self, act: Act) -> None:
        """Brings a deleted user back (an admission of their e-mail); nothing if live."""
        if self.state.deleted:
            self._record(self.Reregistered, act)


def parse_user_reference(reference: str) -> UUID:
    """The id of a user as commands and queries name one: by its ``usr_`` id or by its e-mail
    (an e-mail names a user whether or not one is registered: the id follows from it)."""
    if isinstance(reference, str) and reference.startswith(f"{ids.USER}_"):
        return ids.decode(ids.USER, reference, "user_id")
    return ids.user_uuid(values.email(reference, "user"))
