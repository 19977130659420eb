"""Organizations: create, read, update and delete them, and sign-up (a new organization with
its first admin). Natural keys (external id, slug) are claimed in the same save as the
organization.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tenantry.application import dto, presenters, sdk_shapes
from tenantry.application.kernel import UNSET, Unset, command
from tenantry.application.role_books import RoleBooks
from tenantry.application.sdk_shapes import UpdateOrganizationLike
from tenantry.domain import admission, ids, values
from tenantry.domain.base import Act
from tenantry.domain.errors import InvalidField, NothingChanged, OrganizationNotFound
from tenantry.domain.key_claim import EXTERNAL_ID, SLUG, KeyClaim
from tenantry.domain.membership import Newcomer
from tenantry.domain.organization import Organization


@dataclass(frozen=True)
class _OrganizationFields:
    """An organization's creation fields, validated and normalized."""

    display_name: str
    external_id: str | None
    metadata: dict[str, str]
    slug: str | None
    logo_url: str | None
    region_code: str

    @classmethod
    def check(
        cls,
        display_name: str,
        external_id: str | None,
        metadata: Mapping[str, str] | None,
        slug: str | None,
        logo_url: str | None,
        region_code: str | None,
    ) -> _OrganizationFields:
        return cls(
            display_name=values.display_name(display_name),
            external_id=values.external_id(external_id),
            metadata=values.metadata(metadata),
            slug=values.slug(slug),
            logo_url=values.logo_url(logo_url),
            region_code=values.region_code(region_code),
        )


class Organizations(RoleBooks):
    """Organizations' use cases."""

    @command
    def create_organization(
        self,
        display_name: str,
        *,
        external_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        slug: str | None = None,
        logo_url: str | None = None,
        region_code: str | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Organization:
        fields = _OrganizationFields.check(
            display_name, external_id, metadata, slug, logo_url, region_code
        )
        who, why = values.actor(actor), values.reason(reason)
        org_id = self._new_id()

        def command() -> dto.Organization:
            now = self.now()
            org, claims = self._new_organization(org_id, now, who, why, fields)
            self._save(org, *claims)
            return presenters.organization_of(org, now)

        return self.run_command(command)

    def get_organization(self, organization_id: str) -> dto.Organization:
        """The organization now (its seats in use counted at the clock's time)."""
        org = self._org(organization_id, for_update=False)
        return presenters.organization_of(org, self.now(org))

    def get_organization_by_external_id(self, external_id: str) -> dto.Organization:
        ext = values.external_id(external_id)
        if ext is None:
            raise InvalidField("external_id", "must not be empty")
        claim = self._get(KeyClaim.create_id(EXTERNAL_ID, ext), KeyClaim, for_update=False)
        if claim is None or claim.holder is None:
            raise OrganizationNotFound(ext)
        org = self._get(claim.holder, Organization, for_update=False)
        if org is None or org.is_deleted:
            raise OrganizationNotFound(ext)
        return presenters.organization_of(org, self.now(org))

    @command
    def update_organization(
        self,
        organization_id: str,
        *,
        display_name: str | Unset = UNSET,
        external_id: str | Unset | None = UNSET,
        metadata: Mapping[str, str] | Unset | None = UNSET,
        slug: str | Unset | None = UNSET,
        logo_url: str | Unset | None = UNSET,
        region_code: str | Unset = UNSET,
        organization: Mapping[str, Any] | UpdateOrganizationLike | Unset = UNSET,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Organization:
        """Changes the given fields; ``""`` or ``None`` clears an optional field. Only real changes
        are recorded (one event each); if nothing would change, :class:`NothingChanged`.

        ``organization``: the fields as the hosted SDK passes them, an ``UpdateOrganization``
        message (or a mapping), instead of keyword arguments (see
        :mod:`tenantry.application.sdk_shapes`)."""
        if not isinstance(organization, Unset):
            given = {
                "display_name": display_name,
                "external_id": external_id,
                "metadata": metadata,
                "slug": slug,
                "logo_url": logo_url,
                "region_code": region_code,
            }
            merged = sdk_shapes.organization_update(
                organization, {k: v for k, v in given.items() if not isinstance(v, Unset)}
            )
            return self.update_organization(
                organization_id,
                **merged,  # type: ignore[arg-type]  # checked field by field below
                actor=actor,
                reason=reason,
                on_behalf_of=on_behalf_of,
            )
        name = UNSET if isinstance(display_name, Unset) else values.display_name(display_name)
        ext = UNSET if isinstance(external_id, Unset) else values.external_id(external_id)
        md = UNSET if isinstance(metadata, Unset) else values.metadata(metadata)
        slug_ = UNSET if isinstance(slug, Unset) else values.slug(slug)
        logo = UNSET if isinstance(logo_url, Unset) else values.logo_url(logo_url)
        region = (
            UNSET
            if isinstance(region_code, Unset)
            else values.region_code(region_code, required=True)
        )
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.Organization:
            org = self._org(organization_id)
            now = self.now(org)
            if not isinstance(region, Unset):
                org.check_region(region)
            claims: list[KeyClaim | None] = []
            s = org.state
            if not isinstance(name, Unset) and name != s.display_name:
                org.rename(name, now, who, why)
            if not isinstance(ext, Unset) and ext != s.external_id:
                claims += self._move_claim(EXTERNAL_ID, s.external_id, ext, org.id, now, who)
                org.change_external_id(ext, now, who, why)
            if not isinstance(slug_, Unset) and slug_ != s.slug:
                claims += self._move_claim(SLUG, s.slug, slug_, org.id, now, who)
                org.change_slug(slug_, now, who, why)
            if not isinstance(logo, Unset) and logo != s.logo_url:
                org.change_logo(logo, now, who, why)
            if not isinstance(md, Unset) and md != s.metadata:
                org.change_metadata(md, now, who, why)
            if not org.pending_events:
                raise NothingChanged("organization")
            self._save(org, *claims)
            return presenters.organization_of(org, now)

        return self.run_command(command)

    @command
    def update_organization_by_external_id(
        self,
        external_id: str,
        *,
        display_name: str | Unset = UNSET,
        new_external_id: str | Unset | None = UNSET,
        metadata: Mapping[str, str] | Unset | None = UNSET,
        slug: str | Unset | None = UNSET,
        logo_url: str | Unset | None = UNSET,
        region_code: str | Unset = UNSET,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Organization:
        """:meth:`update_organization` of the live organization holding ``external_id``;
        ``new_external_id`` changes (or, ``""``/``None``, clears) the external id itself."""
        org_id = self.get_organization_by_external_id(external_id).id
        return self.update_organization(
            org_id,
            display_name=display_name,
            external_id=new_external_id,
            metadata=metadata,
            slug=slug,
            logo_url=logo_url,
            region_code=region_code,
            actor=actor,
            reason=reason,
            on_behalf_of=on_behalf_of,
        )

    @command
    def delete_organization(
        self,
        organization_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Deletes the organization; its external id and slug become free for reuse.
        Its history stays readable."""
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            org = self._org(organization_id)
            now = self.now(org)
            claims = [
                *self._move_claim(EXTERNAL_ID, org.state.external_id, None, org.id, now, who),
                *self._move_claim(SLUG, org.state.slug, None, org.id, now, who),
            ]
            org.delete(now, who, why)
            self._save(org, *claims)

        self.run_command(command)

    @command
    def sign_up(
        self,
        email: str,
        display_name: str,
        *,
        external_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        slug: str | None = None,
        logo_url: str | None = None,
        region_code: str | None = None,
        actor: str | None = None,
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.SignUp:
        """Creates an organization and makes ``email`` its first active admin, atomically.
        ``actor`` defaults to the founder (``email``)."""
        address = values.email(email)
        fields = _OrganizationFields.check(
            display_name, external_id, metadata, slug, logo_url, region_code
        )
        who = address if actor is None else values.actor(actor)
        why = values.reason(reason)
        org_id = self._new_id()
        user_id = ids.user_uuid(address)

        def command() -> dto.SignUp:
            now = self.now()
            org, claims = self._new_organization(org_id, now, who, why, fields)
            user = self._ensure_user(user_id, address, now, who)
            roles = self._role_scope(org.id)
            # The founder is an admin ("admin", or the role it was deleted for).
            founder = Newcomer(user_id, address, [roles.replacement("admin")], {})
            act = Act(now, who, why)
            membership = admission.add(org, None, founder, "org_creator", act)
            self._save(org, membership, user, *claims)
            return dto.SignUp(
                organization=presenters.organization_of(org, now),
                membership=presenters.membership_of(membership, now, roles),
            )

        return self.run_command(command)

    def claim_keys(self, org: Organization, now: datetime, actor: str) -> list[KeyClaim]:
        """The claims of an organization's external id and slug that it does not hold yet, to be
        saved with it; a key another live organization holds is refused by its claim
        (:class:`ExternalIdTaken`, :class:`SlugTaken`)."""
        s = org.state
        claims = (
            self._claim(EXTERNAL_ID, s.external_id, org.id, now, actor),
            self._claim(SLUG, s.slug, org.id, now, actor),
        )
        return [claim for claim in claims if claim is not None]

    def _new_organization(
        self, org_id: UUID, now: datetime, actor: str, reason: str | None, f: _OrganizationFields
    ) -> tuple[Organization, list[KeyClaim]]:
        """A new organization and the claims of its natural keys, to be saved together."""
        org = Organization.create(
            id=org_id,
            now=now,
            actor=actor,
            reason=reason,
            display_name=f.display_name,
            external_id=f.external_id,
            slug=f.slug,
            logo_url=f.logo_url,
            region_code=f.region_code,
            metadata=f.metadata,
        )
        return org, self.claim_keys(org, now, actor)

    def _claim(
        self, kind: str, key: str | None, org_id: UUID, now: datetime, actor: str
    ) -> KeyClaim | None:
        """The claim of ``key`` for the organization, to be saved with it (None: nothing to
        save); the claim refuses a key another live organization holds."""
        if key is None:
            return None
        claim = self._get(KeyClaim.create_id(kind, key), KeyClaim)
        if claim is None:
            return KeyClaim.claim(kind=kind, key=key, organization_id=org_id, now=now, actor=actor)
        return claim if claim.claim_for(org_id, self.now(claim), actor) else None

    def _move_claim(
        self, kind: str, old: str | None, new: str | None, org_id: UUID, now: datetime, actor: str
    ) -> list[KeyClaim | None]:
        """Claims ``new`` and releases ``old``, to be saved with the organization."""
        out: list[KeyClaim | None] = [self._claim(kind, new, org_id, now, actor)]
        if old is not None:
            claim = self._get(KeyClaim.create_id(kind, old), KeyClaim)
            if claim is not None:
                claim.release(org_id, self.now(claim), actor)
                out.append(claim)
        return out
