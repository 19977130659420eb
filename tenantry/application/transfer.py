"""Tenant export and import: one organization's full history, moved between databases.

An export is the organization's stored events, its memberships', its members' users' and its
role book's (its own role definitions; one
stored event per JSON line: ``originator_id``, ``originator_version``, ``topic``, ``state``), in
time order. An import replays such an export into another database with every id preserved, in
one transaction: it refuses an organization the target already holds
(:class:`OrganizationAlreadyExists`) or whose external id or slug a live organization there holds
(:class:`ExternalIdTaken` / :class:`SlugTaken`); users the target already has are kept as they are.
Key claims (the external-id and slug indexes) are not exported: the import claims the keys afresh
in the target, in the same transaction as the events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from eventsourcing.utils import resolve_topic
from pydantic import BaseModel, ConfigDict, ValidationError

from tenantry.application.app import Tenantry
from tenantry.application.kernel import command
from tenantry.application.transfer_roles import (
    ROLE_BOOK_RULES,
    check_held_roles,
    replay_role_book,
)
from tenantry.application.transfer_rules import RULES, check_event
from tenantry.domain import ids, values
from tenantry.domain.errors import InvalidField, OrganizationAlreadyExists, OrganizationNotFound
from tenantry.domain.key_claim import KeyClaim
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization
from tenantry.domain.role_scope import RoleScope
from tenantry.domain.roles import RoleBook
from tenantry.domain.user import User

Progress = Callable[[int], None]

_DOMAIN_PREFIX = "tenantry.domain."
# Export order among events of the same moment: the order a command saves its aggregates in.
_RANK = {Organization: 0, Membership: 1, User: 2, RoleBook: 3}
_KINDS = (Organization, Membership, User, RoleBook)
Kind = type[Organization | Membership | User | RoleBook]


class ExportedEvent(BaseModel):
    """One stored event of an export line; ``state`` is the event's stored JSON, as an object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    topic: str
    state: dict[str, Any]


class TransferSummary(BaseModel):
    """What an export wrote or an import recorded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organization_id: str
    events: int
    memberships: int
    users: int
    users_skipped: int = 0
    keys_claimed: list[str] = []


def _aggregate_class(topic: str, field: str) -> Kind:
    # resolve_topic imports modules: only tenantry's own event classes may be named.
    if not topic.startswith(_DOMAIN_PREFIX):
        raise InvalidField(field, f"topic {topic!r} is not a tenantry event")
    try:
        cls = resolve_topic(topic)
    except Exception:  # any import or attribute error means the same: an unknown topic
        raise InvalidField(field, f"topic {topic!r} is not a known tenantry event") from None
    for agg in _KINDS:
        if isinstance(cls, type) and issubclass(cls, agg.Event):
            return agg
    if isinstance(cls, type) and issubclass(cls, KeyClaim.Event):
        raise InvalidField(field, "key claims are not part of an export; they are claimed anew")
    raise InvalidField(
        field, f"topic {topic!r} is not an organization, membership, user or role book event"
    )


def _check_originator_topic(state: dict[str, Any], agg: type[object], field: str) -> None:
    """A creating event names the class of its aggregate, which replay imports and builds: it
    must be the class its event belongs to."""
    topic = state.get("originator_topic")
    if topic is None:
        return
    named: object = None
    if isinstance(topic, str) and topic.startswith(_DOMAIN_PREFIX):
        try:
            named = resolve_topic(topic)
        except Exception:  # any import or attribute error means the same: not its aggregate
            named = None
    if named is not agg:
        raise InvalidField(field, f"must name its aggregate, {agg.__name__}")


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _seat_user_ids(app: Tenantry, events: Iterable[StoredEvent]) -> list[UUID]:
    """Every user an organization's seat ledger ever named, in first-seen order."""
    seen: dict[UUID, None] = {}
    for stored in events:
        state = app.mapper.transcoder.decode(stored.state)
        if "user_id" in state:
            seen.setdefault(UUID(state["user_id"]), None)
    return list(seen)


def export_organization(
    app: Tenantry, organization_id: str, *, progress: Progress | None = None
) -> tuple[list[ExportedEvent], TransferSummary]:
    """The organization's history with its memberships' and users', in time order.
    A deleted organization exports too: its history is still there."""
    org_uuid = ids.decode(ids.ORG, organization_id, "organization_id")
    org_events = list(app.recorder.select_events(org_uuid))
    if not org_events or _aggregate_class(org_events[0].topic, "topic") is not Organization:
        raise OrganizationNotFound(organization_id)
    if progress is not None:
        progress(len(org_events))
    users = _seat_user_ids(app, org_events)
    keyed: list[tuple[tuple[datetime, int, str, int], ExportedEvent]] = []
    n_memberships = n_users = 0
    book_events = app.recorder.select_events(ids.role_book_uuid(org_uuid))

    def add(events: Iterable[StoredEvent], rank: int) -> int:
        count = 0
        for s in events:
            state = app.mapper.transcoder.decode(s.state)
            record = ExportedEvent(
                originator_id=_uuid(s.originator_id),
                originator_version=s.originator_version,
                topic=s.topic,
                state=state,
            )
            key = (
                datetime.fromisoformat(state["timestamp"]),
                rank,
                str(record.originator_id),
                s.originator_version,
            )
            keyed.append((key, record))
            count += 1
        return count

    add(org_events, _RANK[Organization])
    add(book_events, _RANK[RoleBook])
    for user_uuid in users:
        membership = app.recorder.select_events(ids.membership_uuid(org_uuid, user_uuid))
        user = app.recorder.select_events(user_uuid)
        n_memberships += bool(membership)
        n_users += bool(user)
        done = add(membership, _RANK[Membership]) + add(user, _RANK[User])
        if progress is not None:
            progress(done)
    keyed.sort(key=lambda pair: pair[0])
    records = [record for _, record in keyed]
    summary = TransferSummary(
        organization_id=organization_id,
        events=len(records),
        memberships=n_memberships,
        users=n_users,
    )
    return records, summary


def dump_line(record: ExportedEvent) -> str:
    return record.model_dump_json()


def parse_lines(lines: Iterable[str], *, progress: Progress | None = None) -> list[ExportedEvent]:
    """Reads export lines (blank lines are skipped); a bad line is an error naming its number."""
    out: list[ExportedEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(ExportedEvent.model_validate_json(line))
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            rule = f"{where}: {err['msg']}" if where else err["msg"]
            raise InvalidField(f"line {number}", rule) from None
        if progress is not None:
            progress(1)
    return out


class _Plan:
    """An export checked against tenantry's rules, ready to be recorded."""

    def __init__(self, app: Tenantry, records: list[ExportedEvent]) -> None:
        if not records:
            raise InvalidField("export", "is empty")
        self.by_originator: dict[UUID, list[StoredEvent]] = {}
        self.kind: dict[UUID, Kind] = {}
        numbers: dict[UUID, list[int]] = {}
        for number, r in enumerate(records, start=1):
            cls = _aggregate_class(r.topic, f"event {number}.topic")
            _check_originator_topic(r.state, cls, f"event {number}.originator_topic")
            kind = self.kind.setdefault(r.originator_id, cls)
            if kind is not cls:
                raise InvalidField(f"event {number}", "mixes events of two kinds of aggregate")
            stream = self.by_originator.setdefault(r.originator_id, [])
            if r.originator_version != len(stream) + 1:
                raise InvalidField(
                    f"event {number}.originator_version",
                    f"must be {len(stream) + 1} (versions of one aggregate run 1, 2, 3, …)",
                )
            numbers.setdefault(r.originator_id, []).append(number)
            stream.append(
                StoredEvent(
                    originator_id=r.originator_id,
                    originator_version=r.originator_version,
                    topic=r.topic,
                    state=app.mapper.transcoder.encode(r.state),
                )
            )
        self.records = records
        orgs = [i for i, k in self.kind.items() if k is Organization]
        if len(orgs) != 1:
            raise InvalidField("export", f"must hold exactly one organization, not {len(orgs)}")
        self.org_uuid = orgs[0]
        self.org_id = ids.encode(ids.ORG, self.org_uuid)
        org = cast(Organization | None, self._replay(app, self.org_uuid))
        if org is None:  # pragma: no cover - a stream starts with its Created event
            raise InvalidField("export", "the organization's history does not start")
        self.org = org
        users = set(_seat_user_ids(app, self.by_originator[self.org_uuid]))
        self.memberships = {ids.membership_uuid(self.org_uuid, u): u for u in users}
        replayed: dict[UUID, object] = {}
        for originator, kind in self.kind.items():
            if kind is Membership and originator not in self.memberships:
                raise InvalidField("export", f"membership {originator} is not of this organization")
            if kind is User and originator not in users:
                raise InvalidField("export", f"user {originator} is not a member of it")
            if kind is RoleBook and originator != ids.role_book_uuid(self.org_uuid):
                raise InvalidField("export", f"role book {originator} is not of this organization")
            if kind is Membership or kind is User:
                replayed[originator] = self._replay(app, originator)
        for membership, user in self.memberships.items():
            if membership in self.kind and user not in self.kind:
                raise InvalidField("export", f"membership {membership} comes without its user")
        for number, r in enumerate(records, start=1):  # events that fit their schema, then
            book_event = self.kind[r.originator_id] is RoleBook
            check_event(r.state, f"event {number}", ROLE_BOOK_RULES if book_event else RULES)
        self._check_roles(app, numbers, replayed)

    def _check_roles(
        self, app: Tenantry, numbers: dict[UUID, list[int]], replayed: dict[UUID, object]
    ) -> None:
        """The role book's rules, and the members' roles, against the target's roles."""
        environment, env_stored = app._role_book(None)
        book_uuid = ids.role_book_uuid(self.org_uuid)
        book = None
        if book_uuid in self.by_originator:
            events = cast(list[RoleBook.Event], self._events(app, book_uuid))
            named = [(f"event {n}", e) for n, e in zip(numbers[book_uuid], events, strict=True)]
            book = replay_role_book(named, self.org_uuid, environment)
        held: dict[str, list[str]] = {}
        for membership in self.memberships:
            given = [n for n in numbers.get(membership, []) if "roles" in self.records[n - 1].state]
            live = cast(Membership | None, replayed.get(membership))
            if given and live is not None and live.state.status is not None:
                held[f"event {given[-1]}.roles"] = live.state.roles
        check_held_roles(held, RoleScope(environment, book, env_stored or book is not None))

    def _replay(self, app: Tenantry, originator: UUID) -> object:
        """Replays the stream of ``originator``."""
        aggregate: object = None
        for event in self._events(app, originator):
            aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def _events(self, app: Tenantry, originator: UUID) -> list[object]:
        """Loads every event of a stream through the mapper (schema and upcasting)."""
        out: list[object] = []
        for stored in self.by_originator[originator]:
            try:
                out.append(app.mapper.to_domain_event(stored))
            except MapperDeserialisationError as e:
                raise InvalidField(
                    f"event {originator} v{stored.originator_version}", str(e).splitlines()[0]
                ) from None
        return out

    def stored_events(self, skip: set[UUID]) -> list[StoredEvent]:
        """The events to record, in the export's order, without the skipped aggregates'."""
        out: list[StoredEvent] = []
        cursor = {originator: 0 for originator in self.by_originator}
        for r in self.records:
            if r.originator_id in skip:
                continue
            stream = self.by_originator[r.originator_id]
            out.append(stream[cursor[r.originator_id]])
            cursor[r.originator_id] += 1
        return out


@command
def import_organization(
    app: Tenantry,
    records: list[ExportedEvent],
    *,
    actor: str = "import",
    progress: Progress | None = None,
) -> TransferSummary:
    """Records an export in ``app``'s database, ids preserved, in one transaction."""
    plan = _Plan(app, records)
    who = values.actor(actor)

    def command() -> TransferSummary:
        if app.recorder.select_events(plan.org_uuid, limit=1):
            raise OrganizationAlreadyExists(plan.org_id)
        users = [i for i, k in plan.kind.items() if k is User]
        existing = {u for u in users if app.recorder.select_events(u, limit=1)}
        claims = [] if plan.org.is_deleted else app.claim_keys(plan.org, app.now(), who)
        history = plan.stored_events(existing)
        claimed = [app.mapper.to_stored_event(e) for c in claims for e in c.collect_events()]
        app.recorder.insert_events(history + claimed)
        if progress is not None:
            progress(len(history))
        return TransferSummary(
            organization_id=plan.org_id,
            events=len(history),
            memberships=sum(1 for k in plan.kind.values() if k is Membership),
            users=len(users) - len(existing),
            users_skipped=len(existing),
            keys_claimed=[f"{c.state.kind}={c.state.key}" for c in claims],
        )

    summary = app.run_command(command)
    _snapshot_long_histories(app, plan)
    return summary


def _snapshot_long_histories(app: Tenantry, plan: _Plan) -> None:
    """Snapshots the imported aggregates whose history is longer than the app's interval, so
    the first load in the target is as fast as in the source."""
    for originator, stream in plan.by_originator.items():
        interval = app.snapshotting_intervals.get(plan.kind[originator])
        if interval and len(stream) >= interval:
            app.take_snapshot(originator)
