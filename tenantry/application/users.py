"""Users as resources of their own: read one (by id, e-mail or external id), change its
external id, metadata and profile, and delete it. Deleting a user removes every membership of
theirs first, in bounded batches (each batch one transaction with its organizations, so seats
are freed as the memberships go), then records the user's deletion; every event records the
actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final, cast
from uuid import UUID

from eventsourcing.utils import get_topic

from tenantry.application import dto, presenters
from tenantry.application.kernel import UNSET, Kernel, Unset, command
from tenantry.application.members import Members
from tenantry.domain import admission, arguments, ids, values
from tenantry.domain.base import Act
from tenantry.domain.errors import InvalidField, NothingChanged, UserNotFound
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization
from tenantry.domain.user import User, parse_user_reference
from tenantry.domain.user_claim import UserExternalIdClaim
from tenantry.domain.user_values import UserProfile, user_profile

DELETION_BATCH: Final = 20
"""Memberships removed per transaction when a user is deleted."""

_SCAN_BATCH: Final = 1000
_ADMISSIONS: Final = (get_topic(Membership.Invited), get_topic(Membership.Provisioned))


class Users(Kernel):
    """Users' use cases."""

    def get_user(self, user: str) -> dto.User:
        """A live user, given by ``usr_`` id or e-mail; :class:`UserNotFound` otherwise."""
        return presenters.user_of(self._live_user(user, for_update=False))

    def get_user_by_external_id(self, external_id: str) -> dto.User:
        ext = values.external_id(external_id)
        if ext is None:
            raise InvalidField("external_id", "must not be empty")
        claim = self._get(UserExternalIdClaim.create_id(ext), UserExternalIdClaim, for_update=False)
        user = None if claim is None or claim.holder is None else self._get(claim.holder, User)
        if user is None or user.is_deleted:
            raise UserNotFound(ext)
        return presenters.user_of(user)

    @command
    def update_user(
        self,
        user: str,
        *,
        external_id: str | Unset | None = UNSET,
        metadata: Mapping[str, str] | Unset | None = UNSET,
        user_profile: Mapping[str, str | None] | UserProfile | Unset | None = UNSET,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.User:
        """Changes the given fields: ``external_id`` (``""``/``None`` clears it; unique among
        live users), ``metadata`` (replaced whole), ``user_profile`` (the fields given replace
        theirs; ``""``/``None`` clears one). One event per field that really changes;
        :class:`NothingChanged` if none does."""
        changes = _UserChanges.check(external_id, metadata, user_profile)
        act_of = _Acting(values.actor(actor), values.reason(reason))

        def run() -> dto.User:
            u = self._live_user(user)
            claims = self._change_user(u, changes, act_of.at(self.now(u)))
            if not u.pending_events:
                raise NothingChanged("user")
            self._save(u, *claims)
            return presenters.user_of(u)

        return self.run_command(run)

    @command
    def create_user_and_membership(
        self,
        organization_id: str,
        email: str,
        *,
        external_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        user_profile: Mapping[str, str | None] | UserProfile | None = None,
        membership: Mapping[str, Any] | None = None,
        send_invitation: bool = True,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.UserAndMembership:
        """The hosted ``CreateUser``: admits ``email`` to the organization (an invitation, or
        with ``send_invitation=False`` an active member at once) through the same admission as
        :meth:`invite_member` and :meth:`add_member` (seat rule included), and gives the user
        the fields given, all in one save. ``membership`` is ``{roles: [{name}], metadata,
        inviter_email}``. A user who exists keeps the fields not given."""
        given = _UserChanges.check(
            UNSET if external_id is None else external_id,
            UNSET if metadata is None else metadata,
            UNSET if user_profile is None else user_profile,
        )
        terms = _membership_terms(membership)
        invite = arguments.flag(send_invitation, "send_invitation")
        if not invite and terms.get("inviter_email") is not None:
            raise InvalidField("membership.inviter_email", "only applies to invitations")
        act_of = _Acting(values.actor(actor), values.reason(reason))

        def amend(u: User, now: datetime) -> list[UserExternalIdClaim | None]:
            return self._change_user(u, given, act_of.at(now))

        members = cast(Members, self)  # Tenantry composes Members beside Users
        self._local.amend_user = amend
        try:
            if invite:
                admitted = members.invite_member(
                    organization_id, email, **terms, actor=actor, reason=reason
                )
            else:
                admitted = members.add_member(
                    organization_id, email, **terms, actor=actor, reason=reason
                )
        finally:
            self._local.amend_user = None
        return dto.UserAndMembership(user=self.get_user(admitted.user_id), membership=admitted)

    def _change_user(
        self, u: User, changes: _UserChanges, act: Act
    ) -> list[UserExternalIdClaim | None]:
        """Records on ``u`` each change that really changes it; the claims to save with it."""
        s = u.state
        claims: list[UserExternalIdClaim | None] = []
        ext, md, profile = changes.external_id, changes.metadata, changes.user_profile
        if not isinstance(ext, Unset) and ext != s.external_id:
            claims += self._move_user_claim(s.external_id, ext, u.id, act)
            u.change_external_id(ext, act)
        if not isinstance(md, Unset) and md != s.metadata:
            u.change_metadata(md, act)
        if not isinstance(profile, Unset):
            merged = s.user_profile.model_copy(
                update={k: getattr(profile, k) for k in profile.model_fields_set}
            )
            if merged != s.user_profile:
                u.change_profile(merged, act)
        return claims

    @command
    def delete_user(
        self,
        user: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.UserDeletion:
        """Deletes a user: removes each of their memberships (seats freed), also those in
        deleted organizations that may still be restored (a restore brings back only the
        members that are still members), at most
        :data:`DELETION_BATCH` per transaction with their organizations, then records the
        deletion and frees the external id. A user deleted part way (a crash between batches)
        is deleted by running this again. An admission of the e-mail later brings the user back
        (``Reregistered``) with no profile.

        An admission that another process (or thread) commits while the memberships are being
        removed, before the deletion, is swept up after it: the user's organizations are read
        again once ``User.Deleted`` is recorded, and a membership found live there is removed
        too (unless the user was brought back meanwhile)."""
        act_of = _Acting(values.actor(actor), values.reason(reason))
        uid = self._live_user(user, for_update=False).id
        removed = self._remove_all_memberships(uid, act_of, sweep=False)

        def run() -> dto.UserDeletion:
            u = self._live_user(user)
            act = act_of.at(self.now(u))
            claims = self._move_user_claim(u.state.external_id, None, u.id, act)
            u.delete(act)
            self._save(u, *claims)
            return dto.UserDeletion(user_id=u.public_id, removed_from=removed)

        deletion = self.run_command(run)
        position = self.last_position
        late = [
            o for o in self._remove_all_memberships(uid, act_of, sweep=True) if o not in removed
        ]
        if self.last_position is None:
            self._local.position = position  # the sweep recorded nothing
        if not late:
            return deletion
        return deletion.model_copy(update={"removed_from": removed + late})

    def _remove_all_memberships(self, uid: UUID, act_of: _Acting, *, sweep: bool) -> list[str]:
        """Removes the user's memberships in batches; the organizations they were removed from.
        A ``sweep`` (after the deletion) stops if the user is live again. Leaves
        :attr:`last_position` at the last event it recorded (``None``: none)."""
        orgs = self._user_organizations(uid)
        removed: list[str] = []
        recorded: int | None = None  # where the last batch that recorded anything ended
        for start in range(0, len(orgs), DELETION_BATCH):
            batch = orgs[start : start + DELETION_BATCH]
            if sweep and not self._is_deleted_user(uid):
                break
            removed += self.run_command(partial(self._remove_memberships, uid, batch, act_of))
            recorded = self.last_position or recorded
        self._local.position = recorded
        return removed

    def _is_deleted_user(self, uid: UUID) -> bool:
        u = self._get(uid, User, for_update=False)
        return u is not None and u.is_deleted

    def _user_organizations(self, user_id: UUID) -> list[UUID]:
        """The organizations where the user may hold a membership (a superset will do), in the
        order they were joined. This reads the log's admissions; an application with read
        models answers from them instead."""
        found: dict[UUID, None] = {}
        start = 1
        while batch := self.recorder.select_notifications(start, _SCAN_BATCH, topics=_ADMISSIONS):
            for notification in batch:
                event = self.mapper.to_domain_event(notification)
                if getattr(event, "user_id", None) == user_id:
                    found[event.organization_id] = None  # type: ignore[attr-defined]
            start = batch[-1].id + 1
        return list(found)

    def _remove_memberships(self, user_id: UUID, org_ids: list[UUID], act_of: _Acting) -> list[str]:
        """One batch: removes the user's memberships of ``org_ids`` (in deleted organizations
        too, so that a restore does not bring them back), saved with their organizations in one
        transaction."""
        changed: list[Organization | Membership] = []
        removed: list[str] = []
        for org_id in org_ids:
            org = self._get(org_id, Organization)
            membership = self._get(ids.membership_uuid(org_id, user_id), Membership)
            if org is None or org.state.purged or membership is None:
                continue  # a purged organization never comes back
            if membership.state.status is None:
                continue  # removed already
            act = act_of.at(self.now(org, membership))
            admission.remove_of_deleted_user(org, membership, act)
            changed += (org, membership)
            removed.append(org.public_id)
        if changed:
            self._save(*changed)
        return removed

    def _live_user(self, user: str, *, for_update: bool = True) -> User:
        u = self._get(parse_user_reference(user), User, for_update=for_update)
        if u is None or u.is_deleted:
            raise UserNotFound(user)
        return u

    def _move_user_claim(
        self, old: str | None, new: str | None, user_id: UUID, act: Act
    ) -> list[UserExternalIdClaim | None]:
        """Claims ``new`` and releases ``old``, to be saved with the user."""
        out: list[UserExternalIdClaim | None] = []
        if new is not None:
            claim = self._get(UserExternalIdClaim.create_id(new), UserExternalIdClaim)
            if claim is None:
                out.append(UserExternalIdClaim.first(new, user_id, act.now, act.actor))
            elif claim.take_for(user_id, self.now(claim), act.actor):
                out.append(claim)
        if old is not None:
            claim = self._get(UserExternalIdClaim.create_id(old), UserExternalIdClaim)
            if claim is not None:
                claim.release(user_id, self.now(claim), act.actor)
                out.append(claim)
        return out


@dataclass(frozen=True)
class _UserChanges:
    """A user's fields to change, checked (``UNSET``: not to change)."""

    external_id: str | Unset | None
    metadata: dict[str, str] | Unset
    user_profile: UserProfile | Unset

    @classmethod
    def check(
        cls,
        external_id: str | Unset | None,
        metadata: Mapping[str, str] | Unset | None,
        user_profile: Mapping[str, str | None] | UserProfile | Unset | None,
    ) -> _UserChanges:
        return cls(
            external_id=UNSET
            if isinstance(external_id, Unset)
            else values.external_id(external_id),
            metadata=UNSET if isinstance(metadata, Unset) else values.metadata(metadata),
            user_profile=UNSET if isinstance(user_profile, Unset) else _profile(user_profile),
        )


def _membership_terms(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """The hosted ``membership`` of a create-user body as ``invite_member``'s keywords:
    ``roles`` as ``[{"name": ...}]`` (or plain names), ``metadata``, ``inviter_email``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidField("membership", "must be an object of roles, metadata, inviter_email")
    unknown = sorted(set(value) - {"roles", "metadata", "inviter_email"})
    if unknown:
        raise InvalidField(f"membership.{unknown[0]}", "is not a membership field")
    terms = {k: v for k, v in value.items() if v is not None}
    roles = terms.get("roles")
    if isinstance(roles, list):
        terms["roles"] = [r.get("name") if isinstance(r, Mapping) else r for r in roles]
    return terms


class _Acting:
    """Who acts and why, checked once; :meth:`at` gives the act at a command's time."""

    def __init__(self, actor: str, reason: str | None) -> None:
        self.actor, self.reason = actor, reason

    def at(self, now: datetime) -> Act:
        return Act(now, self.actor, self.reason)


def _profile(value: Mapping[str, str | None] | UserProfile | None) -> UserProfile:
    """The profile fields given (``None``: clear them all)."""
    if value is None:
        return UserProfile(**dict.fromkeys(UserProfile.model_fields))
    return user_profile(value)
