"""Moving the holders of a deleted role to another role, in bounded batches.

Each batch is one organization's memberships (at most ``batch_size`` of them), changed and saved
with the organization in one transaction: every membership records ``RolesChanged`` and the
organization ``MemberRolesChanged``, with the actor who deleted the role. The holders are found
from the log: an organization's members from its seat events, every membership of the
environment from the membership's first event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from typing import Final
from uuid import UUID

from eventsourcing.utils import get_topic

from tenantry.application.role_books import RoleBooks
from tenantry.domain import ids
from tenantry.domain.base import Act
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization

DEFAULT_BATCH_SIZE: Final = 100
_FIRST_EVENTS: Final = (get_topic(Membership.Invited), get_topic(Membership.Provisioned))
_PAGE: Final = 500


class RoleReassignment(RoleBooks):
    """Reassigns the holders of a deleted role."""

    def _reassign_holders(
        self,
        organization: UUID | None,
        name: str,
        reassign_to: str,
        act: Act,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> int:
        """Moves every membership holding ``name`` (of ``organization``, or of the environment
        for ``None``) to ``reassign_to``; the number of memberships changed."""
        moved = 0
        for org_id, users in self._members_by_organization(organization):
            batch_iter = iter(users)
            while batch := list(islice(batch_iter, batch_size)):
                moved += self.run_command(
                    lambda org_id=org_id, batch=batch: self._reassign_batch(  # type: ignore[misc]
                        org_id, batch, name, reassign_to, act, organization is None
                    )
                )
        return moved

    def _reassign_batch(
        self,
        org_id: UUID,
        users: list[UUID],
        name: str,
        reassign_to: str,
        act: Act,
        environment_role: bool,
    ) -> int:
        org = self._get(org_id, Organization)
        if org is None or org.is_deleted:
            return 0
        scope = self._role_scope(org_id)
        if environment_role and scope.organization and scope.organization.find(name):
            return 0  # the organization's own role of that name is what its members hold
        changed: list[Membership] = []
        now = self.now(org)
        for user in users:
            m = self._get(ids.membership_uuid(org_id, user), Membership)
            if m is None or m.state.status is None or name not in m.state.roles:
                continue
            roles = sorted({*m.state.roles, reassign_to} - {name})
            now = self.now(org, m, *changed)
            m.change_roles(roles, now, act.actor, act.reason)
            changed.append(m)
        for m in changed:
            org.record_member_change(m, Act(now, act.actor, act.reason))
        if changed:
            self._save(org, *changed)
        return len(changed)

    def _members_by_organization(
        self, organization: UUID | None
    ) -> Iterator[tuple[UUID, list[UUID]]]:
        """Each organization's users that were ever admitted (once each, in order)."""
        if organization is not None:
            users: dict[UUID, None] = {}
            for event in self.events.get(organization):
                if isinstance(event, Organization.SeatEvent):
                    users[event.user_id] = None
            yield organization, list(users)
            return
        by_org: dict[UUID, list[UUID]] = {}
        start: int | None = None
        while True:
            page = self.recorder.select_notifications(
                start, _PAGE, topics=_FIRST_EVENTS, inclusive_of_start=start is None
            )
            for n in page:
                state = json.loads(n.state)
                by_org.setdefault(UUID(state["organization_id"]), []).append(UUID(state["user_id"]))
            if len(page) < _PAGE:
                break
            start = page[-1].id
        yield from by_org.items()
