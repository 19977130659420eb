"""Restoring a deleted organization within the application's restore period
(:attr:`ApplicationPolicy.restore_period`), and the purge sweep that records the end of that
period (``Purged``). A restored organization comes back with its members and settings; its
external id and slug come back only if no other organization took them meanwhile.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from uuid import UUID

from tenantry.application import dto, presenters
from tenantry.application.kernel import Kernel, command
from tenantry.domain import ids, values
from tenantry.domain.errors import InvalidField, OrganizationNotFound
from tenantry.domain.key_claim import EXTERNAL_ID, SLUG, KeyClaim
from tenantry.domain.organization import Organization
from tenantry.domain.restore_errors import RestoreKeyTaken


class Restore(Kernel):
    """Restore and purge of deleted organizations."""

    @command
    def restore_organization(
        self,
        organization_id: str,
        *,
        release_taken_keys: bool = False,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Organization:
        """Brings a deleted organization back, with its members and settings, within the restore
        period (else :class:`RestorePeriodOver`; a live one: :class:`OrganizationNotDeleted`).

        Its external id and slug come back if still free. If another organization took one,
        the restore is refused (:class:`RestoreKeyTaken`, naming the field) unless
        ``release_taken_keys``: then it comes back without that key."""
        uid = ids.decode(ids.ORG, organization_id, "organization_id")
        if not isinstance(release_taken_keys, bool):
            raise InvalidField("release_taken_keys", "must be true or false")
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.Organization:
            org = self._get(uid, Organization)
            if org is None:
                raise OrganizationNotFound(organization_id)
            now = self.now(org)
            org.check_restorable(now, self.policy.restore_period)
            s = org.state
            external_id, ext_claim = self._reclaim(
                org, EXTERNAL_ID, s.external_id, release_taken_keys, now, who
            )
            slug, slug_claim = self._reclaim(org, SLUG, s.slug, release_taken_keys, now, who)
            org.restore(
                external_id=external_id,
                slug=slug,
                restore_period=self.policy.restore_period,
                now=now,
                actor=who,
                reason=why,
            )
            self._save(org, ext_claim, slug_claim)
            return presenters.organization_of(org, now)

        return self.run_command(command)

    def _reclaim(
        self,
        org: Organization,
        kind: str,
        key: str | None,
        release_taken: bool,
        now: datetime,
        actor: str,
    ) -> tuple[str | None, KeyClaim | None]:
        """The key the organization gets back (``None``: none, or taken and released) and the
        claim to save with it."""
        if key is None:
            return None, None
        claim = self._get(KeyClaim.create_id(kind, key), KeyClaim)
        if claim is None:  # never claimed: an organization imported without its claims
            new = KeyClaim.claim(kind=kind, key=key, organization_id=org.id, now=now, actor=actor)
            return key, new
        if claim.holder is not None and claim.holder != org.id:
            if release_taken:
                return None, None
            raise RestoreKeyTaken(org.public_id, kind, key)
        return key, claim if claim.claim_for(org.id, self.now(claim), actor) else None

    def list_deleted_organizations(self) -> list[dto.DeletedOrganization]:
        """The deleted organizations that can still be restored, oldest deletion first.

        It reads every organization ever created (the read models keep only live ones): an
        administrator's query, not one to serve to every caller."""
        period = self.policy.restore_period
        found: list[dto.DeletedOrganization] = []
        for uid in self._all_organization_ids():
            org = self._get(uid, Organization, for_update=False)
            if org is None or org.deleted_at is None or org.state.purged:
                continue
            now = self.now(org)
            deadline = org.purge_at(period)
            if deadline is None or now >= deadline:
                continue
            found.append(
                dto.DeletedOrganization(
                    organization=presenters.organization_of(org, now),
                    deleted_at=org.deleted_at,
                    restore_deadline=deadline,
                )
            )
        return sorted(found, key=lambda d: d.deleted_at)

    def get_restore_deadline(self, organization_id: str) -> datetime:
        """Until when a deleted organization can be restored (a live one:
        :class:`OrganizationNotDeleted`; purged: :class:`RestorePeriodOver`)."""
        uid = ids.decode(ids.ORG, organization_id, "organization_id")
        org = self._get(uid, Organization, for_update=False)
        if org is None:
            raise OrganizationNotFound(organization_id)
        org.check_restorable(self.now(org), self.policy.restore_period)
        deadline = org.purge_at(self.policy.restore_period)
        assert deadline is not None  # check_restorable refuses a live organization
        return deadline

    @command
    def purge_deleted_organizations(self, *, actor: str = "system:purge-sweep") -> dto.PurgeSweep:
        """Records ``Purged`` for every deleted organization whose restore period is over: from
        then on restoring it is refused, and feeds and replays see that it is gone for good."""
        who = values.actor(actor)
        checked = purged = 0
        for uid in self._all_organization_ids():
            checked += 1
            purged += self.run_command(partial(self._purge_one, uid, who))
        return dto.PurgeSweep(organizations_checked=checked, organizations_purged=purged)

    def _purge_one(self, uid: UUID, who: str) -> int:
        org = self._get(uid, Organization)
        if org is None:
            return 0
        now = self.now(org)
        if not org.is_purge_due(now, self.policy.restore_period):
            return 0
        org.purge(now, who, self.policy.restore_period)
        self._save(org)
        return 1
