"""The DirectoryUser aggregate: one SCIM user a directory pushed, as its document, and the tenantry
user (by e-mail) it stands for in the directory's organization.

The document is the directory's; the person is found from it by the directory's mapping (the
application reads the e-mail with it and hands it over). ``active`` is the document's: a user is
active unless the directory says ``"active": false``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids, scim_documents, values
from tenantry.domain.base import Act, Aggregate, AggregateState
from tenantry.domain.errors import NothingChanged
from tenantry.domain.scim_documents import ScimKind, ScimResource


class DirectoryUserState(AggregateState):
    directory_id: UUID
    organization_id: UUID
    document: dict[str, Any]
    user_id: UUID
    email: str
    deleted: bool = False


class DirectoryUser(ScimResource):
    """A directory's SCIM user (see the module's docstring)."""

    KIND = ScimKind.USER
    PREFIX = ids.DIRECTORY_USER
    State = DirectoryUserState
    if TYPE_CHECKING:
        state: DirectoryUserState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: DirectoryUserState) -> None:
            pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
        directory_id: UUID
        organization_id: UUID
        document: dict[str, Any]
        user_id: UUID
        email: str

        def apply(self, aggregate: Any) -> None:
            aggregate.state = DirectoryUserState(
                directory_id=self.directory_id,
                organization_id=self.organization_id,
                document=dict(self.document),
                user_id=self.user_id,
                email=self.email,
            )

    class Replaced(Event):
        """The directory's new document; the person it names (the same one, or another)."""

        document: dict[str, Any]
        user_id: UUID
        email: str

        def apply_to(self, s: DirectoryUserState) -> None:
            s.document = dict(self.document)
            s.user_id = self.user_id
            s.email = self.email

    class Deleted(Event):
        def apply_to(self, s: DirectoryUserState) -> None:
            s.deleted = True

    @classmethod
    def create(
        cls,
        directory_user_id: UUID,
        directory_id: UUID,
        organization_id: UUID,
        document: Mapping[str, Any],
        email: str,
        act: Act,
    ) -> DirectoryUser:
        doc = scim_documents.document(document, ScimKind.USER)
        address = values.email(email)
        return cls._create(
            cls.Created,
            id=directory_user_id,
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            directory_id=directory_id,
            organization_id=organization_id,
            document=doc,
            user_id=ids.user_uuid(address),
            email=address,
        )

    @property
    def active(self) -> bool:
        return scim_documents.is_active(self.state.document)

    @property
    def user_name(self) -> str:
        return str(self.state.document["userName"])

    def replace(self, document: Mapping[str, Any], email: str, act: Act) -> None:
        """Takes the directory's new document (and the e-mail the mapping reads from it);
        :class:`NothingChanged` if both are as they were."""
        self.check_exists()
        doc = scim_documents.document(document, ScimKind.USER)
        address = values.email(email)
        if doc == self.state.document and address == self.state.email:
            raise NothingChanged("document")
        self._record(
            self.Replaced, act, document=doc, user_id=ids.user_uuid(address), email=address
        )

    def delete(self, act: Act) -> None:
        self.check_exists()
        self._record(self.Deleted, act)
