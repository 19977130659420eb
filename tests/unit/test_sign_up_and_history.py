"""Sign-up in one transaction; the audit history and reconstruction of past versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.errors import (
    ExternalIdTaken,
    InvalidField,
    OrganizationNotFound,
    UserNotFound,
    VersionNotFound,
)
from tests.support import FakeClock
from tests.unit.helpers import (
    assert_stored_history_replays,
    last_notification_id,
    records_nothing,
    topics,
)


def count_inserts(app: Tenantry, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the events of each write transaction the application makes."""
    recorder = app.events.recorder
    insert = recorder.insert_events
    sizes: list[int] = []

    def counting(stored_events: Sequence[Any], **kwargs: Any) -> Any:
        sizes.append(len(stored_events))
        return insert(stored_events, **kwargs)

    monkeypatch.setattr(recorder, "insert_events", counting)
    return sizes


# --- sign-up ------------------------------------------------------------------------------------


def test_sign_up_creates_the_organization_and_its_first_active_admin_in_one_transaction(
    app: Tenantry, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.create_organization("Warm-up")
    before = last_notification_id(app)
    writes = count_inserts(app, monkeypatch)
    signed = app.sign_up("Founder@Acme.io", "Acme", external_id="acme", slug="acme")
    assert writes == [6]
    records = topics(app, before)
    assert sorted(records) == [
        "KeyClaim.Claimed",
        "KeyClaim.Claimed",
        "Membership.Provisioned",
        "Organization.Created",
        "Organization.MemberAdded",
        "User.Registered",
    ]
    assert app.last_position == before + len(records) == last_notification_id(app)
    member = signed.membership
    assert (member.email, member.status, member.roles) == ("founder@acme.io", "ACTIVE", ["admin"])
    assert (member.provisioning_method, member.join_time) == ("org_creator", clock())
    assert member.organization_id == signed.organization.id
    assert app.get_membership(signed.organization.id, "founder@acme.io") == member
    assert app.get_seat_usage(signed.organization.id).active_members == 1
    assert app.list_history(signed.organization.id)[0].actor == "founder@acme.io"


def test_a_second_sign_up_of_the_same_person_reuses_the_user(app: Tenantry) -> None:
    first = app.sign_up("founder@acme.io", "Acme")
    before = last_notification_id(app)
    second = app.sign_up("founder@acme.io", "Acme Labs")
    assert "User.Registered" not in topics(app, before)
    assert first.membership.user_id == second.membership.user_id
    assert first.organization.id != second.organization.id


def test_a_refused_sign_up_leaves_nothing_behind(app: Tenantry) -> None:
    app.create_organization("Acme", external_id="acme")
    with records_nothing(app), pytest.raises(ExternalIdTaken):
        app.sign_up("founder@acme.io", "Acme", external_id="acme")
    with pytest.raises(UserNotFound):
        app.get_user("founder@acme.io")


def test_a_sign_up_with_a_bad_email_is_refused(app: Tenantry) -> None:
    with records_nothing(app), pytest.raises(InvalidField) as caught:
        app.sign_up("founder", "Acme")
    assert caught.value.field == "email"


# --- history ------------------------------------------------------------------------------------


def history_of_acme(app: Tenantry, clock: FakeClock) -> str:
    org = app.create_organization("Acme", actor="ops@acme.io", reason="onboarding").id
    clock.advance(timedelta(hours=1))
    app.update_organization(org, display_name="Acme Corp", actor="ceo@acme.io", reason="rebrand")
    clock.advance(timedelta(hours=1))
    app.upsert_user_management_settings(org, 10, actor="billing@acme.io")
    clock.advance(timedelta(hours=1))
    app.update_organization(org, metadata={"tier": "gold"}, slug="acme")
    return org


def test_the_history_lists_who_did_what_when_and_why(app: Tenantry, clock: FakeClock) -> None:
    start = clock()
    org = history_of_acme(app, clock)
    history = app.list_history(org)
    assert [(h.version, h.event, h.actor, h.reason) for h in history] == [
        (1, "Created", "ops@acme.io", "onboarding"),
        (2, "Renamed", "ceo@acme.io", "rebrand"),
        (3, "LimitSet", "billing@acme.io", None),
        (4, "SlugChanged", "system", None),
        (5, "MetadataChanged", "system", None),
    ]
    assert [h.timestamp for h in history] == [
        start,
        start + timedelta(hours=1),
        start + timedelta(hours=2),
        start + timedelta(hours=3),
        start + timedelta(hours=3),
    ]
    renamed = history[1]
    assert [(c.field, c.before, c.after) for c in renamed.changes] == [
        ("display_name", "Acme", "Acme Corp")
    ]
    assert renamed.data == {"display_name": "Acme Corp"}
    limit = history[2]
    assert [(c.field, c.before, c.after) for c in limit.changes] == [
        ("max_allowed_users", None, 10)
    ]
    created = {c.field: (c.before, c.after) for c in history[0].changes}
    assert created["display_name"] == (None, "Acme")


def test_the_history_can_be_read_from_a_version_with_a_limit(
    app: Tenantry, clock: FakeClock
) -> None:
    org = history_of_acme(app, clock)
    page = app.list_history(org, from_version=3, limit=2)
    assert [h.version for h in page] == [3, 4]
    assert [(c.field, c.before, c.after) for c in page[0].changes] == [
        ("max_allowed_users", None, 10)
    ]
    assert app.list_history(org, from_version=6) == []
    with pytest.raises(InvalidField) as caught:
        app.list_history(org, from_version=0)
    assert caught.value.field == "from_version"


def test_the_history_of_a_deleted_organization_stays_readable(
    app: Tenantry, clock: FakeClock
) -> None:
    org = history_of_acme(app, clock)
    app.delete_organization(org, actor="ops@acme.io", reason="churned")
    last = app.list_history(org)[-1]
    assert (last.event, last.actor, last.reason) == ("Deleted", "ops@acme.io", "churned")
    assert [(c.field, c.before, c.after) for c in last.changes] == [("deleted", False, True)]


def test_the_history_of_an_unknown_organization_is_not_found(app: Tenantry) -> None:
    app.create_organization("Acme")
    unknown = ids.encode(ids.ORG, uuid4())
    with pytest.raises(OrganizationNotFound):
        app.list_history(unknown)


def test_an_organization_can_be_reconstructed_as_of_a_version(
    app: Tenantry, clock: FakeClock
) -> None:
    org = history_of_acme(app, clock)
    v1 = app.get_organization_as_of(org, version=1)
    v2 = app.get_organization_as_of(org, version=2)
    assert (v1.display_name, v1.version, v1.slug) == ("Acme", 1, None)
    assert (v2.display_name, v2.version) == ("Acme Corp", 2)
    assert app.get_organization_as_of(org, version=5) == app.get_organization(org)
    with pytest.raises(VersionNotFound) as caught:
        app.get_organization_as_of(org, version=6)
    assert caught.value.at == "version 6"


def test_an_organization_can_be_reconstructed_as_of_a_moment(
    app: Tenantry, clock: FakeClock
) -> None:
    start = clock()
    org = history_of_acme(app, clock)
    at = app.get_organization_as_of
    assert at(org, at=start).display_name == "Acme"
    assert at(org, at=start + timedelta(minutes=59)).version == 1
    assert at(org, at=start + timedelta(hours=1)).display_name == "Acme Corp"
    assert at(org, at=start + timedelta(hours=3)).version == 5
    with pytest.raises(VersionNotFound) as caught:
        at(org, at=start - timedelta(microseconds=1))
    assert caught.value.organization_id == org


def test_as_of_needs_exactly_one_of_version_or_moment(app: Tenantry, clock: FakeClock) -> None:
    org = app.create_organization("Acme").id
    for kwargs in ({}, {"version": 1, "at": clock()}):
        with pytest.raises(InvalidField) as caught:
            app.get_organization_as_of(org, **kwargs)  # type: ignore[arg-type]
        assert caught.value.field == "as_of"
    with pytest.raises(InvalidField) as bad_version:
        app.get_organization_as_of(org, version=0)
    assert bad_version.value.field == "version"


def test_a_deleted_version_is_not_a_version_to_reconstruct(app: Tenantry, clock: FakeClock) -> None:
    org = app.create_organization("Acme").id
    app.delete_organization(org)
    assert app.get_organization_as_of(org, version=1).display_name == "Acme"
    with pytest.raises(VersionNotFound):
        app.get_organization_as_of(org, version=2)


def test_stored_events_replay_to_the_organization_the_application_serves(
    app: Tenantry, clock: FakeClock
) -> None:
    org = history_of_acme(app, clock)
    app.invite_member(org, "b@x.io")
    app.add_member(org, "c@x.io")
    app.accept_invitation(org, "b@x.io")
    app.deactivate_member(org, "c@x.io")
    assert_stored_history_replays(app, org)
