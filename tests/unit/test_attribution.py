"""Who the audit history names, through the Python API: the actor of every event, the end user it
acted for (``on_behalf_of``), the expiry sweep, and API clients' lifecycle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField
from tenantry.projections import AuditProjection, fold
from tests.support import FakeClock
from tests.unit.helpers import last_notification_id, records_nothing, stored


def _members(app: Tenantry) -> str:
    org = app.create_organization("Acme", actor="admin@vendor.example")
    app.invite_member(org.id, "ada@acme.example")
    return org.id


def test_on_behalf_of_is_recorded_on_every_event_of_the_command_beside_the_actor(
    app: Tenantry,
) -> None:
    org = app.create_organization("Acme", external_id="acme-1", slug="acme")
    before = last_notification_id(app)
    app.invite_member(org.id, "ada@acme.example", actor="client:cli_1", on_behalf_of="u-42")
    written = stored(app, before)
    assert {topic.rpartition(".")[2] for _, topic, _ in written} >= {"Invited", "Registered"}
    assert {(s["actor"], s["on_behalf_of"]) for _, _, s in written} == {("client:cli_1", "u-42")}


@pytest.mark.parametrize(
    "write",
    [
        lambda t, o: t.update_organization(o, display_name="Acme 2", on_behalf_of="u-1"),
        lambda t, o: t.update_organization_settings(o, [("sso", True)], on_behalf_of="u-1"),
        lambda t, o: t.upsert_user_management_settings(o, 5, on_behalf_of="u-1"),
        lambda t, o: t.set_allowed_sign_in_methods(o, ["sso"], on_behalf_of="u-1"),
        lambda t, o: t.accept_invitation(o, "ada@acme.example", on_behalf_of="u-1"),
        lambda t, o: t.set_membership_status(o, "ada@acme.example", "ACTIVE", on_behalf_of="u-1"),
        lambda t, o: t.resend_invitation(o, "ada@acme.example", on_behalf_of="u-1"),
        lambda t, o: t.revoke_invitation(o, "ada@acme.example", on_behalf_of="u-1"),
        lambda t, o: t.remove_member(o, "ada@acme.example", on_behalf_of="u-1"),
        lambda t, o: t.update_member_roles(o, "ada@acme.example", ["admin"], on_behalf_of="u-1"),
        lambda t, o: t.add_member(o, "bob@acme.example", on_behalf_of="u-1"),
        lambda t, o: t.delete_organization(o, on_behalf_of="u-1"),
    ],
)
def test_every_write_of_the_python_api_takes_on_behalf_of(app: Tenantry, write: object) -> None:
    org_id = _members(app)
    before = last_notification_id(app)
    write(app, org_id)  # type: ignore[operator]
    written = stored(app, before)
    assert written
    assert {s["on_behalf_of"] for _, _, s in written} == {"u-1"}


def test_an_event_without_on_behalf_of_stores_no_such_field_and_loads_it_as_none(
    app: Tenantry,
) -> None:
    org = app.create_organization("Acme")
    [(_, _, state), *_] = stored(app)
    assert "on_behalf_of" not in state  # stored exactly as before the field existed
    [entry] = app.list_history(org.id)
    assert (entry.actor, entry.on_behalf_of) == ("system", None)


@pytest.mark.parametrize(
    "bad", ["", "   ", "x" * 256, "a\x00b", "a\nb", "abc\u202egnp.exe", "zero\u200bwidth", "\ud800"]
)
def test_a_bad_on_behalf_of_is_refused_naming_the_field_and_records_nothing(
    app: Tenantry, bad: str
) -> None:
    org = app.create_organization("Acme")
    with records_nothing(app), pytest.raises(InvalidField) as e:
        app.update_organization(org.id, display_name="Other", on_behalf_of=bad)
    assert e.value.field == "on_behalf_of"
    assert app.last_position is None


def test_on_behalf_of_does_not_leak_into_the_next_command(app: Tenantry) -> None:
    org = app.create_organization("Acme", on_behalf_of="u-1")
    before = last_notification_id(app)
    app.update_organization(org.id, display_name="Acme 2")
    assert [s.get("on_behalf_of") for _, _, s in stored(app, before)] == [None]


def test_history_shows_the_actor_and_the_end_user(app: Tenantry) -> None:
    org = app.create_organization("Acme", actor="client:cli_1", on_behalf_of="ada@vendor.example")
    app.update_organization(org.id, display_name="Acme 2", actor="cli:root")
    entries = app.list_history(org.id)
    assert [(h.actor, h.on_behalf_of) for h in entries] == [
        ("client:cli_1", "ada@vendor.example"),
        ("cli:root", None),
    ]
    assert all("on_behalf_of" not in h.data for h in entries)


def test_the_audit_log_shows_the_end_user_apart_from_the_data(app: Tenantry) -> None:
    org = app.create_organization("Acme", actor="client:cli_1", on_behalf_of="u-7")
    notes = app.recorder.select_notifications(start=1, limit=100)
    events = [(n.id, app.mapper.to_domain_event(n)) for n in notes]
    rows = fold(AuditProjection(), events)["audit"]  # type: ignore[arg-type]
    row = rows[events[0][0]]
    assert (row["organization_id"], row["actor"], row["on_behalf_of"]) == (
        org.id,
        "client:cli_1",
        "u-7",
    )
    assert "on_behalf_of" not in row["data"]


def test_the_expiry_sweep_records_itself_as_a_system_actor(app: Tenantry, clock: FakeClock) -> None:
    org = app.create_organization("Acme")
    app.invite_member(org.id, "ada@acme.example", expires_in=timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    before = last_notification_id(app)
    assert app.expire_invitations().invitations_expired == 1
    assert {s["actor"] for _, _, s in stored(app, before)} == {"system:expiry-sweep"}


def test_sign_up_records_the_given_actor_or_else_the_founder(app: Tenantry) -> None:
    founded = app.sign_up("ada@initech.example", "Initech")
    by_cli = app.sign_up("bob@globex.example", "Globex", actor="cli:ops", on_behalf_of="u-9")
    assert {h.actor for h in app.list_history(founded.organization.id)} == {"ada@initech.example"}
    assert {(h.actor, h.on_behalf_of) for h in app.list_history(by_cli.organization.id)} == {
        ("cli:ops", "u-9")
    }


def test_api_clients_lifecycle_is_recorded_with_who_did_it(app: Tenantry) -> None:
    before = last_notification_id(app)
    app.record_api_client_created("cli_1", "billing", actor="cli:root", scopes=["orgs:read"])
    app.record_api_client_secret_rotated("cli_1", "billing", 2, actor="client:cli_0")
    app.record_api_client_deleted("cli_1", "billing", actor="cli:ops", on_behalf_of="u-3")
    app.record_api_client_deleted("cli_1", "billing", actor="cli:ops")  # once is enough
    written = stored(app, before)
    assert [(t.rpartition(".")[2], s["actor"], s.get("on_behalf_of")) for _, t, s in written] == [
        ("Created", "cli:root", None),
        ("SecretRotated", "client:cli_0", None),
        ("Deleted", "cli:ops", "u-3"),
    ]
    created = written[0][2]
    assert (created["client_id"], created["name"], created["scopes"]) == (
        "cli_1",
        "billing",
        ["orgs:read"],
    )
    assert created["organizations"] == ["*"]


def test_a_clients_organizations_are_recorded_and_checked(app: Tenantry) -> None:
    acme, globex = app.create_organization("Acme"), app.create_organization("Globex")
    before = last_notification_id(app)
    app.record_api_client_created("cli_2", "ops", organizations=[globex.id, acme.id, acme.id])
    [(_, _, created)] = stored(app, before)
    assert created["organizations"] == sorted([acme.id, globex.id])
    for bad in (["acme"], [], "org_x"):
        with pytest.raises(InvalidField) as refused:
            app.record_api_client_created("cli_3", "ops", organizations=bad)
        assert refused.value.field == "organizations"
    assert stored(app, before)[1:] == []


def test_a_client_created_before_its_lifecycle_was_recorded_gets_its_record_on_rotation(
    app: Tenantry,
) -> None:
    app.record_api_client_secret_rotated("cli_old", "legacy", 2, actor="cli:root")
    [(_, created_topic, created), (_, rotated_topic, rotated)] = stored(app)
    assert created_topic.endswith("ApiClient.Created")
    assert created["reason"] == "the client was created before its lifecycle was recorded"
    assert (rotated_topic.rpartition(".")[2], rotated["secret_version"]) == ("SecretRotated", 2)
