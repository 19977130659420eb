"""The outcome of an SSO sign-in, on every backend: the person is found or provisioned just in time
(``jit_using_sso``, by the connection as actor), their names and roles follow the IdP, and the
organization's rules hold — a full organization refuses exactly at its limit, even when many
sign in at once, and says so on the connection."""

from __future__ import annotations

import json
import threading

import pytest

from tenantry.application.app import Tenantry
from tenantry.application.sso_sign_in import SsoProfile
from tenantry.errors import ConnectionNotActive, MembershipNotFound, SsoSignInRefused
from tests.contract.test_sso_connections import sso_app
from tests.sso_support import make_certificate, pem

__all__ = ["sso_app"]  # the fixture, shared with the connections' suite


def _connection(app: Tenantry, seats: int | None = None) -> tuple[str, str]:
    org_id = app.create_organization("Acme").id
    app.update_organization_settings(org_id, [("sso", True)])
    if seats is not None:
        app.upsert_user_management_settings(org_id, seats)
    conn_id = app.create_connection(org_id, "SAML", "OKTA").id
    app.configure_saml_connection(
        org_id,
        conn_id,
        idp_entity_id="https://idp.acme.test",
        sso_url="https://idp.acme.test/sso",
        certificates=[pem(make_certificate())],
    )
    app.update_connection(org_id, conn_id, group_roles={"Admins": "admin"})
    app.enable_connection(org_id, conn_id)
    return org_id, conn_id


def _profile(email: str = "ada@acme.test", groups: tuple[str, ...] = ()) -> SsoProfile:
    return SsoProfile(email, "subject-1", "Ada", "Lovelace", groups)


def _events(app: Tenantry) -> list[tuple[str, dict[str, object]]]:
    return [
        (n.topic, json.loads(n.state))
        for n in app.recorder.select_notifications(start=None, limit=10_000)
    ]


def test_a_first_sign_in_provisions_the_person_just_in_time_by_the_connection(
    sso_app: Tenantry,
) -> None:
    org_id, conn_id = _connection(sso_app)
    signed_in = sso_app.complete_sso_sign_in(conn_id, _profile(groups=("Admins", "Other")))
    assert signed_in.provisioned
    assert (signed_in.organization_id, signed_in.connection_id) == (org_id, conn_id)
    assert signed_in.user_id.startswith("usr_")
    assert (signed_in.given_name, signed_in.family_name, signed_in.roles) == (
        "Ada",
        "Lovelace",
        ["admin"],
    )
    membership = sso_app.get_membership(org_id, "ada@acme.test")
    assert (membership.status, membership.provisioning_method) == ("ACTIVE", "jit_using_sso")
    user = sso_app.get_user(signed_in.user_id)
    assert user.user_profile.given_name == "Ada"
    added = [s for t, s in _events(sso_app) if t.endswith("Membership.Provisioned")]
    assert [s["actor"] for s in added] == [f"sso:{conn_id}"]


def test_a_member_signing_in_again_is_found_and_follows_the_idp(sso_app: Tenantry) -> None:
    org_id, conn_id = _connection(sso_app)
    sso_app.add_member(org_id, "ada@acme.test", roles=["member"])
    signed_in = sso_app.complete_sso_sign_in(conn_id, _profile(groups=("Admins",)))
    assert not signed_in.provisioned
    assert signed_in.roles == ["admin"]
    again = sso_app.complete_sso_sign_in(conn_id, _profile(groups=("Admins",)))
    assert (again.user_id, again.roles) == (signed_in.user_id, ["admin"])
    in_history = [s for t, s in _events(sso_app) if t.endswith("Organization.MemberRolesChanged")]
    assert [(s["roles"], s["actor"]) for s in in_history] == [(["admin"], f"sso:{conn_id}")]


@pytest.mark.parametrize("switch_off", ["disable", "feature"])
def test_no_one_signs_in_through_an_inactive_connection(sso_app: Tenantry, switch_off: str) -> None:
    org_id, conn_id = _connection(sso_app)
    if switch_off == "disable":
        sso_app.disable_connection(org_id, conn_id)
    else:
        sso_app.update_organization_settings(org_id, [("sso", False)])
    before = len(_events(sso_app))
    with pytest.raises(ConnectionNotActive):
        sso_app.complete_sso_sign_in(conn_id, _profile())
    assert len(_events(sso_app)) == before


def test_a_full_organization_refuses_the_sign_in_and_records_why(sso_app: Tenantry) -> None:
    org_id, conn_id = _connection(sso_app, seats=1)
    sso_app.add_member(org_id, "first@acme.test")
    with pytest.raises(SsoSignInRefused) as refused:
        sso_app.complete_sso_sign_in(conn_id, _profile())
    assert refused.value.refusal == "seat_limit_reached"
    last_topic, last = _events(sso_app)[-1]
    assert last_topic == "tenantry.domain.connection:Connection.SignInRefused"
    assert (last["refusal"], last["email"], last["actor"]) == (
        "seat_limit_reached",
        "ada@acme.test",
        f"sso:{conn_id}",
    )


def test_concurrent_first_sign_ins_take_exactly_the_free_seats(sso_app: Tenantry) -> None:
    seats, people = 3, 8
    org_id, conn_id = _connection(sso_app, seats=seats)
    sso_app.add_member(org_id, "first@acme.test")
    admitted: list[str] = []
    refused: list[str] = []
    start = threading.Barrier(people)

    def sign_in(n: int) -> None:
        start.wait()
        try:
            admitted.append(
                sso_app.complete_sso_sign_in(conn_id, _profile(f"p{n}@acme.test")).email
            )
        except SsoSignInRefused as error:
            refused.append(error.refusal)

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == seats - 1
    assert refused == ["seat_limit_reached"] * (people - seats + 1)
    assert sso_app.get_organization(org_id).seats_in_use == seats


def test_a_deactivated_member_or_an_undefined_mapped_role_is_refused_and_recorded(
    sso_app: Tenantry,
) -> None:
    org_id, conn_id = _connection(sso_app)
    sso_app.add_member(org_id, "ada@acme.test")
    sso_app.deactivate_member(org_id, "ada@acme.test")
    with pytest.raises(SsoSignInRefused) as inactive:
        sso_app.complete_sso_sign_in(conn_id, _profile())
    assert inactive.value.refusal == "member_inactive"
    sso_app.create_role("viewer")  # roles are defined now, and "superuser" is not one
    sso_app.update_connection(org_id, conn_id, group_roles={"Admins": "superuser"})
    with pytest.raises(SsoSignInRefused) as undefined:
        sso_app.complete_sso_sign_in(conn_id, _profile("bob@acme.test", groups=("Admins",)))
    assert undefined.value.refusal == "undefined_role"
    refusals = [s["refusal"] for t, s in _events(sso_app) if t.endswith("SignInRefused")]
    assert refusals == ["member_inactive", "undefined_role"]
    with pytest.raises(MembershipNotFound):
        sso_app.get_membership(org_id, "bob@acme.test")
