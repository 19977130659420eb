"""Members and invitations: admissions (invite, add, accept, resend), releases (revoke, remove,
deactivate), reactivation and the status an admin sets, roles and metadata, and reading a
membership or a user. Each admission or release is one domain transition
(:mod:`tenantry.domain.admission`) over the organization and the membership, saved together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from tenantry.application import dto, presenters
from tenantry.application.kernel import UNSET, Unset, command
from tenantry.application.role_books import RoleBooks
from tenantry.domain import admission, arguments, ids, values
from tenantry.domain.base import Act, Aggregate
from tenantry.domain.errors import InvalidField, MembershipNotFound, NothingChanged
from tenantry.domain.membership import Invitation, Membership, Newcomer
from tenantry.domain.organization import Organization
from tenantry.domain.role_scope import RoleScope
from tenantry.domain.user import User, parse_user_reference

MAX_INVITATION_LIFETIME: Final = timedelta(days=90)


def _expiry(now: datetime, lifetime: timedelta) -> datetime:
    """Invitations expire on a whole second (rounded up), which keeps the seat ledger compact."""
    at = now + lifetime
    return at if not at.microsecond else at.replace(microsecond=0) + timedelta(seconds=1)


class Members(RoleBooks):
    """Members' and invitations' use cases."""

    @command
    def invite_member(
        self,
        organization_id: str,
        email: str,
        *,
        roles: Sequence[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        inviter_email: str | None = None,
        expires_in: timedelta | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Invites ``email``: a pending membership that holds a seat until it expires.
        Re-inviting someone whose invitation expired or was revoked issues a new invitation."""
        address = values.email(email)
        requested = None if roles is None else values.roles(roles)
        md = values.metadata(metadata, "membership.metadata")
        inviter = None if inviter_email is None else values.email(inviter_email, "inviter_email")
        lifetime = self._lifetime(expires_in)
        who, why = values.actor(actor), values.reason(reason)
        newcomer = Newcomer(ids.user_uuid(address), address, [], md)

        def admit(
            org: Organization, membership: Membership | None, newcomer: Newcomer, now: datetime
        ) -> Membership:
            invitation = Invitation(self._new_id(), _expiry(now, lifetime), inviter)
            return admission.invite(org, membership, newcomer, invitation, Act(now, who, why))

        return self._admit(organization_id, newcomer, requested, who, admit)

    @command
    def add_member(
        self,
        organization_id: str,
        email: str,
        *,
        roles: Sequence[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        provisioning_method: str = "direct_provision",
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Makes ``email`` an active member at once (direct, SCIM or JIT provisioning)."""
        address = values.email(email)
        requested = None if roles is None else values.roles(roles)
        md = values.metadata(metadata, "membership.metadata")
        try:
            method = values.ProvisioningMethod(provisioning_method).value
        except ValueError:
            raise InvalidField(
                "provisioning_method",
                "must be one of " + ", ".join(m.value for m in values.ProvisioningMethod),
            ) from None
        who, why = values.actor(actor), values.reason(reason)
        newcomer = Newcomer(ids.user_uuid(address), address, [], md)

        def admit(
            org: Organization, membership: Membership | None, newcomer: Newcomer, now: datetime
        ) -> Membership:
            return admission.add(org, membership, newcomer, method, Act(now, who, why))

        return self._admit(organization_id, newcomer, requested, who, admit)

    @command
    def accept_invitation(
        self,
        organization_id: str,
        user: str,
        *,
        actor: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Accepts a still-valid invitation (``user`` is a ``usr_`` id or an e-mail). It takes
        no new seat: the invitation already held one."""
        who = None if actor is None else values.actor(actor)
        return self._transition(organization_id, user, admission.accept, who, None)

    @command
    def resend_invitation(
        self,
        organization_id: str,
        user: str,
        *,
        expires_in: timedelta | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Resends an invitation: a pending one is extended; an expired one is replaced by a new
        invitation, which needs a free seat."""
        lifetime = self._lifetime(expires_in)

        def resend(org: Organization, membership: Membership, act: Act) -> None:
            expires_at = _expiry(act.now, lifetime)
            admission.resend(org, membership, expires_at, act, self._new_id)

        return self._transition(
            organization_id, user, resend, values.actor(actor), values.reason(reason)
        )

    @command
    def resend_invite(
        self,
        organization_id: str,
        user: str,
        *,
        expires_in: timedelta | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Invite:
        """:meth:`resend_invitation`, by the hosted SDK's name and with its answer: the
        invitation (``organization_id``, ``user_id``, ``inviter_email``, ``status``,
        ``created_at``, ``expires_at``, ``resent_at``, ``resent_count``)."""
        membership = self.resend_invitation(
            organization_id,
            user,
            expires_in=expires_in,
            actor=actor,
            reason=reason,
            on_behalf_of=on_behalf_of,
        )
        return dto.Invite.of(membership)

    @command
    def revoke_invitation(
        self,
        organization_id: str,
        user: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        self._transition(
            organization_id, user, admission.revoke, values.actor(actor), values.reason(reason)
        )

    @command
    def remove_member(
        self,
        organization_id: str,
        user: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Removes a member, or withdraws a pending invitation; the seat is freed."""
        self._transition(
            organization_id, user, admission.remove, values.actor(actor), values.reason(reason)
        )

    @command
    def deactivate_member(
        self,
        organization_id: str,
        user: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Suspends an active member (status INACTIVE); the seat is freed."""
        return self._transition(
            organization_id, user, admission.deactivate, values.actor(actor), values.reason(reason)
        )

    @command
    def reactivate_member(
        self,
        organization_id: str,
        user: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Makes an inactive member active again; this is an admission and needs a free seat."""
        return self._transition(
            organization_id, user, admission.reactivate, values.actor(actor), values.reason(reason)
        )

    @command
    def set_membership_status(
        self,
        organization_id: str,
        user: str,
        status: str,
        *,
        actor: str | None = None,
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Gives a membership the status an admin sets, as the hosted API's membership update
        does: ``INACTIVE`` deactivates an active member; ``ACTIVE`` reactivates an inactive one
        or accepts a pending invitation; a membership that has the status already is left as it
        is (nothing recorded). Refusals are those of the transition (e.g.
        :class:`MemberNotActive`, :class:`InvitationHasExpired`).

        ``actor`` defaults to ``"system"``, and for an acceptance to the member, as for
        :meth:`accept_invitation`; an acceptance records no reason."""
        wanted = values.member_status(status)
        given = values.actor(actor) if actor is not None else None
        why = values.reason(reason)

        def command() -> dto.Membership:
            org, membership = self._member(organization_id, user)
            now = self.now(org, membership)
            transition = admission.transition_to(membership, wanted, now)
            if transition is not None:
                member = membership.state.email if transition is admission.accept else "system"
                transition(org, membership, Act(now, given or member, why))
                self._save(org, membership)
            return presenters.membership_of(membership, now, self._role_scope(org.id))

        return self.run_command(command)

    @command
    def update_member_roles(
        self,
        organization_id: str,
        user: str,
        roles: Sequence[str],
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        roles_ = values.roles(roles, required=True)
        who, why = values.actor(actor), values.reason(reason)
        return self._change_member(
            organization_id,
            user,
            lambda m, now, scope: m.change_roles(scope.check(roles_), now, who, why),
            Act(self.now(), who, why),
        )

    @command
    def update_member_metadata(
        self,
        organization_id: str,
        user: str,
        metadata: Mapping[str, str],
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        md = values.metadata(metadata, "membership.metadata", required=True)
        who, why = values.actor(actor), values.reason(reason)
        return self._change_member(
            organization_id,
            user,
            lambda m, now, _: m.change_metadata(md, now, who, why),
            Act(self.now(), who, why),
        )

    @command
    def update_membership(
        self,
        organization_id: str,
        user: str,
        *,
        roles: Sequence[str] | Unset = UNSET,
        metadata: Mapping[str, str] | Unset = UNSET,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Changes roles and metadata together in one save: one event per field that really
        changes; :class:`NothingChanged` if none does."""
        roles_ = UNSET if isinstance(roles, Unset) else values.roles(roles, required=True)
        md = (
            UNSET
            if isinstance(metadata, Unset)
            else values.metadata(metadata, "membership.metadata", required=True)
        )
        who, why = values.actor(actor), values.reason(reason)

        def change(membership: Membership, now: datetime, scope: RoleScope) -> None:
            membership.check_exists()
            if not isinstance(roles_, Unset) and roles_ != membership.state.roles:
                membership.change_roles(scope.check(roles_), now, who, why)
            if not isinstance(md, Unset) and md != membership.state.metadata:
                membership.change_metadata(md, now, who, why)
            if not membership.pending_events:
                raise NothingChanged("membership")

        return self._change_member(organization_id, user, change, Act(self.now(), who, why))

    def _transition(
        self,
        organization_id: str,
        user: str,
        transition: admission.Transition,
        who: str | None,
        why: str | None,
    ) -> dto.Membership:
        """A command that takes a membership and its organization's seat ledger through one
        transition, saved together; ``who`` and ``why`` are checked already. No ``who``: the
        member acts (an acceptance)."""

        def command() -> dto.Membership:
            org, membership = self._member(organization_id, user)
            now = self.now(org, membership)
            transition(org, membership, Act(now, who or membership.state.email, why))
            self._save(org, membership)
            return presenters.membership_of(membership, now, self._role_scope(org.id))

        return self.run_command(command)

    def _change_member(
        self,
        organization_id: str,
        user: str,
        change: Callable[[Membership, datetime, RoleScope], None],
        act: Act,
    ) -> dto.Membership:
        """A change of a membership's roles or metadata (its organization must be live), also
        recorded in the organization's history; ``act`` gives who and why."""

        def command() -> dto.Membership:
            org, membership = self._member(organization_id, user)
            now = self.now(org, membership)
            scope = self._role_scope(org.id)
            change(membership, now, scope)
            org.record_member_change(membership, Act(now, act.actor, act.reason))
            self._save(org, membership)
            return presenters.membership_of(membership, now, scope)

        return self.run_command(command)

    def get_membership(self, organization_id: str, user: str) -> dto.Membership:
        """The membership now; one whose invitation was revoked reads with status ``REMOVED``
        and its invitation ``revoked`` (a removed member is not found)."""
        org, membership = self._member(organization_id, user, for_update=False)
        membership.check_readable()
        return presenters.membership_of(membership, self.now(), self._role_scope(org.id))

    def _lifetime(self, expires_in: timedelta | None) -> timedelta:
        if expires_in is None:
            lifetime = self.invitation_lifetime
        else:
            lifetime = arguments.duration(expires_in, "expires_in")
        if not timedelta(minutes=1) <= lifetime <= MAX_INVITATION_LIFETIME:
            raise InvalidField("expires_in", "must be between 1 minute and 90 days")
        return lifetime

    def _member(
        self, organization_id: str, user: str, *, for_update: bool = True
    ) -> tuple[Organization, Membership]:
        user_id = parse_user_reference(user)
        org = self._org(organization_id, for_update=for_update)
        membership = self._get(
            ids.membership_uuid(org.id, user_id), Membership, for_update=for_update
        )
        if membership is None:
            raise MembershipNotFound(organization_id, user)
        return org, membership

    def _admit(
        self,
        organization_id: str,
        newcomer: Newcomer,
        requested: list[str] | None,
        actor: str,
        admit: Callable[[Organization, Membership | None, Newcomer, datetime], Membership],
    ) -> dto.Membership:
        """Runs an admission (invite or direct provisioning): registers a user new to tenantry,
        then ``admit`` checks and records the admission on the organization and the new or
        returning membership; all saved together. The newcomer holds the ``requested`` roles
        (each defined, once roles are defined) or the default role."""

        def command() -> dto.Membership:
            org = self._org(organization_id)
            membership = self._find_membership(ids.membership_uuid(org.id, newcomer.user_id))
            now = self.now(org, membership)
            user = self._ensure_user(
                newcomer.user_id, newcomer.email, now, actor, registered=membership is not None
            )
            scope = self._role_scope(org.id)
            admitted = replace(newcomer, roles=scope.for_newcomer(requested))
            amended: list[Aggregate | None] = []
            amend = getattr(self._local, "amend_user", None)
            if amend is not None:  # create_user_and_membership: the user's fields, saved too
                user = user or self._get(newcomer.user_id, User)
                amended = amend(user, self.now(org, membership, user))
            membership = admit(org, membership, admitted, now)
            self._save(org, membership, user, *amended)
            return presenters.membership_of(membership, now, scope)

        return self.run_command(command)
