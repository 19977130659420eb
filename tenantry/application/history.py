"""An organization's audit history: its events with who did what and what changed, the
organization as it was at a version or a moment, and what changed between two of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from tenantry.application import dto, presenters
from tenantry.application.kernel import fold
from tenantry.application.role_books import RoleBooks
from tenantry.application.serialization import BASE_FIELDS
from tenantry.domain import arguments, ids
from tenantry.domain.errors import InvalidField, OrganizationNotFound, VersionNotFound
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization


class History(RoleBooks):
    """An organization's history use cases."""

    def list_history(
        self, organization_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[dto.HistoryEntry]:
        """The organization's events in order, each with actor, time and the fields it changed."""
        uid = ids.decode(ids.ORG, organization_id, "organization_id")
        if limit is not None:
            arguments.whole_number(limit, "limit")
        if arguments.whole_number(from_version, "from_version") < 1:
            raise InvalidField("from_version", "must be at least 1")
        org: Organization | None = None
        if from_version > 1:
            try:
                org = cast(
                    Organization,
                    self.repository.get(uid, version=from_version - 1, projector_func=fold),
                )
            except AggregateNotFoundError:
                raise OrganizationNotFound(organization_id) from None
        out: list[dto.HistoryEntry] = []
        for event in self.events.get(uid, gt=from_version - 1 if from_version > 1 else None):
            before = _org_view(org) if org is not None else {}
            org = cast(Organization, event.mutate(org))  # type: ignore[attr-defined]
            after = _org_view(org)
            e = cast(Organization.Event, event)
            data = e.model_dump(
                mode="json",
                exclude=set(BASE_FIELDS),
            )
            data.pop("originator_topic", None)
            ids.with_public_ids(data)
            changes = [
                dto.FieldChange(field=k, before=before.get(k), after=after[k])
                for k in after
                if before.get(k) != after[k]
            ]
            out.append(
                dto.HistoryEntry(
                    version=e.originator_version,
                    event=type(e).__name__,
                    timestamp=e.timestamp,
                    actor=e.actor,
                    reason=e.reason,
                    on_behalf_of=e.on_behalf_of,
                    data=data,
                    changes=changes,
                )
            )
            if limit is not None and len(out) >= limit:
                break
        if not out and from_version == 1:
            raise OrganizationNotFound(organization_id)
        return out

    def get_organization_as_of(
        self, organization_id: str, *, version: int | None = None, at: datetime | None = None
    ) -> dto.Organization:
        """The organization as it was at a version, or at a moment (UTC); its seats in use are
        counted at that moment, or at the time of that version's event."""
        org, moment = self._as_of(organization_id, version, at)
        return presenters.organization_of(org, moment)

    def get_organization_snapshot(
        self, organization_id: str, *, version: int | None = None, at: datetime | None = None
    ) -> dto.OrganizationSnapshot:
        """:meth:`get_organization_as_of` with the organization's members and seat usage as
        they were then (each membership replayed up to that moment)."""
        org, moment = self._as_of(organization_id, version, at)
        members: list[dto.Membership] = []
        roles = self._role_scope(org.id)  # definitions as they are now: they have no history
        for user in self._seat_users(org.id, org.version):
            m: Membership | None = None
            for event in self.events.get(ids.membership_uuid(org.id, user)):
                if cast(Membership.Event, event).timestamp > moment:
                    break
                m = cast(Membership, event.mutate(m))  # type: ignore[attr-defined]
            if m is not None and m.state.status is not None:  # (None: removed)
                members.append(presenters.membership_of(m, moment, roles))
        s = org.state
        usage = presenters.seat_usage(
            organization_id=org.public_id,
            max_allowed_users=s.max_allowed_users,
            active_members=s.active_members,
            pending_invitations=s.pending_invitations.count_after(moment),
            at=moment,
        )
        return dto.OrganizationSnapshot(
            organization=presenters.organization_of(org, moment), members=members, seat_usage=usage
        )

    def _as_of(
        self, organization_id: str, version: int | None, at: datetime | None
    ) -> tuple[Organization, datetime]:
        """The organization at a version or a moment, and that moment. A moment is turned into
        its version by :meth:`_version_at` (a binary search); the organization at a version is
        loaded from its latest snapshot at or before it."""
        uid = ids.decode(ids.ORG, organization_id, "organization_id")
        if (version is None) == (at is None):
            raise InvalidField("as_of", "give exactly one of version or at")
        if version is not None and arguments.whole_number(version, "version") < 1:
            raise InvalidField("version", "must be at least 1")
        moment = None if at is None else arguments.moment(at, "at")
        if moment is not None:
            version = self._version_at(uid, moment)
            if version is None:  # no organization, or none yet at that moment
                raise VersionNotFound(organization_id, moment.isoformat())
        try:
            found = self.repository.get(uid, version=version, projector_func=fold)
        except AggregateNotFoundError:
            raise OrganizationNotFound(organization_id) from None
        if not isinstance(found, Organization):
            raise OrganizationNotFound(organization_id)
        if found.version != version:
            raise VersionNotFound(organization_id, f"version {version}")
        if found.is_deleted:
            raise VersionNotFound(organization_id, f"version {found.version} (deleted)")
        return found, moment or found.modified_on

    def _version_at(self, uid: UUID, moment: datetime) -> int | None:
        """The last version of aggregate ``uid`` recorded at or before ``moment`` (``None``: no
        event by then), found by a binary search that reads one stored event per step. An
        aggregate's events are in time order: :meth:`~tenantry.application.kernel.Kernel.now`
        never gives a command a time before what the aggregate recorded."""

        def recorded_by_then(v: int) -> bool:
            (event,) = self.events.get(uid, gt=v - 1, lte=v)
            return cast(Organization.Event, event).timestamp <= moment

        last = next(iter(self.events.get(uid, desc=True, limit=1)), None)
        if last is None:
            return None
        head = last.originator_version
        if cast(Organization.Event, last).timestamp <= moment:
            return head
        lo, hi = 0, head - 1  # versions up to lo are by then (0: none), those after hi are not
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if recorded_by_then(mid):
                lo = mid
            else:
                hi = mid - 1
        return lo or None

    def _seat_users(self, uid: UUID, version: int) -> list[UUID]:
        """The users the organization's seat ledger named up to ``version``, in order of first
        admission."""
        users: dict[UUID, None] = {}
        for event in self.events.get(uid, lte=version):
            if isinstance(event, Organization.SeatEvent):
                users[event.user_id] = None
        return list(users)

    def diff_organization(
        self, organization_id: str, *, from_: int | datetime, to: int | datetime | None = None
    ) -> dto.OrganizationDiff:
        """What changed in an organization between two points of its history, each a version
        number or a moment (the last version recorded by then; a moment without a time zone is
        UTC); ``to`` defaults to its last version. A field changed and changed back is not
        listed; an unknown version or a moment before the organization is
        :class:`VersionNotFound`."""
        entries = self.list_history(organization_id)
        start = _version_at(entries, from_, organization_id, "from")
        end = entries[-1].version if to is None else _version_at(entries, to, organization_id, "to")
        if start > end:
            raise InvalidField("from", f"version {start} is after version {end} (to)")
        first: dict[str, Any] = {}
        last: dict[str, Any] = {}
        for h in entries:
            if start < h.version <= end:
                for c in h.changes:
                    first.setdefault(c.field, c.before)
                    last[c.field] = c.after
        changes = [
            dto.FieldChange(field=k, before=first[k], after=last[k])
            for k in first
            if first[k] != last[k]
        ]
        return dto.OrganizationDiff(
            organization_id=organization_id, from_version=start, to_version=end, changes=changes
        )


def _version_at(
    entries: list[dto.HistoryEntry], point: int | datetime, org: str, field: str
) -> int:
    """The version a point of the history names: a version number, or a moment (the last
    version recorded by then)."""
    if not isinstance(point, datetime):
        if not 1 <= arguments.whole_number(point, field) <= entries[-1].version:
            raise VersionNotFound(org, f"version {point}")
        return point
    moment = point if point.tzinfo else point.replace(tzinfo=UTC)
    recorded = [h.version for h in entries if h.timestamp <= moment]
    if not recorded:
        raise VersionNotFound(org, moment.isoformat())
    return recorded[-1]


def _org_view(org: Organization) -> dict[str, Any]:
    """The fields of an organization a person reads in a history diff."""
    s = org.state
    return {
        "display_name": s.display_name,
        "external_id": s.external_id,
        "slug": s.slug,
        "logo_url": s.logo_url,
        "region_code": s.region_code,
        "metadata": dict(s.metadata),
        "features": dict(s.features),
        "max_allowed_users": s.max_allowed_users,
        "session_policy": s.session_policy.model_dump(mode="json", exclude_none=True),
        "allowed_sign_in_methods": s.sign_in_methods,
        "deleted": s.deleted,
        "active_members": s.active_members,
        "pending_invitations": len(s.pending_invitations),
    }
