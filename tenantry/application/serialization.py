"""How events become stored records: readable JSON through pydantic, with upcasting.

An event class that changes its schema raises its ``class_version`` and defines
``upcast_v1_v2(state: dict) -> None`` (and so on); old records are upcast on load. A class that
moves gets ``eventsourcing.utils.register_topic(old_topic, new_class)``.
"""

from __future__ import annotations

from typing import Any, Final, cast
from uuid import UUID

import pydantic_core
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel, ValidationError


class JSONTranscoder(Transcoder):
    """Plain JSON bytes (pydantic-core's serializer: fast, and readable in the database)."""

    def encode(self, obj: Any) -> bytes:
        return pydantic_core.to_json(obj)

    def decode(self, data: bytes) -> Any:
        return pydantic_core.from_json(data)


BASE_FIELDS: Final = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "actor",
        "reason",
        "on_behalf_of",
        "command_id",
    }
)
"""What every event records beside its own data: where it belongs, when and who."""

OMITTED_WHEN_NONE: Final = ("on_behalf_of", "command_id")
"""Optional fields every event has that are left out of the stored JSON when unset, so events
that do not use them are stored as before they existed (their default loads them back)."""


class PydanticMapper(Mapper[UUID]):
    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        super().__init__(transcoder, compressor, cipher)
        self._classes: dict[str, tuple[type[Any], int]] = {}

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        event = cast(BaseModel, domain_event)
        state = event.model_dump(mode="json", exclude={"originator_id", "originator_version"})
        for name in OMITTED_WHEN_NONE:  # an event without them stores what it always did
            if name in state and state[name] is None:
                del state[name]
        class_version = getattr(type(event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        data = self.transcoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(event)),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        cls, state = self.to_state(stored_event)
        return self.from_state(stored_event, cls, state)

    def to_state(self, stored_event: StoredEvent) -> tuple[type[Any], dict[str, Any]]:
        """A stored event's class and its recorded fields as JSON values, upcast to the class's
        current version; without ``originator_id`` and ``originator_version`` (the record's
        own columns) and without validating them into the class."""
        topic = stored_event.topic
        cls, target = self._classes.get(topic) or self._class(topic)
        data = stored_event.state
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        state: dict[str, Any] = self.transcoder.decode(data)
        if target > 1 or "class_version" in state:
            upcast(cls, state)
        return cls, state

    def from_state(
        self, stored_event: StoredEvent, cls: type[Any], state: dict[str, Any]
    ) -> DomainEventProtocol[UUID]:
        """The domain event of :meth:`to_state`'s result (``state`` is used up: it becomes the
        event's input)."""
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        try:
            event: DomainEventProtocol[UUID] = cls.__pydantic_validator__.validate_python(state)
            return event  # (not cast(): its subscripted type would be evaluated per call)
        except ValidationError as e:
            msg = (
                f"stored event {stored_event.topic} of {stored_event.originator_id} "
                f"v{stored_event.originator_version} does not fit its class: {e}"
            )
            raise MapperDeserialisationError(msg) from e

    def _class(self, topic: str) -> tuple[type[Any], int]:
        """The class a topic names and its ``class_version``: looked up once per topic (a
        projection rebuild loads millions of events of a dozen classes)."""
        cls = resolve_topic(topic)
        found = self._classes[topic] = (cls, _class_version(cls))
        return found


def upcast(cls: type[Any], state: dict[str, Any]) -> None:
    """Upcasts a stored event's state, in place, to the class's current ``class_version``."""
    version = state.pop("class_version", 1)
    target = _class_version(cls)
    while version < target:
        getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
        version += 1


_class_versions: dict[type[Any], int] = {}


def _class_version(cls: type[Any]) -> int:
    # Cached: a missing attribute on a pydantic model class goes through a slow __getattr__,
    # and every event loaded asks (a projection rebuild loads millions).
    version = _class_versions.get(cls)
    if version is None:
        version = _class_versions[cls] = int(getattr(cls, "class_version", 1))
    return version
