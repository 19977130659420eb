"""Roles given to or taken from one member without restating the others (the hosted API's
assign-roles and remove-role calls): each is one read-modify-write command, run again on fresh
state if a concurrent change wins the race, so no concurrent role change is lost."""

from __future__ import annotations

from collections.abc import Sequence

from tenantry.application import dto
from tenantry.application.kernel import command
from tenantry.application.members import Members
from tenantry.domain import values
from tenantry.domain.base import Act


class MemberRoles(Members):
    @command
    def assign_member_roles(
        self,
        organization_id: str,
        user: str,
        roles: Sequence[str],
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Gives the member ``roles`` beside those held; :class:`NothingChanged` if the member
        holds them all already. Every role must be defined for the organization."""
        added = values.roles(roles, required=True)
        who, why = values.actor(actor), values.reason(reason)
        return self._change_member(
            organization_id,
            user,
            lambda m, now, scope: m.grant_roles(scope.check(added), now, who, why),
            Act(self.now(), who, why),
        )

    @command
    def remove_member_role(
        self,
        organization_id: str,
        user: str,
        role: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Membership:
        """Takes ``role`` from the member: :class:`MemberRoleNotHeld` if not held,
        :class:`LastMemberRole` if it is the only one."""
        (name,) = values.roles([role], "role_name", required=True)
        who, why = values.actor(actor), values.reason(reason)
        return self._change_member(
            organization_id,
            user,
            lambda m, now, _: m.take_role(name, now, who, why),
            Act(self.now(), who, why),
        )
