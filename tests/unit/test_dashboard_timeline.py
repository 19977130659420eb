"""The timeline as people read it: pages newest first that cover every version once, titles,
values and the before → after of each change, from a real organization's history."""

from __future__ import annotations

import pytest

from tenantry.adapters.web.dashboard_timeline import (
    changed_rows,
    entry_of,
    organization_rows,
    show,
    timeline,
    title_of,
    unnamed_users,
    window,
)
from tenantry.application.app import Tenantry


@pytest.mark.parametrize("head", [1, 19, 20, 21, 45])
def test_paging_back_from_the_newest_covers_every_version_once(head: int) -> None:
    seen: list[int] = []
    w = window(head, None, 20)
    assert w.newer is None
    while True:
        seen.extend(range(w.last, w.first - 1, -1))
        assert w.limit == w.last - w.first + 1 <= 20
        if w.older is None:
            break
        older = window(head, w.older, 20)
        assert older.newer == min(head, older.last + 20)
        w = older
    assert seen == list(range(head, 0, -1))


def test_a_page_beyond_either_end_is_brought_within_the_history() -> None:
    assert (window(30, 99).first, window(30, 99).last) == (11, 30)
    assert (window(30, -5).first, window(30, -5).last) == (1, 1)
    assert window(30, 5).newer == 25


def test_titles_read_as_words() -> None:
    assert title_of("MemberInvited") == "Member invited"
    assert title_of("PortalLinkGenerated") == "Portal link generated"
    assert title_of("LimitSet") == "Seat limit set"


def test_values_read_as_text() -> None:
    assert show(None) == "—"
    assert show(True) == "yes"
    assert show({}) == "(none)"
    assert show({"team": "blue", "a": 1}) == "a: 1, team: blue"
    assert show(["sso", "dir_sync"]) == "sso, dir_sync"


def test_an_entry_shows_who_when_and_each_change_before_and_after(app: Tenantry) -> None:
    org = app.create_organization("Acme", actor="cli:ada")
    app.update_organization(org.id, display_name="Acme Inc", actor="dashboard:ada", reason="typo")
    app.upsert_user_management_settings(org.id, 5)
    app.invite_member(org.id, "bob@x.io")
    entries = timeline(app.list_history(org.id))
    assert [e.version for e in entries] == [4, 3, 2, 1]
    renamed = entries[2]
    assert (renamed.title, renamed.actor, renamed.reason) == ("Renamed", "dashboard:ada", "typo")
    assert [(c.label, c.before, c.after) for c in renamed.changes] == [("Name", "Acme", "Acme Inc")]
    assert [(c.label, c.before, c.after) for c in entries[1].changes] == [("Seat limit", "—", "5")]
    invited = entries[0]
    assert ("Email", "bob@x.io") in invited.details
    assert all(label != "User id" for label, _ in invited.details)


def test_the_first_entry_lists_the_fields_it_set(app: Tenantry) -> None:
    org = app.create_organization("Acme", external_id="acme-1")
    created = entry_of(app.list_history(org.id)[0])
    assert ("External id", "—", "acme-1") in [(c.label, c.before, c.after) for c in created.changes]
    assert created.details == ()


def test_organization_rows_name_the_seat_limit_as_people_do(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    assert ("Seat limit", "off (no seat management)") in organization_rows(org)
    app.upsert_user_management_settings(org.id, 0)
    assert ("Seat limit", "no limit") in organization_rows(app.get_organization(org.id))


def test_a_members_roles_change_names_the_member(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    ann = app.add_member(org.id, "ann@x.io")
    app.update_member_roles(org.id, "ann@x.io", ["admin"])
    changed = timeline(app.list_history(org.id))[0]
    assert changed.title == "Member's roles changed"
    assert ("User", ann.user_id) in changed.details
    assert ("Roles", "admin") in changed.details
    named = timeline(app.list_history(org.id), {ann.user_id: "ann@x.io"})[0]
    assert ("User", "ann@x.io") in named.details
    assert unnamed_users(app.list_history(org.id)) == {ann.user_id}


def test_changed_rows_compare_then_and_now_without_the_bookkeeping(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    then = organization_rows(org)
    app.update_organization(org.id, display_name="Acme 2")
    app.add_member(org.id, "ann@x.io")
    now = organization_rows(app.get_organization(org.id))
    changed = [(c.label, c.before, c.after) for c in changed_rows(then, now)]
    assert changed == [("Name", "Acme", "Acme 2"), ("Seats in use", "0", "1")]
    assert changed_rows(now, now) == []
