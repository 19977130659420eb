"""The projections' pure event→row functions, without any database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.base import DomainEvent, micros
from tenantry.domain.errors import InvalidField
from tenantry.domain.organization import Organization
from tenantry.projections import (
    AuditProjection,
    MembershipsProjection,
    OrganizationsProjection,
    SeatsProjection,
    fold,
    tokens,
)
from tenantry.projections.base import public_id, to_micros
from tenantry.projections.dispatch import Dispatch
from tests.support import FakeClock


def log(app: Tenantry) -> list[tuple[int, DomainEvent]]:
    notes = app.recorder.select_notifications(start=1, limit=100_000)
    return [(n.id, app.mapper.to_domain_event(n)) for n in notes]  # type: ignore[misc]


def test_a_created_organization_becomes_one_listed_row_with_its_search_text(app: Tenantry) -> None:
    org = app.create_organization("Acme Corp", external_id="ACME-1")
    state = fold(OrganizationsProjection(), log(app))
    row = state["orgs"][org.id]
    assert row["display_name"] == "Acme Corp"
    assert row["search"] == f"acme corp\n{org.id}\nacme-1"
    assert state["orgs_count"]["live"]["n"] == 1


def test_renames_and_feature_toggles_update_the_row_and_its_version(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    app.update_organization(org.id, display_name="Acme Inc")
    app.update_organization_settings(org.id, [("sso", True)])
    row = fold(OrganizationsProjection(), log(app))["orgs"][org.id]
    assert row["display_name"] == "Acme Inc"
    assert row["features"] == {"sso": True}
    assert row["version"] == app.get_organization(org.id).version == 3


def test_a_deleted_organization_leaves_the_listing_and_the_count(app: Tenantry) -> None:
    keep = app.create_organization("Keep")
    gone = app.create_organization("Gone")
    app.delete_organization(gone.id)
    state = fold(OrganizationsProjection(), log(app))
    assert set(state["orgs"]) == {keep.id}
    assert state["orgs_count"]["live"]["n"] == 1


def test_seat_rows_follow_the_ledger_of_invitations_and_members(
    app: Tenantry, clock: FakeClock
) -> None:
    org = app.create_organization("Acme")
    app.upsert_user_management_settings(org.id, 5)
    app.invite_member(org.id, "a@acme.io")
    app.invite_member(org.id, "b@acme.io")
    app.add_member(org.id, "c@acme.io")
    app.accept_invitation(org.id, "a@acme.io")
    app.revoke_invitation(org.id, "b@acme.io")
    app.deactivate_member(org.id, "c@acme.io")
    app.invite_member(org.id, "d@acme.io", expires_in=timedelta(hours=1))
    state = fold(SeatsProjection(), log(app))
    assert state["seats"][org.id] == {
        "organization_id": org.id,
        "max_allowed_users": 5,
        "active": 1,
    }
    (pending,) = state["seat_pending"].values()
    assert pending["expires_at"] == to_micros(clock() + timedelta(hours=1))


def test_a_resent_invitation_moves_its_expiry_and_removal_releases_it(
    app: Tenantry, clock: FakeClock
) -> None:
    org = app.create_organization("Acme")
    app.invite_member(org.id, "a@acme.io", expires_in=timedelta(hours=1))
    clock.advance(timedelta(minutes=30))
    app.resend_invitation(org.id, "a@acme.io", expires_in=timedelta(hours=2))
    (pending,) = fold(SeatsProjection(), log(app))["seat_pending"].values()
    assert pending["expires_at"] == to_micros(clock() + timedelta(hours=2))
    app.remove_member(org.id, "a@acme.io")
    assert fold(SeatsProjection(), log(app))["seat_pending"] == {}


def test_membership_rows_carry_status_roles_and_the_invitation(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    app.invite_member(org.id, "a@acme.io", roles=["member"], inviter_email="boss@acme.io")
    app.update_member_roles(org.id, "a@acme.io", ["admin"])
    app.accept_invitation(org.id, "a@acme.io")
    (row,) = fold(MembershipsProjection(), log(app))["members"].values()
    assert row["status"] == "ACTIVE"
    assert row["roles"] == ["admin"]
    assert row["invitation_status"] == "accepted"
    assert row["inviter_email"] == "boss@acme.io"
    assert row["user_id"] == ids.encode(ids.USER, ids.user_uuid("a@acme.io"))


def test_a_removed_member_keeps_a_row_without_status_and_org_deletion_is_recorded(
    app: Tenantry,
) -> None:
    org = app.create_organization("Acme")
    app.add_member(org.id, "a@acme.io")
    app.remove_member(org.id, "a@acme.io")
    app.delete_organization(org.id)
    state = fold(MembershipsProjection(), log(app))
    (row,) = state["members"].values()
    assert row["status"] is None
    assert state["member_orgs"][org.id]["deleted"] is True


def test_the_audit_log_has_one_row_per_event_with_its_organization(app: Tenantry) -> None:
    org = app.create_organization("Acme", actor="admin@vendor.io")
    app.invite_member(org.id, "a@acme.io", actor="it@acme.io")
    app.update_member_roles(org.id, "a@acme.io", ["admin"], actor="it@acme.io", reason="promo")
    events = log(app)
    state = fold(AuditProjection(), events)
    assert sorted(state["audit"]) == [p for p, _ in events]
    last = state["audit"][events[-1][0]]
    assert last["event"] == "Membership.RolesChanged"
    assert last["organization_id"] == org.id  # found through the membership's owner row
    assert (last["actor"], last["reason"], last["data"]) == (
        "it@acme.io",
        "promo",
        {"roles": ["admin"]},
    )


def test_events_a_projection_does_not_handle_change_nothing() -> None:
    event = Organization.Renamed(
        originator_id=ids.user_uuid("x@y.io"),
        originator_version=2,
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        actor="system",
        display_name="Unknown org",
    )
    assert fold(OrganizationsProjection(), [(1, event)]) == {"orgs": {}, "orgs_count": {}}
    assert fold(MembershipsProjection(), [(1, event)]) == {"members": {}, "member_orgs": {}}


KEY = b"a database's secret"


def test_a_page_token_round_trips_for_its_own_listing() -> None:
    token = tokens.PageToken("orgs", "ext", 42, "prev", 1)
    assert (
        tokens.decode(tokens.encode(token, KEY), kind="orgs", scope="ext", version=1, secret=KEY)
        == token
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],  # edited
        lambda t: "not-a-token",  # garbage
        lambda t: "%%%",  # not base64
        lambda t: tokens.encode(tokens.PageToken("orgs", "other", 1, "next", 1), KEY),  # filter
        lambda t: tokens.encode(tokens.PageToken("orgs", "ext", 1, "next", 0), KEY),  # version
        lambda t: tokens.encode(tokens.PageToken("orgs", "ext", 1, "next", 1), b"k"),  # forged
        lambda t: tokens.encode(tokens.PageToken("orgs", "ext", 2**63, "next", 1), KEY),  # > int64
        lambda t: tokens.encode(tokens.PageToken("orgs", "ext", -1, "next", 1), KEY),  # negative
    ],
)
def test_a_forged_or_stale_page_token_is_an_invalid_page_token(mutate: object) -> None:
    good = tokens.encode(tokens.PageToken("orgs", "ext", 7, "next", 1), KEY)
    bad = mutate(good)  # type: ignore[operator]
    with pytest.raises(InvalidField) as e:
        tokens.decode(bad, kind="orgs", scope="ext", version=1, secret=KEY)
    assert e.value.field == "page_token"


@given(st.uuids(), st.sampled_from([ids.ORG, ids.USER, ids.INVITATION]))
@example(UUID(int=0), ids.ORG)
@example(UUID(int=(1 << 128) - 1), ids.USER)
@example(UUID(int=0b10101 << 100), ids.INVITATION)
def test_the_fast_public_id_is_the_domain_encoding(value: UUID, prefix: str) -> None:
    assert public_id(prefix, value) == ids.encode(prefix, value)
    assert public_id(prefix, value) == ids.encode(prefix, value)  # and again, from the cache


@given(
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7, minutes=-30))]))
    | st.datetimes()
)
def test_to_micros_is_the_domain_clock_arithmetic(at: datetime) -> None:
    assert to_micros(at) == micros(at)


def test_a_dispatch_table_gives_an_unlisted_class_its_nearest_listed_base_or_the_default() -> None:
    class Base: ...

    class Listed(Base): ...

    class Child(Listed): ...

    table = Dispatch({Base: "base", Listed: "listed"}, default="default")
    assert [table[Child], table[Listed], table[Base], table[int]] == [
        "listed",
        "listed",
        "base",
        "default",
    ]
    assert table[Child] == "listed"  # and again, remembered
