"""The SigningKey aggregate: the audit record of a token signing key's life (created, retired),
with who did each.

The keys themselves live beside the events (:mod:`tenantry.adapters.auth.keys`); these events
record only the key's id (``kid``), whether its private part is encrypted at rest, and why it was
retired — never key material. The aggregate is keyed by ``uuid5(namespace, kid)``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain.base import Act, Aggregate, AggregateState

NS_SIGNING_KEY: Final = uuid.UUID("0c5e6f52-3a41-4c8e-b0d9-7a2f4e1b9c63")


class SigningKeyState(AggregateState):
    kid: str
    encrypted: bool | None
    retired: bool = False


class SigningKey(Aggregate):
    """A token signing key's lifecycle, as the audit history shows it."""

    State = SigningKeyState
    if TYPE_CHECKING:
        state: SigningKeyState

    class Event(Aggregate.Event):
        pass

    class Created(Event, CanInitAggregate[UUID]):
        """A new key signs tokens from now on (the one before keeps verifying its own)."""

        originator_topic: str
        kid: str
        encrypted: bool | None
        """Whether its private part is stored encrypted (``TENANTRY_KEY_ENCRYPTION_KEY``);
        ``None``: not known (a key created before these records were kept)."""

        def apply(self, aggregate: Any) -> None:
            aggregate.state = SigningKeyState(kid=self.kid, encrypted=self.encrypted)

    class Retired(Event):
        """The key stopped verifying: tokens it signed stopped working."""

        forced: bool = False
        """Retired before the tokens it signed could all have expired."""

        def apply(self, aggregate: Any) -> None:
            aggregate.state.retired = True

    @staticmethod
    def create_id(kid: str) -> UUID:
        return uuid.uuid5(NS_SIGNING_KEY, kid)

    @classmethod
    def create(cls, kid: str, encrypted: bool | None, act: Act) -> SigningKey:
        return cls._create(
            cls.Created,
            id=cls.create_id(kid),
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            kid=kid,
            encrypted=encrypted,
        )

    def retire(self, forced: bool, act: Act) -> None:
        if not self.state.retired:
            self._record(self.Retired, act, forced=forced)
