"""PersistentMap, the roster's containers: it behaves as an insertion-ordered dict that is never
changed in place, an update shares all but the parts it touches with the map it updates, and it
is stored as the JSON object a dict was, so that snapshots keep their shape."""

from __future__ import annotations

import pickle
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from tenantry.domain.persistent import CHUNK, PersistentMap

# (delete?, key, value): keys from a small range, so that keys are often set again and deleted
operations = st.lists(st.tuples(st.booleans(), st.integers(0, 300), st.integers()), max_size=1_500)


@given(operations)
def test_a_persistent_map_is_an_ordered_dict_that_never_changes(
    ops: list[tuple[bool, int, int]],
) -> None:
    m: PersistentMap[int, int] = PersistentMap()
    model: dict[int, int] = {}
    for delete, key, value in ops:
        before, before_items = m, list(m.items())
        if delete:
            m = m.delete(key)
            model.pop(key, None)
        else:
            m = m.set(key, value)
            model[key] = value
        assert list(before.items()) == before_items  # the map updated is as it was
        assert len(m) == len(model)
        assert m.get(key) == model.get(key)
        assert (key in m) == (key in model)
    assert list(m.items()) == list(model.items())
    assert list(m) == list(model)
    assert list(m.values()) == list(model.values())
    assert m == model
    assert model == m
    assert PersistentMap(model) == m
    assert pickle.loads(pickle.dumps(m)).to_dict() == model


def test_an_update_copies_only_the_parts_it_touches() -> None:
    m = PersistentMap((UUID(int=i), i) for i in range(20_000))
    shards, chunks = m._shards, m._order
    assert len(shards) >= 128
    assert len(chunks) == 20_000 // CHUNK + 1

    added = m.set(UUID(int=20_000), 20_000)
    replaced = m.set(UUID(int=7), -7)
    deleted = m.delete(UUID(int=7))

    for new in (added, replaced, deleted):
        assert sum(a is not b for a, b in zip(shards, new._shards, strict=True)) == 1
        assert max(len(s) for s in new._shards) <= 2 * len(m) // len(shards)
    assert sum(a is not b for a, b in zip(chunks, added._order, strict=True)) == 1
    assert replaced._order is chunks  # a key set again keeps its place
    assert sum(a is not b for a, b in zip(chunks, deleted._order, strict=True)) == 1
    assert len(m) == 20_000
    assert m[UUID(int=7)] == 7
    assert list(deleted)[-1] == UUID(int=19_999)
    assert list(added)[-1] == UUID(int=20_000)


def test_a_map_emptied_by_many_deletions_is_compacted() -> None:
    m = PersistentMap((i, i) for i in range(10 * CHUNK))
    for i in range(10 * CHUNK - 3):
        m = m.delete(i)
    assert list(m) == [10 * CHUNK - 3, 10 * CHUNK - 2, 10 * CHUNK - 1]
    assert len(m._order) <= 4


class _State(BaseModel):
    index: PersistentMap[UUID, list[UUID]] = PersistentMap()


def test_it_is_stored_as_a_json_object_and_loads_from_one() -> None:
    a, b, c = UUID(int=1), UUID(int=2), UUID(int=3)
    stored = {"index": {str(b): [str(a)], str(a): [str(b), str(c)]}}  # as a dict was stored
    state = _State.model_validate(stored)
    assert isinstance(state.index, PersistentMap)
    assert list(state.index.items()) == [(b, [a]), (a, [b, c])]
    assert state.model_dump(mode="json") == stored
    assert _State.model_validate_json(state.model_dump_json()) == state
    assert _State().index == {}
