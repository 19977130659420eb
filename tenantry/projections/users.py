"""User listing and search: one row per live user, with what a list shows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.user import User
from tenantry.domain.user_values import UserProfile
from tenantry.projections.base import Projection, Row, RowRef, Writes, public_id, to_micros
from tenantry.projections.dispatch import Dispatch

COUNT_KEY = "live"
_COUNT_REF: RowRef = ("users_count", COUNT_KEY)
_EMPTY_PROFILE: dict[str, str | None] = UserProfile().model_dump()


def search_text(row: Mapping[str, Any]) -> str:
    """What search matches: e-mail, id and external id, lowercased, one per line."""
    parts = [row["email"], row["id"], row["external_id"] or ""]
    return "\n".join(p.lower() for p in parts)


class UsersProjection(Projection):
    """Tables: ``users`` (key ``id``, the public ``usr_`` id; ``seq`` is the log position of
    the registration, the stable listing order) and ``users_count`` (one row: how many are
    live)."""

    name = "users"
    version = 1
    handles = (User.Event,)
    tables: ClassVar[dict[str, str]] = {"users": "id", "users_count": "key"}

    def reads(self, event: DomainEvent) -> Iterable[RowRef]:
        return [("users", public_id(ids.USER, event.originator_id)), _COUNT_REF]

    def apply(self, event: DomainEvent, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        ref: RowRef = ("users", public_id(ids.USER, event.originator_id))
        return _APPLY[type(event)](event, position, ref, rows)


def _registered(
    event: User.Registered | User.Reregistered,
    position: int,
    ref: RowRef,
    rows: Mapping[RowRef, Row | None],
) -> Writes:
    old = rows.get(ref)
    email = event.email if isinstance(event, User.Registered) else (old or {}).get("email")
    if email is None:  # a return of a user this projection never saw registered
        return {}
    at = to_micros(event.timestamp)
    row: Row = {
        "id": ref[1],
        "seq": position,
        "email": email,
        "external_id": None,
        "metadata": {},
        "user_profile": dict(_EMPTY_PROFILE),
        "create_time": at,
        "update_time": at,
        "version": event.originator_version,
        "deleted": False,
    }
    row["search"] = search_text(row)
    out: Writes = {ref: row}
    if old is None or old["deleted"]:
        out[_COUNT_REF] = _count(rows.get(_COUNT_REF), +1)
    return out


def _deleted(
    event: User.Deleted, position: int, ref: RowRef, rows: Mapping[RowRef, Row | None]
) -> Writes:
    """A deleted user's row stays (its e-mail is what a return needs), marked deleted."""
    old = rows.get(ref)
    if old is None or old["deleted"]:
        return {}
    row = {**old, "deleted": True, "external_id": None, "version": event.originator_version}
    row["search"] = ""
    return {ref: row, _COUNT_REF: _count(rows.get(_COUNT_REF), -1)}


def _updated(
    event: User.Event, position: int, ref: RowRef, rows: Mapping[RowRef, Row | None]
) -> Writes:
    old = rows.get(ref)
    if old is None:
        return {}
    new = {**old, "update_time": to_micros(event.timestamp), "version": event.originator_version}
    _CHANGES[type(event)](event, new)
    new["search"] = search_text(new)
    return {ref: new}


def _count(row: Row | None, delta: int) -> Row:
    return {"key": COUNT_KEY, "n": (row["n"] if row else 0) + delta}


def _external_id_changed(event: User.ExternalIdChanged, row: Row) -> None:
    row["external_id"] = event.external_id


def _metadata_changed(event: User.MetadataChanged, row: Row) -> None:
    row["metadata"] = dict(event.metadata)


def _profile_changed(event: User.ProfileChanged, row: Row) -> None:
    row["user_profile"] = event.user_profile.model_dump()


def _no_field(event: User.Event, row: Row) -> None:
    pass


_APPLY: Dispatch[Callable[[Any, int, RowRef, Mapping[RowRef, Row | None]], Writes]] = Dispatch(
    {
        User.Registered: _registered,
        User.Reregistered: _registered,
        User.Deleted: _deleted,
    },
    default=_updated,
)
_CHANGES: Dispatch[Callable[[Any, Row], None]] = Dispatch(
    {
        User.ExternalIdChanged: _external_id_changed,
        User.MetadataChanged: _metadata_changed,
        User.ProfileChanged: _profile_changed,
    },
    default=_no_field,
)
"""What an event changes in a listed user's row, besides its time and version."""
