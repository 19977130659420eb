"""An organization's history as people read it: each event with a title, who did it and when,
and what it changed (before → after), in pages of a timeline, newest first. Pure: it shapes what
:meth:`~tenantry.application.history.History.list_history` returns for the templates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from tenantry.application import dto

PAGE_SIZE: Final = 20

FIELDS: Final = {
    "display_name": "Name",
    "external_id": "External id",
    "slug": "Slug",
    "logo_url": "Logo URL",
    "region_code": "Region",
    "user_id": "User",
    "metadata": "Metadata",
    "features": "Features",
    "max_allowed_users": "Seat limit",
    "session_policy": "Session policy",
    "allowed_sign_in_methods": "Sign-in methods",
    "deleted": "Deleted",
    "active_members": "Active members",
    "pending_invitations": "Pending invitations",
}
"""The fields of an organization's history, by the names people know them by."""

TITLES: Final = {
    "Created": "Created",
    "LimitSet": "Seat limit set",
    "FeatureToggled": "Feature turned on or off",
    "SessionPolicySet": "Session policy set",
    "SignInMethodsSet": "Sign-in methods set",
    "MemberRolesChanged": "Member's roles changed",
    "MemberMetadataChanged": "Member's metadata changed",
}
"""Titles that say more than the event's name split into words."""

HIDDEN_DETAILS: Final = frozenset({"user_id", "invitation_id", "session_id", "originator_topic"})
"""Internal ids a person does not need to read an event (its other data is shown); a user's id
is shown all the same where the event has no e-mail to name the user by."""


UNCOMPARED: Final = frozenset({"Version", "Updated"})


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    """One event of the timeline. ``changes``: the organization's fields it changed;
    ``details``: what else it recorded (who was invited, which link), for events that change
    none of those fields."""

    version: int
    event: str
    title: str
    timestamp: datetime
    actor: str
    on_behalf_of: str | None
    reason: str | None
    changes: tuple[Change, ...]
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Window:
    """A page of the timeline: versions ``first`` to ``last`` (newest first on the page),
    and the ``last`` version of the newer and the older page, if there is one."""

    first: int
    last: int
    newer: int | None
    older: int | None

    @property
    def limit(self) -> int:
        return self.last - self.first + 1


def window(head: int, to: int | None, size: int = PAGE_SIZE) -> Window:
    """The page of the timeline that ends at version ``to`` (default: the newest, ``head``);
    ``to`` outside 1..head is brought within it."""
    last = head if to is None else min(max(to, 1), head)
    first = max(1, last - size + 1)
    newer = min(head, last + size) if last < head else None
    older = first - 1 if first > 1 else None
    return Window(first, last, newer, older)


def title_of(event: str) -> str:
    """``MemberInvited`` → ``Member invited`` (or a title that says more, see :data:`TITLES`)."""
    if event in TITLES:
        return TITLES[event]
    words = re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", event)
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else event


def label_of(field: str) -> str:
    return FIELDS.get(field, field.replace("_", " ").capitalize())


def show(value: Any) -> str:
    """A value as a person reads it in a diff (``—`` for nothing)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        if not value:
            return "(none)"
        return ", ".join(f"{k}: {show(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value) if value else "(none)"
    return str(value)


def entry_of(h: dto.HistoryEntry, emails: Mapping[str, str] | None = None) -> Entry:
    """``h`` as people read it; ``emails``: the e-mail of a user id the event names only by
    its id (where it is known)."""
    changes = tuple(
        Change(c.field, label_of(c.field), show(c.before), show(c.after)) for c in h.changes
    )
    changed = {c.field for c in h.changes}
    details: tuple[tuple[str, str], ...] = ()
    if not changes or h.event != "Created":
        details = tuple(
            (label_of(k), (emails or {}).get(v, v) if k == "user_id" else show(v))
            for k, v in h.data.items()
            if k not in changed and (k not in HIDDEN_DETAILS or _names_whom(k, h.data))
        )
    return Entry(
        version=h.version,
        event=h.event,
        title=title_of(h.event),
        timestamp=h.timestamp,
        actor=h.actor,
        on_behalf_of=h.on_behalf_of,
        reason=h.reason,
        changes=changes,
        details=details,
    )


def _names_whom(key: str, data: Mapping[str, Any]) -> bool:
    """A user's id is shown where the event names the user by nothing else (no e-mail)."""
    return key == "user_id" and "email" not in data


def timeline(
    history: Iterable[dto.HistoryEntry], emails: Mapping[str, str] | None = None
) -> list[Entry]:
    """The entries, newest first."""
    ordered = sorted(history, key=lambda h: h.version, reverse=True)
    return [entry_of(h, emails) for h in ordered]


def unnamed_users(history: Iterable[dto.HistoryEntry]) -> set[str]:
    """The user ids of the events that name a user by nothing else."""
    return {
        h.data["user_id"]
        for h in history
        if isinstance(h.data.get("user_id"), str) and _names_whom("user_id", h.data)
    }


def changed_rows(then: Sequence[tuple[str, str]], now: Sequence[tuple[str, str]]) -> list[Change]:
    """What differs between two readings of :func:`organization_rows` (then → now), leaving
    out the bookkeeping that changes with every event (version, update time)."""
    current = dict(now)
    return [
        Change(label, label, before, current[label])
        for label, before in then
        if label not in UNCOMPARED and current.get(label, before) != before
    ]


def organization_rows(org: dto.Organization) -> list[tuple[str, str]]:
    """An organization's settings as (label, value) rows."""
    s = org.settings
    return [
        ("Id", org.id),
        ("Name", org.display_name),
        ("External id", show(org.external_id)),
        ("Slug", show(org.slug)),
        ("Region", org.region_code),
        ("Logo URL", show(org.logo_url)),
        ("Metadata", show(org.metadata)),
        ("Features", show({f.name: f.enabled for f in s.features})),
        ("Seat limit", _limit(org.max_allowed_users)),
        ("Seats in use", str(org.seats_in_use)),
        ("Created", f"{org.create_time:%Y-%m-%d %H:%M} UTC"),
        ("Updated", f"{org.update_time:%Y-%m-%d %H:%M} UTC"),
        ("Version", str(org.version)),
    ]


def _limit(limit: int | None) -> str:
    if limit is None:
        return "off (no seat management)"
    return "no limit" if limit == 0 else str(limit)
