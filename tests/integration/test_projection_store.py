"""The projections stored on every backend: exactly once, rebuildable, read-your-writes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import register_topic

from tenantry.adapters.projections import OrganizationsView, ProjectionStore, View
from tenantry.adapters.projections.generations import Generations
from tenantry.adapters.projections.runner import Lane, Lost
from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.errors import (
    InvalidField,
    MembershipNotFound,
    OrganizationNotFound,
    ProjectionBehind,
)
from tenantry.domain.organization import Organization
from tests.integration.projection_support import assert_views_equal_the_fold, expected
from tests.support import FakeClock


@pytest.fixture
def app(make_app: Callable[..., Tenantry], database_url: str) -> Tenantry:
    return make_app(database_url)


@pytest.fixture
def store(app: Tenantry, database_url: str) -> Iterator[ProjectionStore]:
    s = ProjectionStore(app, batch_size=7)
    yield s
    s.close()


def populate(app: Tenantry, n: int = 25) -> list[str]:
    org_ids = [app.create_organization(f"Org {i:02d}", external_id=f"ext-{i}").id for i in range(n)]
    first = org_ids[0]
    app.upsert_user_management_settings(first, 4)
    app.invite_member(first, "ada@acme.io", roles=["member"])
    app.add_member(first, "bob@acme.io", roles=["admin"])
    app.add_member(org_ids[1], "bob@acme.io")
    app.accept_invitation(first, "ada@acme.io")
    app.invite_member(first, "cy@acme.io", expires_in=timedelta(hours=1))
    app.invite_member(first, "dee@acme.io")
    app.revoke_invitation(first, "dee@acme.io")
    app.delete_organization(org_ids[2])
    return org_ids


def test_catch_up_makes_every_view_equal_a_fold_of_the_log(
    app: Tenantry, store: ProjectionStore
) -> None:
    populate(app)
    assert store.catch_up() > 0
    assert_views_equal_the_fold(store)
    assert store.catch_up() == 0
    assert all(s.lag == 0 and s.position == store.head() for s in store.status())


def test_one_pass_catches_up_projections_that_stand_at_different_positions(
    app: Tenantry, store: ProjectionStore
) -> None:
    org_ids = populate(app, 6)
    store.catch_up("seats")
    app.invite_member(org_ids[0], "late@acme.io")
    store.catch_up("audit")
    app.update_organization(org_ids[1], display_name="Renamed")
    positions = {s.name: s.position for s in store.status()}
    assert positions["organizations"] == 0 < positions["seats"] < positions["audit"]
    assert store.catch_up() == sum(store.head() - p for p in positions.values())
    assert_views_equal_the_fold(store)


def test_a_batch_delivered_twice_is_applied_once(app: Tenantry, store: ProjectionStore) -> None:
    org = app.create_organization("Acme")
    store.catch_up("organizations")
    notes = app.recorder.select_notifications(start=1, limit=10)
    view = store.view("organizations")
    stale = Lane(view, store._live_generation(view), 0)  # a runner that read position 0
    app.update_organization(org.id, display_name="Acme 2")
    store.catch_up("organizations")
    before = store.dump("organizations")
    with pytest.raises(Lost):
        store._runner.process([stale], notes)
    assert store.dump("organizations") == before
    assert before["orgs_count"]["live"]["n"] == 1


def test_an_event_stored_under_the_old_topic_of_a_moved_class_still_reaches_the_views(
    app: Tenantry, store: ProjectionStore
) -> None:
    org = app.create_organization("Acme")
    old_topic = "tenantry_before_a_move.organization:Organization.Renamed"
    register_topic(old_topic, Organization.Renamed)
    state = {"timestamp": "2026-01-02T09:30:00Z", "actor": "ceo@acme.io", "display_name": "Ac 2"}
    renamed = StoredEvent(
        originator_id=ids.decode(ids.ORG, org.id),
        originator_version=2,
        topic=old_topic,
        state=json.dumps(state).encode(),
    )
    app.recorder.insert_events([renamed])
    assert store.get_organization(org.id, min_position=store.head()).display_name == "Ac 2"
    assert_views_equal_the_fold(store)
    assert store.list_audit_log(organization_id=org.id).entries[-1].actor == "ceo@acme.io"


def test_list_pages_forward_and_back_with_a_total(app: Tenantry, store: ProjectionStore) -> None:
    org_ids = populate(app)
    live = [i for i in org_ids if i != org_ids[2]]
    first = store.list_organizations(page_size=10, min_position=app.last_position)
    assert [o.id for o in first.organizations] == live[:10]
    assert (first.total_size, first.prev_page_token) == (24, "")
    second = store.list_organizations(page_size=10, page_token=first.next_page_token)
    third = store.list_organizations(page_size=10, page_token=second.next_page_token)
    assert [o.id for o in second.organizations + third.organizations] == live[10:]
    assert third.next_page_token == ""
    assert store.list_organizations(page_size=10, page_token=second.prev_page_token) == first
    assert store.list_organizations().organizations[0] == app.get_organization(live[0])


def test_list_filters_by_external_id(app: Tenantry, store: ProjectionStore) -> None:
    org_ids = populate(app, 12)
    page = store.list_organizations(external_id="ext-7", min_position=app.last_position)
    assert ([o.id for o in page.organizations], page.total_size) == ([org_ids[7]], 1)


@pytest.mark.parametrize("size", [9, 101, 0])
def test_a_list_page_size_outside_10_to_100_is_refused(store: ProjectionStore, size: int) -> None:
    with pytest.raises(InvalidField) as e:
        store.list_organizations(page_size=size)
    assert e.value.field == "page_size"


def test_a_token_of_another_listing_or_a_forged_one_is_an_invalid_page_token(
    app: Tenantry, store: ProjectionStore
) -> None:
    populate(app)
    token = store.list_organizations(page_size=10, min_position=app.last_position).next_page_token
    for bad in (token[:-3] + "abc", "garbage"):
        with pytest.raises(InvalidField) as e:
            store.list_organizations(page_size=10, page_token=bad)
        assert e.value.field == "page_token"
    with pytest.raises(InvalidField) as e:
        store.list_organizations(page_size=10, page_token=token, external_id="ext-1")
    assert e.value.field == "page_token"


def test_search_is_case_insensitive_over_name_id_and_external_id(
    app: Tenantry, store: ProjectionStore
) -> None:
    a = app.create_organization("Blue Whale Ltd", external_id="BW-100")
    b = app.create_organization("Orca 50% off", external_id="orca")
    app.create_organization("Unrelated")
    pos = app.last_position
    assert [o.id for o in store.search_organizations("WHALE", min_position=pos).organizations] == [
        a.id
    ]
    assert [o.id for o in store.search_organizations("bw-1").organizations] == [a.id]
    assert [o.id for o in store.search_organizations(b.id.upper()).organizations] == [b.id]
    assert store.search_organizations("50%").total_size == 1  # wildcards are literal
    page = store.search_organizations("org_", page_size=1)
    assert (len(page.organizations), page.total_size) == (1, 3)
    rest = store.search_organizations("org_", page_size=1, page_token=page.next_page_token)
    assert rest.organizations[0].id == b.id


@pytest.mark.parametrize(("query", "size"), [("ab", 10), ("x" * 101, 10), ("abc", 31)])
def test_search_refuses_short_queries_and_big_pages(
    store: ProjectionStore, query: str, size: int
) -> None:
    with pytest.raises(InvalidField) as e:
        store.search_organizations(query, page_size=size)
    assert e.value.field in ("query", "page_size")


def test_the_seat_view_and_the_organizations_equal_the_application_as_invitations_expire(
    app: Tenantry, store: ProjectionStore, clock: FakeClock
) -> None:
    org_ids = populate(app)
    first = org_ids[0]
    for step in (timedelta(0), timedelta(minutes=59), timedelta(minutes=2), timedelta(days=30)):
        clock.advance(step)
        at = clock()
        assert store.get_seat_usage(first, at=at, min_position=app.last_position) == (
            app.get_seat_usage(first, at=at)
        )
        # An organization read from the views shows the same limit and seats in use.
        expected = app.get_organization(first)
        assert expected.seats_in_use == app.get_seat_usage(first).seats_in_use
        assert store.get_organization(first) == expected
        listed = store.list_organizations(page_size=10).organizations
        assert [o for o in listed if o.id == first] == [expected]
        assert store.search_organizations("ext-0").organizations == [expected]
    assert expected.max_allowed_users == 4
    assert all(o == app.get_organization(o.id) for o in listed)
    with pytest.raises(OrganizationNotFound):
        store.get_seat_usage(org_ids[2])


def test_an_organization_and_its_seats_are_read_at_one_log_position(
    app: Tenantry, store: ProjectionStore
) -> None:
    org = app.create_organization("Acme").id
    store.catch_up()
    app.upsert_user_management_settings(org, 5)
    app.add_member(org, "ann@acme.io")
    store.catch_up("organizations")  # the seats stand behind: no limit, no member yet
    shown = store.get_organization(org)  # no min_position: read as the views stand
    assert shown == app.get_organization(org)
    assert (shown.max_allowed_users, shown.seats_in_use) == (5, 1)
    positions = {s.name: s.position for s in store.status()}
    assert positions["organizations"] == positions["seats"]


def test_a_view_cannot_be_stored_without_the_projections_it_joins(app: Tenantry) -> None:
    with pytest.raises(InvalidField) as e:
        ProjectionStore(app, views=[OrganizationsView()])
    assert e.value.field == "views"


def test_members_are_paginated_filtered_by_status_and_equal_the_application(
    app: Tenantry, store: ProjectionStore, clock: FakeClock
) -> None:
    first = populate(app)[0]
    clock.advance(timedelta(hours=2))
    page = store.list_members(first, page_size=2, min_position=app.last_position)
    rest = store.list_members(first, page_size=2, page_token=page.next_page_token)
    members = page.members + rest.members
    assert [m.email for m in members] == ["ada@acme.io", "bob@acme.io", "cy@acme.io"]
    assert page.total_size == 3
    for m in app.with_role_details(members):  # the read model keeps role names only
        assert m == app.get_membership(first, m.email)
    expired = store.list_members(first, status="INVITE_EXPIRED")
    assert [m.email for m in expired.members] == ["cy@acme.io"]
    assert store.list_members(first, status="PENDING_INVITE").total_size == 0
    with pytest.raises(InvalidField) as e:
        store.list_members(first, status="GONE")
    assert e.value.field == "status"


def members_in_every_status(app: Tenantry, clock: FakeClock) -> tuple[str, list[str]]:
    """An organization with a member in each status, some of them reached by more than one
    path (a member provisioned directly after an earlier invitation among them), and the
    memberships that are over: two revoked invitations (still readable) and a removed member
    (not found)."""
    org = app.create_organization("Acme").id
    app.invite_member(org, "revoked@acme.io")
    app.revoke_invitation(org, "revoked@acme.io")
    app.invite_member(org, "withdrawn@acme.io")
    app.remove_member(org, "withdrawn@acme.io")
    app.add_member(org, "removed@acme.io")
    app.remove_member(org, "removed@acme.io")
    app.add_member(org, "direct@acme.io")
    app.invite_member(org, "accepted@acme.io")
    app.accept_invitation(org, "accepted@acme.io")
    app.add_member(org, "inactive@acme.io")
    app.deactivate_member(org, "inactive@acme.io")
    app.invite_member(org, "after-revoke@acme.io")
    app.revoke_invitation(org, "after-revoke@acme.io")
    app.add_member(org, "after-revoke@acme.io")
    for email in ("after-expiry@acme.io", "swept@acme.io", "lapsed@acme.io"):
        app.invite_member(org, email, expires_in=timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    app.add_member(org, "after-expiry@acme.io")
    app.expire_invitations(org)
    app.invite_member(org, "reinvited@acme.io", expires_in=timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    app.resend_invitation(org, "reinvited@acme.io")
    app.invite_member(org, "pending@acme.io")
    app.resend_invitation(org, "pending@acme.io")
    app.invite_member(org, "lapsed-now@acme.io", expires_in=timedelta(hours=1))
    clock.advance(timedelta(hours=1))
    emails = [
        "direct@acme.io",
        "accepted@acme.io",
        "inactive@acme.io",
        "after-revoke@acme.io",
        "after-expiry@acme.io",
        "swept@acme.io",
        "lapsed@acme.io",
        "reinvited@acme.io",
        "pending@acme.io",
        "lapsed-now@acme.io",
    ]
    return org, emails


def test_a_member_reads_the_same_from_the_view_and_the_application_in_every_status(
    app: Tenantry, store: ProjectionStore, clock: FakeClock
) -> None:
    org, emails = members_in_every_status(app, clock)
    page = store.list_members(org, page_size=100, min_position=app.last_position)
    assert [m.email for m in page.members] == emails
    assert {m.status for m in page.members} == {
        "ACTIVE",
        "INACTIVE",
        "PENDING_INVITE",
        "INVITE_EXPIRED",
    }
    for raw, shown in zip(page.members, app.with_role_details(page.members), strict=True):
        assert shown == app.get_membership(org, shown.email), shown.email
        assert store.list_user_memberships(shown.email) == [raw]
    reprovisioned = [m for m in page.members if m.email.startswith("after-")]
    assert [(m.status, m.invitation) for m in reprovisioned] == [("ACTIVE", None)] * 2
    for status in ("ACTIVE", "INACTIVE", "PENDING_INVITE", "INVITE_EXPIRED"):
        only = store.list_members(org, status=status, page_size=100).members
        assert only == [m for m in page.members if m.status == status], status


def test_revoked_invitations_are_listed_when_asked_for_as_the_application_shows_them(
    app: Tenantry, store: ProjectionStore, clock: FakeClock
) -> None:
    org, _ = members_in_every_status(app, clock)
    over = store.list_members(org, status="REMOVED", min_position=app.last_position)
    assert [m.email for m in over.members] == ["revoked@acme.io", "withdrawn@acme.io"]
    assert over.total_size == 2
    for shown in app.with_role_details(over.members):
        assert shown == app.get_membership(org, shown.email)
        assert shown.invitation is not None
        assert shown.invitation.status == "revoked"
        assert store.list_user_memberships(shown.email) == []  # a member of nothing
    with pytest.raises(MembershipNotFound):
        app.get_membership(org, "removed@acme.io")
    app.invite_member(org, "revoked@acme.io")  # invited again: pending, no longer listed as over
    after = store.list_members(org, status="REMOVED", min_position=app.last_position)
    assert [m.email for m in after.members] == ["withdrawn@acme.io"]
    again = store.list_members(org, status="PENDING_INVITE").members
    assert [m for m in app.with_role_details(again) if m.email == "revoked@acme.io"] == [
        app.get_membership(org, "revoked@acme.io")
    ]


def test_a_user_sees_each_organization_they_belong_to(
    app: Tenantry, store: ProjectionStore
) -> None:
    org_ids = populate(app)
    mine = store.list_user_memberships("bob@acme.io", min_position=app.last_position)
    assert [(m.organization_id, m.roles) for m in mine] == [
        (org_ids[0], ["admin"]),
        (org_ids[1], ["member"]),
    ]
    app.delete_organization(org_ids[1])
    after = store.list_user_memberships("BOB@acme.io", min_position=app.last_position)
    assert [m.organization_id for m in after] == [org_ids[0]]


def test_the_audit_log_filters_by_organization_actor_and_time(
    app: Tenantry, store: ProjectionStore, clock: FakeClock
) -> None:
    org = app.create_organization("Acme", actor="vendor@x.io")
    t1 = clock.advance(timedelta(minutes=1))
    app.add_member(org.id, "a@acme.io", actor="it@acme.io")
    clock.advance(timedelta(minutes=1))
    app.update_member_roles(org.id, "a@acme.io", ["admin"], actor="it@acme.io")
    other = app.create_organization("Other", actor="vendor@x.io")
    pos = app.last_position
    by_it = store.list_audit_log(actor="it@acme.io", min_position=pos)
    assert {e.actor for e in by_it.entries} == {"it@acme.io"}
    assert by_it.entries[-1].event == "Membership.RolesChanged"
    assert by_it.entries[-1].organization_id == org.id
    window = store.list_audit_log(organization_id=org.id, since=t1, until=t1 + timedelta(seconds=1))
    assert {e.event for e in window.entries} == {
        "Organization.MemberAdded",
        "Membership.Provisioned",
    }
    assert all(
        e.organization_id != other.id for e in store.list_audit_log(organization_id=org.id).entries
    )
    first = store.list_audit_log(page_size=2)
    second = store.list_audit_log(page_size=2, page_token=first.next_page_token)
    assert [e.position for e in first.entries] < [e.position for e in second.entries]


def test_a_rebuild_builds_beside_the_live_tables_and_swaps(
    app: Tenantry, store: ProjectionStore
) -> None:
    populate(app)
    store.catch_up()
    before = {s.name: s.generation for s in store.status()}
    seen: list[int] = []
    store.rebuild("memberships", progress=lambda pos, head: seen.append(pos))
    status = {s.name: s for s in store.status()}
    assert status["memberships"].generation == (before["memberships"] or 0) + 1
    assert status["memberships"].lag == 0
    assert not status["memberships"].rebuilding
    assert seen == sorted(seen)
    assert seen[-1] == store.head()
    assert store.dump("memberships") == expected(store, "memberships")
    names = sa.inspect(store.engine).get_table_names()
    assert not any(n.startswith("proj_members_v1_g1") for n in names)  # the old one is gone
    assert_live_tables_have_their_indexes(store, "memberships")


def assert_live_tables_have_their_indexes(store: ProjectionStore, name: str) -> None:
    """A rebuild loads its tables without secondary indexes: they must exist before the swap."""
    inspector = sa.inspect(store.engine)
    for table in store._live_generation(store.view(name)).tables.values():
        have = {index["name"] for index in inspector.get_indexes(table.name)}
        assert {index.name for index in table.indexes} <= have, table.name


def test_a_rebuild_interrupted_midway_resumes_where_it_stopped(
    app: Tenantry, store: ProjectionStore
) -> None:
    populate(app)

    class Stop(Exception):
        pass

    def stop_after_two(pos: int, head: int) -> None:
        if pos >= 14:
            raise Stop

    with pytest.raises(Stop):
        store.rebuild("audit", progress=stop_after_two)
    status = {s.name: s for s in store.status()}["audit"]
    assert status.rebuilding
    assert status.rebuild_position == 14
    store.rebuild("audit")
    assert store.dump("audit") == expected(store, "audit")
    assert not {s.name: s for s in store.status()}["audit"].rebuilding
    assert_live_tables_have_their_indexes(store, "audit")


def test_a_query_waits_for_its_own_write_and_get_after_create_never_misses(
    app: Tenantry, store: ProjectionStore
) -> None:
    for i in range(5):
        org = app.create_organization(f"Acme {i}")
        assert store.get_organization(org.id, min_position=app.last_position) == org


def test_waiting_for_a_position_the_log_never_reaches_times_out_clearly(
    app: Tenantry, store: ProjectionStore
) -> None:
    app.create_organization("Acme")
    beyond = (app.last_position or 0) + 1000
    with pytest.raises(ProjectionBehind) as e:
        store.list_organizations(min_position=beyond, timeout=0.05)
    assert (e.value.projection, e.value.position, e.value.code) == (
        "organizations",
        beyond,
        "projection_behind",
    )
    assert e.value.reached == app.last_position


def test_an_unknown_projection_name_is_refused(store: ProjectionStore) -> None:
    with pytest.raises(InvalidField) as e:
        store.rebuild("nope")
    assert e.value.field == "projection"


def test_follow_keeps_every_view_caught_up_until_it_is_stopped(
    app: Tenantry, store: ProjectionStore, database_url: str
) -> None:
    # On PostgreSQL the poll interval is longer than the test may take: only the NOTIFY that
    # eventsourcing sends on insert can wake the follower in time.
    interval = 600.0 if database_url.startswith("postgresql") else 0.01
    idle, stop = threading.Event(), threading.Event()
    follower = threading.Thread(
        target=store.follow, kwargs={"interval": interval, "stop": stop, "on_idle": idle.set}
    )
    follower.start()
    try:
        assert idle.wait(30), "the follower never went idle"
        for i in range(3):
            idle.clear()
            org = app.create_organization(f"Acme {i}")
            while store.position("audit") < (app.last_position or 0):
                assert idle.wait(30), "the follower did not wake up for a new event"
                idle.clear()
            assert store.get_organization(org.id) == org  # no min_position: already there
    finally:
        stop.set()
        follower.join(30)
    assert not follower.is_alive()
    assert_views_equal_the_fold(store)


def test_two_runners_catching_up_at_once_apply_every_event_once(
    app: Tenantry, store: ProjectionStore, database_url: str
) -> None:
    if database_url.startswith("memory"):
        pytest.skip("memory:// projections are private to one store")
    populate(app, 30)
    other = ProjectionStore(app, batch_size=5)
    errors: list[BaseException] = []

    def run(s: ProjectionStore) -> None:
        try:
            s.catch_up()
        except BaseException as e:  # reported below, with the other runner's outcome
            errors.append(e)

    runners = [threading.Thread(target=run, args=(s,)) for s in (store, other)]
    try:
        for r in runners:
            r.start()
        for r in runners:
            r.join(120)
    finally:
        other.close()
    assert errors == []
    assert all(s.lag == 0 for s in store.status())
    assert_views_equal_the_fold(store)


def test_threads_sharing_one_store_apply_every_event_once(
    app: Tenantry, store: ProjectionStore
) -> None:
    # A server's follower thread and its request threads share one store: on memory:// that is
    # one SQLite connection, whose transactions must not interleave.
    populate(app, 30)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run() -> None:
        try:
            start.wait(10)
            store.catch_up()
            store.list_organizations(min_position=app.last_position)
        except BaseException as e:  # reported below, with the other threads' outcome
            errors.append(e)

    runners = [threading.Thread(target=run) for _ in range(4)]
    for r in runners:
        r.start()
    for r in runners:
        r.join(120)
    assert errors == []
    assert_views_equal_the_fold(store)  # the organization count included


def test_a_catch_up_that_finds_the_tables_built_meanwhile_does_not_build_them_again(
    app: Tenantry, store: ProjectionStore, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database_url.startswith("memory"):
        pytest.skip("memory:// projections are private to one store")
    populate(app)
    other = ProjectionStore(app, batch_size=7)
    real = Generations.live_tracking
    stale: list[str] = []

    def looked_up_just_before_the_other_runner_swapped(
        self: Generations, conn: sa.Connection, view: View
    ) -> sa.Row[Any] | None:
        if self is store._generations and not stale:
            stale.append(view.name)
            other.catch_up()  # builds every view and swaps it in
            return None  # what this runner read a moment earlier
        return real(self, conn, view)

    monkeypatch.setattr(
        Generations, "live_tracking", looked_up_just_before_the_other_runner_swapped
    )
    store.catch_up()
    status = {s.name: s for s in store.status()}
    assert status[stale[0]].generation == 1  # the other runner's tables, not rebuilt and dropped
    assert status[stale[0]].position == store.head()
    assert_views_equal_the_fold(store)
    other.close()
