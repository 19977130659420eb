"""An immutable, insertion-ordered mapping whose updates share structure with the map they
update: :class:`PersistentMap`.

An aggregate's state is copied out of the repository's cache for every command by a shallow
copy, and events replace the containers they change instead of changing them in place (see
:class:`~tenantry.domain.base.AggregateState`), so that neither the cached aggregate nor a reader
holding it ever sees a command's unsaved change, or a container changing under it. With plain
dicts, replacing costs a copy of the whole dict: an aggregate that indexes many entries (a
directory's roster of thousands of users) pays that copy on every event it applies. A
:class:`PersistentMap` is replaced at the cost of the few small parts an update touches:

- the entries live in hash shards (``key -> (position, value)``), about √n of them of about √n
  entries each; an update copies one shard and the list of shards;
- the order of insertion is kept by position in chunks of :data:`CHUNK` keys; an insertion or a
  removal copies one chunk and the list of chunks.

It reads as a ``Mapping``, compares equal to a dict with the same items, and is serialized (by
pydantic, in a state model) as that dict, so that snapshots keep their shape. Keys must hash the
same way for as long as the map lives, as a dict's; the shards are never stored or pickled.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from typing import Any, Generic, TypeVar, get_args, overload

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

CHUNK = 256
"""Keys per chunk of the order of insertion."""

_MISSING: Any = object()


class PersistentMap(Mapping[K, V], Generic[K, V]):
    """An immutable insertion-ordered mapping (see the module's docstring). :meth:`set` and
    :meth:`delete` return the updated map and leave this one as it is."""

    __slots__ = ("_len", "_next", "_order", "_shards")

    _shards: list[dict[K, tuple[int, V]]]
    _order: list[dict[int, K]]

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        pairs = list(items.items() if isinstance(items, Mapping) else items)
        width = 1
        while width * width < len(pairs):
            width *= 2
        shards: list[dict[K, tuple[int, V]]] = [{} for _ in range(width)]
        order: list[dict[int, K]] = []
        seq = 0
        for key, value in pairs:
            shard = shards[hash(key) & (width - 1)]
            old = shard.get(key)
            if old is not None:  # a repeated key keeps its first place, as in a dict
                shard[key] = (old[0], value)
                continue
            shard[key] = (seq, value)
            if seq % CHUNK == 0:
                order.append({})
            order[-1][seq] = key
            seq += 1
        self._shards, self._order, self._len, self._next = shards, order, seq, seq

    def _shard_of(self, key: K) -> int:
        return hash(key) & (len(self._shards) - 1)

    # --- Mapping -------------------------------------------------------------------------------

    def __getitem__(self, key: K) -> V:
        return self._shards[self._shard_of(key)][key][1]

    @overload
    def get(self, key: K, /) -> V | None: ...
    @overload
    def get(self, key: K, /, default: V | T) -> V | T: ...
    def get(self, key: K, /, default: Any = None) -> Any:
        entry = self._shards[self._shard_of(key)].get(key)
        return default if entry is None else entry[1]

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._shards[hash(key) & (len(self._shards) - 1)]
        except TypeError:  # unhashable: never a key
            return False

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[K]:
        for chunk in self._order:
            yield from chunk.values()

    def to_dict(self) -> dict[K, V]:
        """The items as a dict, in order of insertion."""
        shards, mask = self._shards, len(self._shards) - 1
        return {k: shards[hash(k) & mask][k][1] for chunk in self._order for k in chunk.values()}

    def items(self) -> ItemsView[K, V]:
        return self.to_dict().items()

    def values(self) -> ValuesView[V]:
        return self.to_dict().values()

    def __repr__(self) -> str:
        return f"PersistentMap({self.to_dict()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self.items()),))

    def __copy__(self) -> PersistentMap[K, V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PersistentMap[K, V]:
        return self  # immutable (its values are never changed in place either)

    # --- updates -------------------------------------------------------------------------------

    def set(self, key: K, value: V) -> PersistentMap[K, V]:
        """This map with ``key`` mapped to ``value`` (a new key goes last)."""
        i = self._shard_of(key)
        old = self._shards[i].get(key)
        if old is not None:
            if old[1] is value:
                return self
            return self._with(i, {**self._shards[i], key: (old[0], value)}, self._order, 0)
        seq = self._next
        order = self._order.copy()
        if seq % CHUNK == 0:  # chunk c holds the positions c * CHUNK to (c + 1) * CHUNK - 1
            order.append({seq: key})
        else:
            order[-1] = {**order[-1], seq: key}
        new = self._with(i, {**self._shards[i], key: (seq, value)}, order, 1)
        new._next = seq + 1
        if new._len > len(new._shards) ** 2:
            return PersistentMap(new.items())  # wider shards: rebuilt, as a dict resizes
        return new

    def delete(self, key: K) -> PersistentMap[K, V]:
        """This map without ``key`` (this map itself if it has no ``key``)."""
        i = self._shard_of(key)
        old = self._shards[i].get(key)
        if old is None:
            return self
        shard = dict(self._shards[i])
        del shard[key]
        seq = old[0]
        order = self._order.copy()
        chunk = dict(order[seq // CHUNK])
        del chunk[seq]
        order[seq // CHUNK] = chunk
        new = self._with(i, shard, order, -1)
        if len(order) > 4 * (new._len // CHUNK + 1):
            return PersistentMap(new.items())  # mostly emptied chunks: compacted
        return new

    def _with(
        self, i: int, shard: dict[K, tuple[int, V]], order: list[dict[int, K]], grown: int
    ) -> PersistentMap[K, V]:
        new: PersistentMap[K, V] = object.__new__(PersistentMap)
        shards = self._shards.copy()
        shards[i] = shard
        new._shards, new._order = shards, order
        new._len, new._next = self._len + grown, self._next
        return new

    # --- pydantic ------------------------------------------------------------------------------

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        key, value = get_args(source) or (Any, Any)
        as_dict = handler.generate_schema(dict[key, value])  # type: ignore[valid-type]

        def validate(v: Any) -> PersistentMap[Any, Any]:
            return v if isinstance(v, PersistentMap) else PersistentMap(v)

        return core_schema.no_info_after_validator_function(
            validate,
            core_schema.union_schema(
                [core_schema.is_instance_schema(PersistentMap), as_dict],
                mode="left_to_right",
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                PersistentMap.to_dict, return_schema=as_dict
            ),
        )
