"""The SsoRegistry aggregate: the connections, domains and SCIM directories of one organization,
in the order they were added. It is saved with each connection, domain or directory it lists,
so listing and home-realm discovery read it from the event store alone, on every backend, and
two commands adding the same domain to one organization race on it: one commits, the other is
retried and refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids
from tenantry.domain.base import Act, Aggregate, AggregateState
from tenantry.domain.connection_errors import DomainAlreadyAdded


class SsoRegistryState(AggregateState):
    organization_id: UUID
    connections: list[UUID] = []
    domains: dict[str, UUID] = {}
    directories: list[UUID] = []


class SsoRegistry(Aggregate):
    """One organization's connections and domains (see the module's docstring)."""

    State = SsoRegistryState
    if TYPE_CHECKING:
        state: SsoRegistryState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: SsoRegistryState) -> None:
            pass

    class Opened(Event, CanInitAggregate[UUID]):
        originator_topic: str
        organization_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.state = SsoRegistryState(organization_id=self.organization_id)

    class ConnectionListed(Event):
        connection_id: UUID

        def apply_to(self, s: SsoRegistryState) -> None:
            s.connections = [*s.connections, self.connection_id]

    class ConnectionUnlisted(Event):
        connection_id: UUID

        def apply_to(self, s: SsoRegistryState) -> None:
            s.connections = [c for c in s.connections if c != self.connection_id]

    class DomainListed(Event):
        name: str
        domain_id: UUID

        def apply_to(self, s: SsoRegistryState) -> None:
            s.domains = {**s.domains, self.name: self.domain_id}

    class DomainUnlisted(Event):
        name: str

        def apply_to(self, s: SsoRegistryState) -> None:
            s.domains = {k: v for k, v in s.domains.items() if k != self.name}

    class DirectoryListed(Event):
        directory_id: UUID

        def apply_to(self, s: SsoRegistryState) -> None:
            s.directories = [*s.directories, self.directory_id]

    class DirectoryUnlisted(Event):
        directory_id: UUID

        def apply_to(self, s: SsoRegistryState) -> None:
            s.directories = [d for d in s.directories if d != self.directory_id]

    @staticmethod
    def create_id(organization_id: UUID) -> UUID:
        return uuid5(ids.NS_SSO_REGISTRY, organization_id.hex)

    @classmethod
    def open(cls, organization_id: UUID, act: Act) -> SsoRegistry:
        return cls._create(
            cls.Opened,
            id=cls.create_id(organization_id),
            timestamp=act.now,
            actor=act.actor,
            organization_id=organization_id,
        )

    def list_connection(self, connection_id: UUID, act: Act) -> None:
        self._record(self.ConnectionListed, act, connection_id=connection_id)

    def unlist_connection(self, connection_id: UUID, act: Act) -> None:
        if connection_id in self.state.connections:
            self._record(self.ConnectionUnlisted, act, connection_id=connection_id)

    def list_domain(self, name: str, domain_id: UUID, act: Act) -> None:
        if name in self.state.domains:
            raise DomainAlreadyAdded(name)
        self._record(self.DomainListed, act, name=name, domain_id=domain_id)

    def unlist_domain(self, name: str, act: Act) -> None:
        if name in self.state.domains:
            self._record(self.DomainUnlisted, act, name=name)

    def list_directory(self, directory_id: UUID, act: Act) -> None:
        self._record(self.DirectoryListed, act, directory_id=directory_id)

    def unlist_directory(self, directory_id: UUID, act: Act) -> None:
        if directory_id in self.state.directories:
            self._record(self.DirectoryUnlisted, act, directory_id=directory_id)
