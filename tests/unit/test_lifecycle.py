"""No-op commands, illegal lifecycle transitions, unknown and deleted organizations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.errors import (
    AlreadyMember,
    ConcurrentModification,
    InvitationHasExpired,
    InvitationNotPending,
    InvitationWasRevoked,
    MemberNotActive,
    MemberNotInactive,
    MembershipNotFound,
    NothingChanged,
    OrganizationNotFound,
    UserNotFound,
)
from tenantry.domain.values import SessionPolicy
from tests.support import FakeClock
from tests.unit.helpers import records_nothing, topics

LIFETIME = timedelta(days=15)
Command = Callable[[Tenantry, str], object]

# --- NothingChanged -----------------------------------------------------------------------------

NO_OP_COMMANDS: dict[str, tuple[Command, str]] = {
    "update without fields": (lambda app, org: app.update_organization(org), "organization"),
    "same name": (
        lambda app, org: app.update_organization(org, display_name=" Acme "),
        "organization",
    ),
    "same everything": (
        lambda app, org: app.update_organization(
            org,
            display_name="Acme",
            external_id="acme-1",
            slug="acme",
            logo_url="https://cdn.acme.io/l.png",
            metadata={"tier": "gold"},
            region_code="EU",
        ),
        "organization",
    ),
    "feature already off": (
        lambda app, org: app.update_organization_settings(org, [("dir_sync", False)]),
        "settings.features",
    ),
    "feature already on": (
        lambda app, org: app.update_organization_settings(org, {"sso": True}),
        "settings.features",
    ),
    "same seat limit": (
        lambda app, org: app.upsert_user_management_settings(org, 5),
        "max_allowed_users",
    ),
    "same session policy": (
        lambda app, org: app.update_session_policy(org, SessionPolicy()),
        "session_policy",
    ),
    "same sign-in methods": (
        lambda app, org: app.set_allowed_sign_in_methods(org, ["sso"]),
        "allowed_sign_in_methods",
    ),
    "same roles": (
        lambda app, org: app.update_member_roles(org, "bob@x.io", ["member"]),
        "roles",
    ),
    "same member metadata": (
        lambda app, org: app.update_member_metadata(org, "bob@x.io", {"team": "core"}),
        "metadata",
    ),
}


def acme(app: Tenantry) -> str:
    """An organization with every setting given a value, and one active member bob@x.io."""
    org = app.create_organization(
        "Acme",
        external_id="acme-1",
        slug="acme",
        logo_url="https://cdn.acme.io/l.png",
        metadata={"tier": "gold"},
        region_code="EU",
    ).id
    app.update_organization_settings(org, {"sso": True})
    app.upsert_user_management_settings(org, 5)
    app.set_allowed_sign_in_methods(org, ["sso"])
    app.add_member(org, "bob@x.io", metadata={"team": "core"})
    return org


@pytest.mark.parametrize("case", NO_OP_COMMANDS)
def test_a_command_that_changes_nothing_is_refused_and_records_nothing(
    app: Tenantry, case: str
) -> None:
    org = acme(app)
    command, what = NO_OP_COMMANDS[case]
    version = app.get_organization(org).version
    with records_nothing(app), pytest.raises(NothingChanged) as caught:
        command(app, org)
    assert caught.value.what == what
    assert app.get_organization(org).version == version


def test_clearing_a_seat_limit_that_is_unset_changes_nothing(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    with records_nothing(app), pytest.raises(NothingChanged):
        app.upsert_user_management_settings(org, None)
    with records_nothing(app), pytest.raises(NothingChanged):
        app.set_allowed_sign_in_methods(org, None)


def test_an_update_records_only_the_fields_that_change(app: Tenantry) -> None:
    org = acme(app)
    before = app.recorder.max_notification_id() or 0
    app.update_organization(org, display_name="Acme", slug="acme", metadata={"tier": "silver"})
    assert topics(app, before) == ["Organization.MetadataChanged"]


# --- invitations --------------------------------------------------------------------------------


def test_accepting_a_revoked_invitation_is_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.invite_member(org, "bob@x.io")
    app.revoke_invitation(org, "bob@x.io")
    with records_nothing(app), pytest.raises(InvitationWasRevoked) as caught:
        app.accept_invitation(org, "bob@x.io")
    assert caught.value.email == "bob@x.io"


def test_accepting_an_invitation_withdrawn_by_removal_is_refused_as_revoked(
    app: Tenantry,
) -> None:
    org = app.create_organization("Acme").id
    app.invite_member(org, "bob@x.io")
    app.remove_member(org, "bob@x.io")
    with records_nothing(app), pytest.raises(InvitationWasRevoked):
        app.accept_invitation(org, "bob@x.io")


@pytest.mark.parametrize("withdraw", ["revoke", "remove"])
def test_a_revoked_invitation_stays_readable_and_its_invitee_is_no_member(
    app: Tenantry, withdraw: str
) -> None:
    org = app.create_organization("Acme").id
    invited = app.invite_member(org, "bob@x.io", roles=["admin"])
    if withdraw == "revoke":
        app.revoke_invitation(org, "bob@x.io")
    else:
        app.remove_member(org, "bob@x.io")  # withdraws the pending invitation
    shown = app.get_membership(org, "bob@x.io")
    assert shown.status == "REMOVED"
    assert shown.invitation is not None
    assert invited.invitation is not None
    assert shown.invitation.status == "revoked"
    assert shown.invitation.id == invited.invitation.id
    assert (shown.roles, shown.expires_at) == (["admin"], invited.expires_at)
    assert app.get_membership(org, shown.user_id) == shown
    assert app.get_seat_usage(org).seats_in_use == 0
    for command in (
        lambda: app.remove_member(org, "bob@x.io"),
        lambda: app.deactivate_member(org, "bob@x.io"),
        lambda: app.update_member_roles(org, "bob@x.io", ["member"]),
    ):
        with records_nothing(app), pytest.raises(MembershipNotFound):
            command()
    again = app.invite_member(org, "bob@x.io")
    assert again.status == "PENDING_INVITE"
    assert again.invitation is not None
    assert again.invitation.status == "pending"
    assert again.invitation.id != invited.invitation.id


@pytest.mark.parametrize("swept", [False, True], ids=["not swept", "swept"])
def test_accepting_an_expired_invitation_is_refused(
    app: Tenantry, clock: FakeClock, swept: bool
) -> None:
    org = app.create_organization("Acme").id
    invited = app.invite_member(org, "bob@x.io")
    clock.advance(LIFETIME)
    if swept:
        assert app.expire_invitations(org).invitations_expired == 1
    with records_nothing(app), pytest.raises(InvitationHasExpired) as caught:
        app.accept_invitation(org, invited.user_id)
    assert caught.value.expired_at == invited.expires_at
    assert caught.value.code == "invitation_expired"


def test_an_invitation_accepted_a_microsecond_before_expiry_is_accepted(
    app: Tenantry, clock: FakeClock
) -> None:
    org = app.create_organization("Acme").id
    app.invite_member(org, "bob@x.io")
    clock.advance(LIFETIME - timedelta(microseconds=1))
    accepted = app.accept_invitation(org, "bob@x.io")
    assert accepted.status == "ACTIVE"
    assert accepted.invitation is not None
    assert accepted.invitation.status == "accepted"


def test_accepting_twice_is_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.invite_member(org, "bob@x.io")
    app.accept_invitation(org, "bob@x.io")
    with records_nothing(app), pytest.raises(InvitationNotPending) as caught:
        app.accept_invitation(org, "bob@x.io")
    assert caught.value.status == "accepted"


def test_resending_the_invitation_of_an_active_member_is_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.add_member(org, "bob@x.io")
    with records_nothing(app), pytest.raises(InvitationNotPending) as caught:
        app.resend_invitation(org, "bob@x.io")
    assert caught.value.status == "ACTIVE"


def test_revoking_an_accepted_invitation_is_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.invite_member(org, "bob@x.io")
    app.accept_invitation(org, "bob@x.io")
    with records_nothing(app), pytest.raises(InvitationNotPending):
        app.revoke_invitation(org, "bob@x.io")


@pytest.mark.parametrize(
    ("admit", "status"),
    [
        ("invite", "ACTIVE"),
        ("add", "ACTIVE"),
        ("invite", "PENDING_INVITE"),
        ("add", "PENDING_INVITE"),
    ],
)
def test_admitting_someone_already_active_or_pending_is_a_conflict(
    app: Tenantry, admit: str, status: str
) -> None:
    org = app.create_organization("Acme").id
    if status == "ACTIVE":
        app.add_member(org, "bob@x.io")
    else:
        app.invite_member(org, "bob@x.io")
    command = app.invite_member if admit == "invite" else app.add_member
    with records_nothing(app), pytest.raises(AlreadyMember) as caught:
        command(org, "BOB@x.io")
    assert (caught.value.email, caught.value.status, caught.value.code) == (
        "bob@x.io",
        status,
        "already_member",
    )


def test_inviting_an_inactive_member_is_a_conflict(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.add_member(org, "bob@x.io")
    app.deactivate_member(org, "bob@x.io")
    with records_nothing(app), pytest.raises(AlreadyMember) as caught:
        app.invite_member(org, "bob@x.io")
    assert caught.value.status == "INACTIVE"


def test_someone_whose_invitation_expired_or_was_revoked_can_be_invited_again(
    app: Tenantry, clock: FakeClock
) -> None:
    org = app.create_organization("Acme").id
    first = app.invite_member(org, "bob@x.io")
    clock.advance(LIFETIME)
    second = app.invite_member(org, "bob@x.io")
    app.revoke_invitation(org, "bob@x.io")
    third = app.invite_member(org, "bob@x.io")
    invitation_ids = {m.invitation.id for m in (first, second, third) if m.invitation}
    assert len(invitation_ids) == 3
    assert third.status == "PENDING_INVITE"
    assert app.accept_invitation(org, "bob@x.io").status == "ACTIVE"


def test_deactivating_and_reactivating_need_the_right_status(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.invite_member(org, "bob@x.io")
    with records_nothing(app), pytest.raises(MemberNotActive) as not_active:
        app.deactivate_member(org, "bob@x.io")
    assert not_active.value.status == "PENDING_INVITE"
    app.accept_invitation(org, "bob@x.io")
    with records_nothing(app), pytest.raises(MemberNotInactive) as not_inactive:
        app.reactivate_member(org, "bob@x.io")
    assert not_inactive.value.status == "ACTIVE"
    assert app.deactivate_member(org, "bob@x.io").status == "INACTIVE"
    assert app.reactivate_member(org, "bob@x.io").status == "ACTIVE"


def test_commands_on_someone_who_is_not_a_member_are_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    for command in (
        lambda: app.accept_invitation(org, "ghost@x.io"),
        lambda: app.remove_member(org, "ghost@x.io"),
        lambda: app.get_membership(org, "ghost@x.io"),
    ):
        with records_nothing(app), pytest.raises(MembershipNotFound) as caught:
            command()
        assert caught.value.user == "ghost@x.io"
    app.add_member(org, "bob@x.io")
    app.remove_member(org, "bob@x.io")
    with records_nothing(app), pytest.raises(MembershipNotFound):
        app.remove_member(org, "bob@x.io")
    with records_nothing(app), pytest.raises(MembershipNotFound):
        app.get_membership(org, "bob@x.io")


def test_an_unknown_user_is_not_found(app: Tenantry) -> None:
    with pytest.raises(UserNotFound) as caught:
        app.get_user("ghost@x.io")
    assert caught.value.user_id == "ghost@x.io"


# --- unknown and deleted organizations ----------------------------------------------------------

_CONN = "conn_01m8xaakcnfhk8g6z0q4fnwrx0"
_DOM = "dom_01m8xaakcnfhk8g6z0q4fnwrx0"
EVERY_COMMAND: dict[str, Command] = {
    "get": lambda app, org: app.get_organization(org),
    "update": lambda app, org: app.update_organization(org, display_name="Other"),
    "delete": lambda app, org: app.delete_organization(org),
    "settings": lambda app, org: app.update_organization_settings(org, {"sso": True}),
    "get limit": lambda app, org: app.get_user_management_settings(org),
    "set limit": lambda app, org: app.upsert_user_management_settings(org, 3),
    "seat usage": lambda app, org: app.get_seat_usage(org),
    "get session policy": lambda app, org: app.get_session_policy(org),
    "set session policy": lambda app, org: app.update_session_policy(
        org,
        {
            "policy_source": "CUSTOM",
            "absolute_session_timeout": 1,
            "absolute_session_timeout_unit": "DAYS",
        },
    ),
    "get sign-in methods": lambda app, org: app.get_allowed_sign_in_methods(org),
    "set sign-in methods": lambda app, org: app.set_allowed_sign_in_methods(org, ["sso"]),
    "invite": lambda app, org: app.invite_member(org, "new@x.io"),
    "add": lambda app, org: app.add_member(org, "new@x.io"),
    "accept": lambda app, org: app.accept_invitation(org, "pending@x.io"),
    "resend": lambda app, org: app.resend_invitation(org, "pending@x.io"),
    "revoke": lambda app, org: app.revoke_invitation(org, "pending@x.io"),
    "remove": lambda app, org: app.remove_member(org, "active@x.io"),
    "deactivate": lambda app, org: app.deactivate_member(org, "active@x.io"),
    "reactivate": lambda app, org: app.reactivate_member(org, "inactive@x.io"),
    "roles": lambda app, org: app.update_member_roles(org, "active@x.io", ["admin"]),
    "member metadata": lambda app, org: app.update_member_metadata(
        org, "active@x.io", {"team": "x"}
    ),
    "get membership": lambda app, org: app.get_membership(org, "active@x.io"),
    "expire invitations": lambda app, org: app.expire_invitations(org),
    "create connection": lambda app, org: app.create_connection(org, "SAML"),
    "list connections": lambda app, org: app.list_connections(org),
    "get connection": lambda app, org: app.get_connection(org, _CONN),
    "update connection": lambda app, org: app.update_connection(org, _CONN, provider="OKTA"),
    "enable connection": lambda app, org: app.enable_connection(org, _CONN),
    "delete connection": lambda app, org: app.delete_connection(org, _CONN),
    "sp metadata": lambda app, org: app.get_saml_sp_metadata(org, _CONN),
    "add domain": lambda app, org: app.add_domain(org, "acme.example"),
    "list domains": lambda app, org: app.list_domains(org),
    "verify domain": lambda app, org: app.verify_domain(org, _DOM),
    "delete domain": lambda app, org: app.delete_domain(org, _DOM),
}


def populated(app: Tenantry) -> str:
    org = app.create_organization("Acme", external_id="acme-1").id
    app.invite_member(org, "pending@x.io")
    app.add_member(org, "active@x.io")
    app.add_member(org, "inactive@x.io")
    app.deactivate_member(org, "inactive@x.io")
    return org


@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_every_command_on_an_unknown_organization_is_not_found(app: Tenantry, command: str) -> None:
    populated(app)
    unknown = ids.encode(ids.ORG, ids.NS_SLUG)  # well-formed, never created
    with records_nothing(app), pytest.raises(OrganizationNotFound) as caught:
        EVERY_COMMAND[command](app, unknown)
    assert caught.value.organization == unknown
    assert caught.value.code == "organization_not_found"


@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_every_command_on_a_deleted_organization_is_not_found(app: Tenantry, command: str) -> None:
    org = populated(app)
    app.delete_organization(org)
    with records_nothing(app), pytest.raises(OrganizationNotFound) as caught:
        EVERY_COMMAND[command](app, org)
    assert caught.value.organization == org


def test_a_deleted_organization_is_not_found_by_external_id(app: Tenantry) -> None:
    org = populated(app)
    app.delete_organization(org)
    with pytest.raises(OrganizationNotFound) as caught:
        app.get_organization_by_external_id("acme-1")
    assert caught.value.organization == "acme-1"


# --- lost races ---------------------------------------------------------------------------------


def test_a_command_that_keeps_losing_races_gives_up_with_concurrent_modification(
    app: Tenantry, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = app.create_organization("Acme").id
    attempts: list[int] = []

    def always_lose(*args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        raise IntegrityError("another writer got there first")

    monkeypatch.setattr(app.events.recorder, "insert_events", always_lose)
    monkeypatch.setattr(app, "max_attempts", 3)
    with records_nothing(app), pytest.raises(ConcurrentModification) as caught:
        app.invite_member(org, "bob@x.io")
    assert (caught.value.attempts, caught.value.code) == (3, "concurrent_modification")
    assert len(attempts) == 3
    monkeypatch.undo()
    assert app.invite_member(org, "bob@x.io").status == "PENDING_INVITE"
