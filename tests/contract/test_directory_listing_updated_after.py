"""Listing a directory's users and groups changed after a time, on every backend: a create, a
replace (an activation change is one) and, for a group, a change of its members move a
resource's last change; the filter is strict, pages through the filtered list, counts it in
``total_size``, and answers the same from a roster rebuilt from its events or its snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from tenantry.application.app import Tenantry
from tenantry.application.provisioning_dto import ScimKind
from tenantry.domain import ids
from tenantry.domain.directory_roster import DirectoryRoster
from tenantry.errors import InvalidField
from tests.provisioning_support import active_directory, scim_group, scim_user
from tests.support import FakeClock
from tests.unit.helpers import replay

USER, GROUP = ScimKind.USER, ScimKind.GROUP


@pytest.fixture
def app(make_app: Callable[..., Tenantry], database_url: str) -> Tenantry:
    return make_app(database_url)


def _minute(clock: FakeClock) -> datetime:
    return clock.advance(timedelta(minutes=1))


def _then_later(clock: FakeClock) -> datetime:
    """Now, with the clock a minute on: what changes next changes after it."""
    since = _minute(clock)
    _minute(clock)
    return since


def test_only_what_changed_strictly_after_the_time_is_listed(
    app: Tenantry, clock: FakeClock
) -> None:
    org_id, dir_id = active_directory(app)
    ada, bob, cy, dee = (
        app.scim_create(dir_id, USER, scim_user(f"{n}@acme.test")).id
        for n in ("ada", "bob", "cy", "dee")
    )
    eng = app.scim_create(dir_id, GROUP, scim_group("Eng", [ada])).id
    ops = app.scim_create(dir_id, GROUP, scim_group("Ops", [])).id
    since = _then_later(clock)
    assert app.list_directory_users(org_id, dir_id, updated_after=since).total_size == 0
    app.scim_replace(dir_id, USER, cy, scim_user("cy@acme.test", active=False))  # deactivated
    app.scim_replace(dir_id, USER, ada, scim_user("ada@acme.test", given="Augusta"))
    app.scim_replace(dir_id, GROUP, ops, scim_group("Ops", [bob]))  # its members only
    changed = app.list_directory_users(org_id, dir_id, updated_after=since)
    assert [u.id for u in changed.users] == [ada, cy]  # in the order they were created
    assert (changed.total_size, changed.next_page_token) == (2, "")
    assert all(u.update_time > since for u in changed.users)
    groups = app.list_directory_groups(org_id, dir_id, updated_after=since)
    assert ([g.id for g in groups.groups], groups.total_size) == ([ops], 1)
    last = changed.users[-1].update_time
    assert app.list_directory_users(org_id, dir_id, updated_after=last).users == []  # strictly
    everyone = app.list_directory_users(org_id, dir_id)
    assert [u.id for u in everyone.users] == [ada, bob, cy, dee]
    _minute(clock)
    app.scim_delete(dir_id, USER, bob)  # Ops loses a member; Eng does not change
    later = app.list_directory_groups(org_id, dir_id, updated_after=last)
    assert [g.id for g in later.groups] == [ops]
    assert eng not in [g.id for g in later.groups]


def test_pages_follow_the_filtered_list(app: Tenantry, clock: FakeClock) -> None:
    org_id, dir_id = active_directory(app)
    made = [app.scim_create(dir_id, USER, scim_user(f"u{i}@acme.test")).id for i in range(7)]
    since = _then_later(clock)
    for i in (1, 2, 4, 6):
        app.scim_replace(dir_id, USER, made[i], scim_user(f"u{i}@acme.test", given=f"G{i}"))
    first = app.list_directory_users(org_id, dir_id, page_size=3, updated_after=since)
    assert ([u.id for u in first.users], first.total_size) == ([made[1], made[2], made[4]], 4)
    _minute(clock)
    app.scim_replace(dir_id, USER, made[0], scim_user("u0@acme.test", given="Late"))
    rest = app.list_directory_users(
        org_id, dir_id, page_size=3, page_token=first.next_page_token, updated_after=since
    )
    assert ([u.id for u in rest.users], rest.next_page_token) == ([made[6]], "")
    assert rest.total_size == 5  # the filtered list, now with u0


def test_a_bad_time_is_refused_naming_updated_after(app: Tenantry) -> None:
    org_id, dir_id = active_directory(app)
    for listing in (app.list_directory_users, app.list_directory_groups):
        with pytest.raises(InvalidField) as refused:
            listing(org_id, dir_id, updated_after="2026-01-01T00:00:00Z")  # type: ignore[arg-type]
        assert refused.value.field == "updated_after"


def test_a_rebuilt_roster_answers_the_same_filter(app: Tenantry, clock: FakeClock) -> None:
    org_id, dir_id = active_directory(app)
    ada = app.scim_create(dir_id, USER, scim_user("ada@acme.test")).id
    bob = app.scim_create(dir_id, USER, scim_user("bob@acme.test")).id
    app.scim_create(dir_id, GROUP, scim_group("Eng", [ada]))
    since = _then_later(clock)
    app.scim_replace(dir_id, USER, bob, scim_user("bob@acme.test", active=False))
    roster_id = DirectoryRoster.create_id(ids.decode(ids.DIRECTORY, dir_id))
    live: DirectoryRoster = app.repository.get(roster_id)
    rebuilt: DirectoryRoster = replay(app.events.get(roster_id))
    from_snapshot: DirectoryRoster = live.Snapshot.take(live).mutate(None)

    def unknown(item: object) -> datetime:
        raise AssertionError(f"a roster opened now knows when {item} changed")

    bob_id = ids.decode(ids.DIRECTORY_USER, bob)
    for roster in (live, rebuilt, from_snapshot):
        assert roster.users_changed_after(since, unknown) == [bob_id]
        assert roster.groups_changed_after(since, unknown) == []
    listed = app.list_directory_users(org_id, dir_id, updated_after=since).users
    assert [u.id for u in listed] == [bob]
