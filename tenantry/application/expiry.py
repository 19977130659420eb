"""The invitation expiry sweep: records the expiry of invitations whose time has passed, so
that feeds and replays see it (seats never waited for it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from uuid import UUID

from tenantry.application import dto
from tenantry.application.kernel import Kernel, command
from tenantry.domain import admission, arguments, ids, values
from tenantry.domain.base import Act
from tenantry.domain.errors import InvalidField
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization


class InvitationExpiry(Kernel):
    """The expiry sweep's use case."""

    @command
    def expire_invitations(
        self,
        organization_id: str | None = None,
        *,
        batch_size: int = 200,
        actor: str = "system:expiry-sweep",
        progress: Callable[[int], None] | None = None,
    ) -> dto.ExpirySweep:
        """Records ``InvitationExpired`` for every pending invitation whose time has passed, in
        one organization or in all. Seats never depended on it (expired invitations stop counting
        at their expiry); the sweep makes expiry visible to feeds and replays."""
        who = values.actor(actor)
        if arguments.whole_number(batch_size, "batch_size") < 1:
            raise InvalidField("batch_size", "must be at least 1")
        arguments.callback(progress, "progress")
        org_ids = (
            # An organization named explicitly must exist and be live, as for any command.
            [self._org(organization_id, for_update=False).id]
            if organization_id is not None
            else list(self._all_organization_ids())
        )
        expired = 0
        for uid in org_ids:
            while True:
                done = self.run_command(partial(self._expire_batch, uid, batch_size, who))
                expired += done
                if progress is not None and done:
                    progress(done)
                if done < batch_size:
                    break
        return dto.ExpirySweep(organizations_checked=len(org_ids), invitations_expired=expired)

    def _expire_batch(self, org_uuid: UUID, limit: int, who: str) -> int:
        org = self._get(org_uuid, Organization)
        if org is None or org.is_deleted:
            return 0
        now = self.now(org)
        if not org.state.pending_invitations.count_due(now):
            return 0  # the ledger says nothing is due: no need to look further
        memberships = []
        for user_id in self._due_invitations(org, now)[:limit]:
            membership = self._get(ids.membership_uuid(org.id, user_id), Membership)
            if membership is None:  # pragma: no cover - the ledger and memberships agree
                continue
            admission.expire(org, membership, Act(self.now(org, membership), who))
            memberships.append(membership)
        if memberships:
            self._save(org, *memberships)
        return len(memberships)

    def _due_invitations(self, org: Organization, now: datetime) -> list[UUID]:
        """Users whose pending invitation has expired at ``now``, oldest expiry first.

        The organization keeps only expiry times (what the seat rule needs), so the sweep finds
        the users in the organization's own seat events. That costs a read of its history, but
        only for an organization whose ledger says something is due.
        """
        pending: dict[UUID, datetime] = {}
        for event in self.events.get(org.id):
            if isinstance(event, Organization.MemberInvited | Organization.InvitationResent):
                pending[event.user_id] = event.expires_at
            elif isinstance(event, Organization.SeatEvent):
                pending.pop(event.user_id, None)
        return [u for u, at in sorted(pending.items(), key=lambda p: p[1]) if at <= now]
