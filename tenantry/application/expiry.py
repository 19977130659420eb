"""The invitation expiry sweep: records the expiry of invitations whose time has passed, so
that feeds and replays see it (seats never waited for it).

Given a :class:`DueInvitationIndex` (``tenantry serve`` passes the seats read model's pending
invitations), the sweep reads only the invitations that are due, whatever the size of the
organizations' histories; without one, it looks at every organization and reads the history of
those whose seat ledger says something is due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import NamedTuple, Protocol, runtime_checkable
from uuid import UUID

from tenantry.application import dto
from tenantry.application.kernel import Kernel, command
from tenantry.domain import admission, arguments, ids, values
from tenantry.domain.base import Act, utc
from tenantry.domain.errors import InvalidField
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization


class DueInvitation(NamedTuple):
    """A pending invitation an index names as expired."""

    organization_id: UUID
    user_id: UUID


@runtime_checkable
class DueInvitationIndex(Protocol):
    """Where the sweep finds the pending invitations expired at a moment, without reading any
    history. It may lag behind the log or name an invitation that was accepted, revoked,
    resent or expired meanwhile: the sweep checks each one against its aggregates before it
    records anything, so the index decides only what is looked at, never what is recorded."""

    def due(
        self, now: datetime, *, page_size: int, organization_id: UUID | None
    ) -> Iterator[Sequence[DueInvitation]]:
        """Pages of at most ``page_size`` invitations expired at ``now`` (of one organization,
        if given), oldest expiry first; each invitation at most once."""
        ...


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
        index: DueInvitationIndex | None = None,
    ) -> dto.ExpirySweep:
        """Records ``InvitationExpired`` for every pending invitation whose time has passed, in
        one organization or in all. Seats never depended on it (expired invitations stop counting
        at their expiry); the sweep makes expiry visible to feeds and replays.

        With an ``index``, only the invitations it names are read (an invitation expired but
        not in the index yet waits for the next sweep), and ``organizations_checked`` counts the
        organizations it named."""
        who = values.actor(actor)
        if arguments.whole_number(batch_size, "batch_size") < 1:
            raise InvalidField("batch_size", "must be at least 1")
        arguments.callback(progress, "progress")
        if index is not None and not isinstance(index, DueInvitationIndex):
            raise InvalidField("index", "must be a DueInvitationIndex (with a due method)")
        # An organization named explicitly must exist and be live, as for any command.
        named = None if organization_id is None else self._org(organization_id, for_update=False)
        if index is not None:
            return self._sweep_indexed(index, named, batch_size, who, progress)
        org_ids = [named.id] if named is not None else list(self._all_organization_ids())
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

    def _sweep_indexed(
        self,
        index: DueInvitationIndex,
        named: Organization | None,
        page_size: int,
        who: str,
        progress: Callable[[int], None] | None,
    ) -> dto.ExpirySweep:
        """The sweep over what ``index`` names: one command per organization of each page."""
        checked: set[UUID] = set()
        expired = 0
        now = utc(self.clock())
        within = None if named is None else named.id
        for page in index.due(now, page_size=page_size, organization_id=within):
            by_org: dict[UUID, list[UUID]] = {}
            for due in page:
                by_org.setdefault(due.organization_id, []).append(due.user_id)
            for uid, users in by_org.items():
                checked.add(uid)
                done = self.run_command(partial(self._expire_named, uid, users, who))
                expired += done
                if progress is not None and done:
                    progress(done)
        return dto.ExpirySweep(organizations_checked=len(checked), invitations_expired=expired)

    def _expire_named(self, org_uuid: UUID, users: Sequence[UUID], who: str) -> int:
        """Expires those of ``users``' invitations that the aggregates say are due now."""
        org = self._get(org_uuid, Organization)
        if org is None or org.is_deleted:
            return 0
        memberships = []
        for user_id in users:
            membership = self._get(ids.membership_uuid(org.id, user_id), Membership)
            if membership is None:
                continue
            if admission.expire(org, membership, Act(self.now(org, membership), who)):
                memberships.append(membership)
        if memberships:
            self._save(org, *memberships)
        return len(memberships)

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
