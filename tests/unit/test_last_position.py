"""``last_position`` after a refused command: ``None`` (nothing recorded), never the position of
an earlier command - whether the command is refused while it checks its arguments or once it
has loaded what it changes."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.application import Application

from tenantry.application import transfer
from tenantry.application.app import Tenantry
from tenantry.application.sso_sign_in import SsoProfile
from tenantry.domain.errors import (
    AlreadyMember,
    InvalidField,
    InvitationNotPending,
    NothingChanged,
    OrganizationNotFound,
    TenantryError,
)
from tests.unit.helpers import records_nothing

Command = Callable[[Tenantry, str], Any]
CONN = "conn_01m8xaakcnfhk8g6z0q4fnwrx0"
DOM = "dom_01m8xaakcnfhk8g6z0q4fnwrx0"
DIR = "dir_01m8xaakcnfhk8g6z0q4fnwrx0"

REFUSED_WHILE_CHECKING: dict[str, Command] = {
    "create_organization": lambda app, org: app.create_organization(" "),
    "update_organization": lambda app, org: app.update_organization(org, display_name=" "),
    "update_organization_by_external_id": lambda app, org: app.update_organization_by_external_id(
        " ", display_name="Acme 2"
    ),
    "delete_organization": lambda app, org: app.delete_organization(org, actor=" "),
    "sign_up": lambda app, org: app.sign_up("not an e-mail", "Acme"),
    "update_organization_settings": lambda app, org: app.update_organization_settings(
        org, {"sso": "yes"}
    ),
    "upsert_user_management_settings": lambda app, org: app.upsert_user_management_settings(
        org, -1
    ),
    "update_session_policy": lambda app, org: app.update_session_policy(
        org, {"policy_source": "NOPE"}
    ),
    "set_allowed_sign_in_methods": lambda app, org: app.set_allowed_sign_in_methods(org, ["nope"]),
    "invite_member": lambda app, org: app.invite_member(org, "x@y.io", expires_in=timedelta(0)),
    "add_member": lambda app, org: app.add_member(org, "x@y.io", provisioning_method="nope"),
    "accept_invitation": lambda app, org: app.accept_invitation(org, "bob@x.io", actor=" "),
    "resend_invitation": lambda app, org: app.resend_invitation(
        org, "bob@x.io", expires_in=timedelta(0)
    ),
    "revoke_invitation": lambda app, org: app.revoke_invitation(org, "bob@x.io", actor=" "),
    "resend_invite": lambda app, org: app.resend_invite(org, "bob@x.io", expires_in=timedelta(0)),
    "remove_member": lambda app, org: app.remove_member(org, "ann@x.io", actor=" "),
    "deactivate_member": lambda app, org: app.deactivate_member(org, "ann@x.io", actor=" "),
    "reactivate_member": lambda app, org: app.reactivate_member(org, "ann@x.io", actor=" "),
    "set_membership_status": lambda app, org: app.set_membership_status(org, "ann@x.io", "GONE"),
    "update_member_roles": lambda app, org: app.update_member_roles(org, "ann@x.io", ["No!"]),
    "assign_member_roles": lambda app, org: app.assign_member_roles(org, "ann@x.io", ["No!"]),
    "remove_member_role": lambda app, org: app.remove_member_role(org, "ann@x.io", "No!"),
    "update_member_metadata": lambda app, org: app.update_member_metadata(
        org, "ann@x.io", {"x": "too short a key"}
    ),
    "update_membership": lambda app, org: app.update_membership(org, "ann@x.io", roles=[]),
    "expire_invitations": lambda app, org: app.expire_invitations(org, batch_size=0),
    "record_api_client_created": lambda app, org: app.record_api_client_created("cli_1", " "),
    "record_api_client_secret_rotated": lambda app, org: app.record_api_client_secret_rotated(
        "cli_1", "billing", 1
    ),
    "record_api_client_deleted": lambda app, org: app.record_api_client_deleted("", "billing"),
    "record_signing_key_created": lambda app, org: app.record_signing_key_created(
        "NOT-HEX", encrypted=False
    ),
    "record_signing_key_retired": lambda app, org: app.record_signing_key_retired("ab"),
    "create_role": lambda app, org: app.create_role("Bad Name"),
    "update_role": lambda app, org: app.update_role("member", permissions=["nope"]),
    "delete_role": lambda app, org: app.delete_role("member", reassign_to="No!"),
    "change_role_permissions": lambda app, org: app.change_role_permissions("member", add=["nope"]),
    "set_default_role": lambda app, org: app.set_default_role("", organization_id=org),
    "create_organization_role": lambda app, org: app.create_organization_role(
        org, "billing", extends="No!"
    ),
    "update_organization_role": lambda app, org: app.update_organization_role(
        org, "billing", description="\x00"
    ),
    "delete_organization_role": lambda app, org: app.delete_organization_role(
        org, "billing", reassign_to="admin", batch_size=0
    ),
    "restore_organization": lambda app, org: app.restore_organization(
        org,
        release_taken_keys="yes",  # type: ignore[arg-type]
    ),
    "purge_deleted_organizations": lambda app, org: app.purge_deleted_organizations(actor=" "),
    "update_organization_session_policy": lambda app, org: app.update_organization_session_policy(
        org, {"policy_source": "SOMETIMES"}
    ),
    "update_user": lambda app, org: app.update_user("ann@x.io", metadata={"x": "short key"}),
    "delete_user": lambda app, org: app.delete_user("ann@x.io", actor=" "),
    "create_user_and_membership": lambda app, org: app.create_user_and_membership(
        org, "cy@x.io", membership={"role": "admin"}
    ),
    "create_connection": lambda app, org: app.create_connection(org, "LDAP"),
    "configure_saml_connection": lambda app, org: app.configure_saml_connection(
        org, CONN, sso_url="ftp://idp"
    ),
    "configure_oidc_connection": lambda app, org: app.configure_oidc_connection(
        org, CONN, scopes=["email"]
    ),
    "update_connection": lambda app, org: app.update_connection(org, CONN, provider="LDAP"),
    "enable_connection": lambda app, org: app.enable_connection(org, "conn_x"),
    "disable_connection": lambda app, org: app.disable_connection(org, "conn_x"),
    "delete_connection": lambda app, org: app.delete_connection(org, CONN, actor=" "),
    "record_connection_test": lambda app, org: app.record_connection_test(org, CONN, success=False),
    "refuse_idp_initiated_sign_in": lambda app, org: app.refuse_idp_initiated_sign_in(
        CONN, "not an e-mail"
    ),
    "add_domain": lambda app, org: app.add_domain(org, "localhost"),
    "verify_domain": lambda app, org: app.verify_domain(org, DOM, method="GUESS"),
    "delete_domain": lambda app, org: app.delete_domain(org, DOM, actor=" "),
    "complete_sso_sign_in": lambda app, org: app.complete_sso_sign_in(
        CONN, SsoProfile("not an address", "s")
    ),
    "create_directory": lambda app, org: app.create_directory(org, "LDAP"),
    "update_directory": lambda app, org: app.update_directory(org, DIR, provider="LDAP"),
    "enable_directory": lambda app, org: app.enable_directory(org, "dir_x"),
    "disable_directory": lambda app, org: app.disable_directory(org, "dir_x"),
    "delete_directory": lambda app, org: app.delete_directory(org, DIR, actor=" "),
    "create_directory_secret": lambda app, org: app.create_directory_secret(
        org, DIR, grace_period="soon"
    ),
    "revoke_directory_secret": lambda app, org: app.revoke_directory_secret(org, DIR, "dsec_x"),
    "scim_create": lambda app, org: app.scim_create(DIR, "User", {"userName": "\x00"}),
    "scim_replace": lambda app, org: app.scim_replace(DIR, "Widget", "dus_x", {}),
    "scim_delete": lambda app, org: app.scim_delete(DIR, "User", "dus_x", expected_version="1"),
    "generate_portal_link": lambda app, org: app.generate_portal_link(org, ["billing"]),
    "revoke_portal_links": lambda app, org: app.revoke_portal_links(org, actor=" "),
    "revoke_portal_link": lambda app, org: app.revoke_portal_link(org, "lnk_x"),
    "open_portal_link": lambda app, org: app.open_portal_link(7),  # type: ignore[arg-type]
    "end_portal_session": lambda app, org: app.end_portal_session(7),  # type: ignore[arg-type]
    "expire_portal_links": lambda app, org: app.expire_portal_links(org, actor=" "),
    "issue_dashboard_login": lambda app, org: app.issue_dashboard_login(" ", actor="cli:ann"),
    "open_dashboard_login": lambda app, org: app.open_dashboard_login(7),  # type: ignore[arg-type]
    "end_dashboard_session": lambda app, org: app.end_dashboard_session(
        7  # type: ignore[arg-type]
    ),
}
"""For each command of the application, a call refused while it checks its arguments."""

REFUSED_INSIDE: dict[str, tuple[Command, type[TenantryError]]] = {
    "nothing changes": (
        lambda app, org: app.update_organization(org, display_name="Acme"),
        NothingChanged,
    ),
    "already a member": (lambda app, org: app.invite_member(org, "ann@x.io"), AlreadyMember),
    "not pending": (lambda app, org: app.accept_invitation(org, "ann@x.io"), InvitationNotPending),
    "unknown organization": (
        lambda app, org: app.delete_organization("org_" + "0" * 26),
        OrganizationNotFound,
    ),
}


def acme(app: Tenantry) -> str:
    """An organization with an active member and an invitation; the last command recorded."""
    org = app.create_organization("Acme").id
    app.add_member(org, "ann@x.io")
    app.invite_member(org, "bob@x.io")
    assert app.last_position is not None
    return org


QUERIES = {
    "get_organization",
    "get_organization_by_external_id",
    "get_organization_as_of",
    "get_organization_snapshot",
    "list_history",
    "list_seat_history",
    "diff_organization",
    "get_user_management_settings",
    "get_seat_usage",
    "get_session_policy",
    "get_allowed_sign_in_methods",
    "get_membership",
    "get_user",
    "get_role",
    "list_roles",
    "get_organization_role",
    "list_organization_roles",
    "list_user_roles",
    "list_user_permissions",
    "get_default_role",
    "with_role_details",
    "get_restore_deadline",
    "list_deleted_organizations",
    "get_organization_session_policy",
    "get_user_by_external_id",
    "list_user_history",
    "get_connection",
    "find_connection",
    "list_connections",
    "get_saml_sp_metadata",
    "oidc_client_secret",
    "configure_sso",
    "get_domain",
    "list_domains",
    "discover_connection",
    "list_connections_by_domain",
    "sign_in_connection",
    "get_directory",
    "list_directories",
    "authenticate_directory",
    "scim_get",
    "scim_ids",
    "scim_get_many",
    "scim_find",
    "list_directory_users",
    "list_directory_groups",
    "list_portal_links",
    "portal_session",
    "dashboard_session",
}
"""The use cases that record nothing: they leave ``last_position`` as it is."""


def test_every_use_case_is_a_command_that_clears_the_position_or_a_query() -> None:
    kernel = set(dir(Application)) | {"claim_keys", "now", "run_command"}
    use_cases = {
        name: member
        for name, member in inspect.getmembers(Tenantry, inspect.isfunction)
        if not name.startswith("_") and name not in kernel
    }
    commands = {n for n, m in use_cases.items() if inspect.unwrap(m) is not m}
    assert commands == set(REFUSED_WHILE_CHECKING)
    assert set(use_cases) - commands == QUERIES


@pytest.mark.parametrize("name", sorted(REFUSED_WHILE_CHECKING))
def test_a_command_refused_while_checking_its_arguments_leaves_no_position(
    app: Tenantry, name: str
) -> None:
    org = acme(app)
    with records_nothing(app), pytest.raises(InvalidField):
        REFUSED_WHILE_CHECKING[name](app, org)
    assert app.last_position is None


@pytest.mark.parametrize("case", sorted(REFUSED_INSIDE))
def test_a_command_refused_once_it_has_loaded_what_it_changes_leaves_no_position(
    app: Tenantry, case: str
) -> None:
    org = acme(app)
    refused, error = REFUSED_INSIDE[case]
    with records_nothing(app), pytest.raises(error):
        refused(app, org)
    assert app.last_position is None


def test_an_import_refused_while_checking_its_file_leaves_no_position(app: Tenantry) -> None:
    acme(app)
    with records_nothing(app), pytest.raises(InvalidField):
        transfer.import_organization(app, [])
    assert app.last_position is None
