"""Signing in through an SSO connection: the outcome of a login the identity provider vouched for.

The protocol adapters check the SAML response or the OIDC ID token and hand over an
:class:`SsoProfile`; :meth:`SsoSignIns.complete_sso_sign_in` then, in one command, finds the
user by e-mail or provisions them just in time into the connection's organization (the same
admission as ``add_member``, ``provisioning_method: jit_using_sso``, seat rule included),
updates the profile from the mapped attributes and the roles from the mapped groups. Every event
records the connection as its actor (``sso:conn_…``). A refusal the organization makes (full,
member deactivated, a mapped role not defined) is recorded on the connection
(``Connection.SignInRefused``) before :class:`SsoSignInRefused` is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NoReturn

from pydantic import BaseModel, ConfigDict

from tenantry.application.connection_dto import Connection, connection_of
from tenantry.application.kernel import command
from tenantry.application.role_books import RoleBooks
from tenantry.application.sso_config import SsoKernel
from tenantry.domain import admission, ids, values
from tenantry.domain.base import Act, Aggregate
from tenantry.domain.connection import Connection as ConnectionAggregate
from tenantry.domain.connection_errors import ConnectionNotFound
from tenantry.domain.errors import InvalidField, SeatLimitReached
from tenantry.domain.membership import Membership, Newcomer
from tenantry.domain.organization import Organization
from tenantry.domain.role_errors import UndefinedRole
from tenantry.domain.role_scope import RoleScope
from tenantry.domain.sign_in_errors import ConnectionNotActive, SsoSignInRefused
from tenantry.domain.user import User
from tenantry.domain.user_values import user_profile
from tenantry.domain.values import MembershipStatus, ProvisioningMethod

SSO_ACTOR_PREFIX: Final = "sso:"
IDP_INITIATED_NOT_BOUND: Final = "idp_initiated_not_bound"
"""The refusal of an IdP-initiated login while the host names no application to hand it to."""


def sso_actor(connection_id: str) -> str:
    """The actor the events of a sign-in through ``connection_id`` record."""
    return f"{SSO_ACTOR_PREFIX}{connection_id}"


@dataclass(frozen=True)
class SsoProfile:
    """Who the identity provider vouched for, as the protocol adapters read it."""

    email: str
    subject: str
    given_name: str | None = None
    family_name: str | None = None
    groups: tuple[str, ...] = ()


class SignedIn(BaseModel):
    """The outcome of a sign-in: the user, their organization and roles, and the connection.
    ``provisioned``: this sign-in admitted them (just in time)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str
    email: str
    given_name: str | None
    family_name: str | None
    organization_id: str
    connection_id: str
    roles: list[str]
    provisioned: bool


@dataclass
class _Outcome:
    membership: Membership
    user: User | None
    provisioned: bool


class SsoSignIns(RoleBooks, SsoKernel):
    """Sign-in through a connection (see the module's docstring)."""

    def sign_in_connection(self, connection_id: str) -> Connection:
        """The connection a login starts or ends at: :class:`ConnectionNotActive` unless it is
        enabled and its organization's ``sso`` feature is on."""
        conn, _ = self._sign_in_target(connection_id, for_update=False)
        return connection_of(conn, True, self.sso_config, self.now())

    @command
    def complete_sso_sign_in(self, connection_id: str, profile: SsoProfile) -> SignedIn:
        """Finds or provisions the person ``profile`` names (see the module's docstring)."""
        if not isinstance(profile, SsoProfile):
            raise InvalidField("profile", "must be an SsoProfile")
        email = values.email(profile.email)
        actor = sso_actor(connection_id)

        def run() -> SignedIn:
            conn, org = self._sign_in_target(connection_id)
            user_id = ids.user_uuid(email)
            membership = self._get(ids.membership_uuid(org.id, user_id), Membership)
            now = self.now(org, membership, conn)
            act = Act(now, actor)
            try:
                outcome = self._admit_or_find(conn, org, membership, email, profile, act)
            except SsoSignInRefused as refusal:
                conn.refuse_sign_in(refusal.refusal, email, act)
                self._save(conn)
                raise
            user = outcome.user or self._get(user_id, User)
            changed: list[Aggregate | None] = [org, outcome.membership, outcome.user]
            if (
                user is not None
                and _update_profile(user, profile, act)
                and user is not outcome.user
            ):
                changed.append(user)
            self._save(*changed)
            return SignedIn(
                user_id=ids.encode(ids.USER, user_id),
                email=email,
                given_name=None if user is None else user.state.user_profile.given_name,
                family_name=None if user is None else user.state.user_profile.family_name,
                organization_id=org.public_id,
                connection_id=conn.public_id,
                roles=list(outcome.membership.state.roles),
                provisioned=outcome.provisioned,
            )

        return self.run_command(run)

    @command
    def refuse_idp_initiated_sign_in(self, connection_id: str, email: str) -> NoReturn:
        """Records on the connection that an IdP-initiated sign-in of ``email`` is refused
        because the host names no application for such logins
        (:data:`IDP_INITIATED_NOT_BOUND`), then raises :class:`SsoSignInRefused`."""
        address = values.email(email)

        def run() -> None:
            conn, _ = self._sign_in_target(connection_id)
            act = Act(self.now(conn), sso_actor(connection_id))
            conn.refuse_sign_in(IDP_INITIATED_NOT_BOUND, address, act)
            self._save(conn)

        self.run_command(run)
        raise SsoSignInRefused(
            connection_id,
            IDP_INITIATED_NOT_BOUND,
            "no application is set for IdP-initiated logins (TENANTRY_SSO_IDP_INITIATED_*)",
        )

    def _admit_or_find(
        self,
        conn: ConnectionAggregate,
        org: Organization,
        membership: Membership | None,
        email: str,
        profile: SsoProfile,
        act: Act,
    ) -> _Outcome:
        conn_id, user_id = conn.public_id, ids.user_uuid(email)
        scope = self._role_scope(org.id)
        mapped = _mapped_roles(conn, profile.groups, scope)
        status = None if membership is None else membership.status_at(act.now)
        if membership is not None and status is MembershipStatus.INACTIVE:
            raise SsoSignInRefused(conn_id, "member_inactive", f"{email} is deactivated")
        if membership is not None and status is MembershipStatus.ACTIVE:
            _set_roles(org, membership, mapped, act)
            return _Outcome(membership, None, False)
        if membership is not None and status is MembershipStatus.PENDING_INVITE:
            admission.accept(org, membership, act)
            _set_roles(org, membership, mapped, act)
            return _Outcome(membership, None, False)
        user = self._ensure_user(
            user_id, email, act.now, act.actor, registered=membership is not None
        )
        newcomer = Newcomer(user_id, email, scope.for_newcomer(mapped or None), {})
        try:
            admitted = admission.add(
                org, membership, newcomer, ProvisioningMethod.JIT_USING_SSO.value, act
            )
        except SeatLimitReached as full:
            raise SsoSignInRefused(conn_id, "seat_limit_reached", full.message) from None
        return _Outcome(admitted, user, True)

    def _live_connection(
        self, connection_id: str, *, for_update: bool = True
    ) -> ConnectionAggregate:
        uid = ids.decode(ids.CONNECTION, connection_id, "connection_id")
        conn = self._get(uid, ConnectionAggregate, for_update=for_update)
        if conn is None or conn.state.deleted:
            raise ConnectionNotFound(connection_id)
        return conn

    def _sign_in_target(
        self, connection_id: str, *, for_update: bool = True
    ) -> tuple[ConnectionAggregate, Organization]:
        conn = self._live_connection(connection_id, for_update=for_update)
        org = self._get(conn.state.organization_id, Organization, for_update=for_update)
        if org is None or org.is_deleted or not conn.is_active(self._sso_on(org)):
            raise ConnectionNotActive(connection_id)
        return conn, org


def _mapped_roles(
    conn: ConnectionAggregate, groups: tuple[str, ...], scope: RoleScope
) -> list[str]:
    """The roles the connection's mapping grants for ``groups`` (each must be defined once
    roles are)."""
    table = conn.state.mapping.group_roles
    roles = sorted({table[g] for g in groups if g in table})
    try:
        return scope.check(roles, "group_roles")
    except UndefinedRole as undefined:
        raise SsoSignInRefused(conn.public_id, "undefined_role", undefined.message) from None


def _set_roles(org: Organization, membership: Membership, roles: list[str], act: Act) -> None:
    """The mapped roles replace the member's, when the IdP sent groups that map to any (in the
    organization's history too, as every role change)."""
    if roles and roles != membership.state.roles:
        membership.change_roles(roles, act.now, act.actor, None)
        org.record_member_change(membership, act)


def _update_profile(user: User, profile: SsoProfile, act: Act) -> bool:
    """The given and family names the IdP sent replace the user's; whether they changed."""
    names = (("given_name", profile.given_name), ("family_name", profile.family_name))
    try:  # a name the profile's text rule refuses is left as it was, not a failed sign-in
        given = user_profile({k: v for k, v in names if v}).model_dump(exclude_none=True)
    except InvalidField:
        return False
    current = user.state.user_profile
    updated = current.model_copy(update=given)
    if not given or updated == current:
        return False
    user.change_profile(updated, act)
    return True
