"""A user's history: the events of the user and of each of their memberships, in time order,
with who did what; ids in the data are public ids (``usr_…``, ``org_…``)."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from tenantry.application import dto
from tenantry.application.kernel import Kernel
from tenantry.application.serialization import BASE_FIELDS
from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.errors import UserNotFound
from tenantry.domain.user import parse_user_reference


class UserHistory(Kernel):
    """A user's history use case (deleted users' too)."""

    def list_user_history(self, user: str) -> list[dto.UserHistoryEntry]:
        """Every event of the user and of their memberships (removed ones too), oldest first."""
        uid = parse_user_reference(user)
        own = list(self.events.get(uid))
        if not own:
            raise UserNotFound(user)
        entries = []
        for org in self._user_organizations(uid):
            org_id = ids.encode(ids.ORG, org)
            for event in self.events.get(ids.membership_uuid(org, uid)):
                entries.append(_entry(event, "Membership", org_id))
        entries += [_entry(e, "User", None) for e in own]
        # Stable: each aggregate's events keep their order, and at one moment a membership's
        # come before the user's, as a command saves them (an admission, a deletion).
        entries.sort(key=lambda h: h.timestamp)
        return entries

    def _user_organizations(self, user_id: UUID) -> list[UUID]:
        raise NotImplementedError  # pragma: no cover - Users provides it


def _entry(event: Any, aggregate: str, organization_id: str | None) -> dto.UserHistoryEntry:
    e = cast(DomainEvent, event)
    data: dict[str, Any] = e.model_dump(mode="json", exclude=set(BASE_FIELDS))
    data.pop("originator_topic", None)
    ids.with_public_ids(data)
    return dto.UserHistoryEntry(
        aggregate=aggregate,
        organization_id=organization_id,
        version=e.originator_version,
        event=type(e).__name__,
        timestamp=e.timestamp,
        actor=e.actor,
        reason=e.reason,
        on_behalf_of=e.on_behalf_of,
        data=data,
    )
