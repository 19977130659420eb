"""The ApiClient aggregate: the audit record of an API client's life (created, secret rotated,
deleted), with who did each.

The client's credentials live beside the events (:mod:`tenantry.adapters.auth`); these events
record only what an auditor needs — the client's id, name, scopes and organizations, the
secret's version — never a secret or its hash. The aggregate is keyed by
``uuid5(namespace, client_id)``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain.base import Act, Aggregate, AggregateState

NS_API_CLIENT: Final = uuid.UUID("6f0f3a8e-7c0b-4f3e-9a51-1f0c2d9f0a04")


class ApiClientState(AggregateState):
    client_id: str
    name: str
    scopes: list[str]
    secret_version: int
    organizations: list[str] | None = None
    deleted: bool = False


class ApiClient(Aggregate):
    """An API client's lifecycle, as the audit history shows it."""

    State = ApiClientState
    if TYPE_CHECKING:
        state: ApiClientState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: ApiClientState) -> None:
            pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
        client_id: str
        name: str
        scopes: list[str] = []
        """What the client may do (empty: everything, a full-environment client)."""
        organizations: list[str] | None = None
        """The organizations (``org_`` ids) it may see; ``["*"]``: every one. ``None``: recorded
        before clients' organizations were (the credentials' table has them)."""

        def apply(self, aggregate: Any) -> None:
            aggregate.state = ApiClientState(
                client_id=self.client_id,
                name=self.name,
                scopes=list(self.scopes),
                secret_version=1,
                organizations=None if self.organizations is None else list(self.organizations),
            )

    class SecretRotated(Event):
        """The client got a new secret; the old one and its tokens stopped working."""

        secret_version: int

        def apply_to(self, s: ApiClientState) -> None:
            s.secret_version = self.secret_version

    class Deleted(Event):
        def apply_to(self, s: ApiClientState) -> None:
            s.deleted = True

    @staticmethod
    def create_id(client_id: str) -> UUID:
        return uuid.uuid5(NS_API_CLIENT, client_id)

    @classmethod
    def create(
        cls,
        client_id: str,
        name: str,
        scopes: list[str],
        organizations: list[str] | None,
        act: Act,
    ) -> ApiClient:
        return cls._create(
            cls.Created,
            id=cls.create_id(client_id),
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            client_id=client_id,
            name=name,
            scopes=sorted(scopes),
            organizations=None if organizations is None else sorted(organizations),
        )

    def rotate_secret(self, secret_version: int, act: Act) -> None:
        self._record(self.SecretRotated, act, secret_version=secret_version)

    def delete(self, act: Act) -> None:
        if not self.state.deleted:
            self._record(self.Deleted, act)
