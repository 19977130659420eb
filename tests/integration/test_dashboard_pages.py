"""The vendor's dashboard, in process (create_app + TestClient): signed in with a real login
link, it lists and finds organizations, shows one with its seats, members, invitations,
connections, directories, domains and portal links, generates and revokes a shareable link
(CSRF-checked), and walks the history: the timeline with its diffs, a past version with its old
values, stepping back and forward, and the seat chart with its table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tenantry.application.app import Tenantry

DASH = "/dashboard/organizations"


def _token(location: str) -> str:
    return parse_qs(urlsplit(location).query)["token"][0]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app("memory://")) as c:
        t: Tenantry = c.app.state.tenantry  # type: ignore[attr-defined]
        login = t.issue_dashboard_login("ada", actor="cli:ada")
        opened = c.post("/dashboard/login", data={"token": _token(login.location)})
        assert opened.status_code == 200, opened.text
        yield c


@pytest.fixture(scope="module")
def t(client: TestClient) -> Tenantry:
    app: Tenantry = client.app.state.tenantry  # type: ignore[attr-defined]
    return app


@pytest.fixture(scope="module")
def acme(t: Tenantry) -> str:
    """An organization with a past: renamed, a seat limit, a member, an invitation."""
    org = t.create_organization("Acme Rockets", external_id="acme-rockets", actor="cli:setup")
    t.upsert_user_management_settings(org.id, 5, actor="cli:setup")
    t.add_member(org.id, "ann@acme.example", actor="cli:setup")
    t.update_organization(org.id, display_name="Acme Aerospace", actor="dashboard:bob")
    t.invite_member(org.id, "bob@acme.example", actor="cli:setup")
    return org.id


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def text(page: str) -> str:
    """The page's text, tags dropped, whitespace folded (what a reader sees)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_list_shows_organizations_with_their_seats(client: TestClient, acme: str) -> None:
    page = client.get(DASH)
    assert page.status_code == 200
    assert f'href="{DASH}/{acme}"' in page.text
    assert "Acme Aerospace" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_the_list_pages_through_many_organizations(client: TestClient, t: Tenantry) -> None:
    for i in range(25):
        t.create_organization(f"Filler {i:02d}")
    first = client.get(DASH)
    nxt = re.search(r'href="\?page_token=([^"]+)" rel="next"', first.text)
    assert nxt is not None
    second = client.get(DASH, params={"page_token": unescape(nxt[1])})
    assert second.status_code == 200
    assert 'rel="prev"' in second.text
    names = set(re.findall(r"Filler \d\d", first.text)) | set(
        re.findall(r"Filler \d\d", second.text)
    )
    assert len(names) == 25


def test_a_search_finds_by_name_and_external_id(client: TestClient, acme: str) -> None:
    for q in ("aerospace", "acme-rock"):
        page = client.get(DASH, params={"q": q})
        assert page.status_code == 200
        assert f"{DASH}/{acme}" in page.text
        assert "1 found" in text(page.text)
    none = client.get(DASH, params={"q": "no such thing"})
    assert "0 found" in text(none.text)


def test_a_search_too_short_is_refused_on_the_form(client: TestClient) -> None:
    page = client.get(DASH, params={"q": "ac"})
    assert page.status_code == 400
    assert 'aria-invalid="true"' in page.text
    assert 'class="error"' in page.text


def test_the_organization_page_shows_its_settings_seats_members_and_sections(
    client: TestClient, acme: str
) -> None:
    page = client.get(f"{DASH}/{acme}")
    assert page.status_code == 200
    seen = text(page.text)
    assert "Acme Aerospace" in seen
    assert "acme-rockets" in seen
    assert "2 of 5 seats in use (1 active, 1 pending invitations)" in seen
    assert "ann@acme.example" in seen
    assert "bob@acme.example" in seen
    for section in ("/sso", "/directories", "/domains", "/history", "/seats", "/members"):
        assert f'href="{DASH}/{acme}{section}"' in page.text


def test_the_members_page_filters_by_status(client: TestClient, acme: str) -> None:
    page = client.get(f"{DASH}/{acme}/members", params={"status": "PENDING_INVITE"})
    assert page.status_code == 200
    assert "bob@acme.example" in page.text
    assert "ann@acme.example" not in page.text
    assert client.get(f"{DASH}/{acme}/members", params={"status": ""}).status_code == 200
    assert client.get(f"{DASH}/{acme}/members", params={"status": "x"}).status_code == 400


def test_a_shareable_link_is_generated_shown_once_and_revoked(
    client: TestClient, t: Tenantry, acme: str
) -> None:
    page = client.get(f"{DASH}/{acme}")
    made = client.post(
        f"{DASH}/{acme}/portal-links",
        data={"csrf_token": csrf(page.text), "features": ["sso", "domain_verification"]},
    )
    assert made.status_code == 200
    location = re.search(r'<code id="c-portal-link">([^<]+)</code>', made.text)
    assert location is not None
    assert "/portal/open?token=" in unescape(location[1])
    [link] = t.list_portal_links(acme)
    assert link.shareable
    assert link.features == ["sso", "domain_verification"]
    assert (link.expire_time - link.create_time).days == 7
    generated = [h for h in t.list_history(acme) if h.event == "PortalLinkGenerated"][-1]
    assert generated.actor == "dashboard:ada"
    again = client.get(f"{DASH}/{acme}")
    assert link.id in again.text
    assert unescape(location[1]) not in unescape(again.text)  # shown once
    revoked = client.post(
        f"{DASH}/{acme}/portal-links/revoke",
        data={"csrf_token": csrf(again.text), "link_id": link.id},
    )
    assert revoked.status_code == 200
    assert f"Link {link.id} revoked" in text(revoked.text)
    assert t.list_portal_links(acme) == []


def test_a_link_without_features_is_refused_on_the_form(
    client: TestClient, t: Tenantry, acme: str
) -> None:
    before = len(t.list_history(acme))
    page = client.post(
        f"{DASH}/{acme}/portal-links", data={"csrf_token": csrf(client.get(DASH).text)}
    )
    assert page.status_code == 400
    assert "at least one feature" in page.text
    assert 'aria-invalid="true" aria-describedby="e-features"' in page.text
    assert len(t.list_history(acme)) == before


def test_a_form_without_the_sessions_token_changes_nothing(
    client: TestClient, t: Tenantry, acme: str
) -> None:
    before = len(t.list_history(acme))
    forged = client.post(
        f"{DASH}/{acme}/portal-links", data={"csrf_token": "forged", "features": ["sso"]}
    )
    assert forged.status_code == 403
    assert "form_token_invalid" in forged.text
    assert len(t.list_history(acme)) == before


def test_the_timeline_shows_who_when_and_each_change(client: TestClient, acme: str) -> None:
    page = client.get(f"{DASH}/{acme}/history")
    assert page.status_code == 200
    seen = text(page.text)
    assert "Renamed" in seen
    assert "by dashboard:bob" in seen
    assert re.search(r"Name\s+Acme Rockets\s+Acme Aerospace", seen)
    assert "Seat limit — 5" in seen
    versions = [int(v) for v in re.findall(r'id="v(\d+)"', page.text)]
    assert versions == sorted(versions, reverse=True)
    assert versions[-1] == 1


def test_the_timeline_pages_back(client: TestClient, t: Tenantry) -> None:
    org = t.create_organization("Busy Co").id
    for i in range(30):
        t.update_organization(org, metadata={"counter": str(i)})
    first = client.get(f"{DASH}/{org}/history")
    assert [int(v) for v in re.findall(r'id="v(\d+)"', first.text)] == list(range(31, 11, -1))
    older = client.get(f"{DASH}/{org}/history", params={"to": 11})
    assert [int(v) for v in re.findall(r'id="v(\d+)"', older.text)] == list(range(11, 0, -1))
    assert 'href="?to=31"' in older.text


def test_a_past_version_shows_the_old_values_and_steps(client: TestClient, acme: str) -> None:
    page = client.get(f"{DASH}/{acme}/history/2")
    assert page.status_code == 200
    settings = re.search(r'<dl class="props" id="as-of-settings">(.*?)</dl>', page.text, re.S)
    assert settings is not None
    assert "Acme Rockets" in settings[1]
    assert "Acme Aerospace" not in settings[1]
    assert re.search(r"Seat limit\s*</dt>\s*<dd>5</dd>", settings[1])
    seen = text(page.text)
    assert "As of version 2" in seen
    assert re.search(r"Name\s+Acme Rockets\s+Acme Aerospace", seen)  # changed since
    assert f'href="{DASH}/{acme}/history/1"' in page.text
    assert f'href="{DASH}/{acme}/history/3"' in page.text
    first = client.get(f"{DASH}/{acme}/history/1")
    assert 'rel="prev"' not in first.text
    members = client.get(f"{DASH}/{acme}/history/3")
    assert "ann@acme.example" in members.text


def test_a_version_that_never_was_is_refused_with_its_reason(client: TestClient, acme: str) -> None:
    page = client.get(f"{DASH}/{acme}/history/999")
    assert page.status_code == 404
    assert "version_not_found" in page.text
    assert client.get(f"{DASH}/{acme}/history/0").status_code == 400
    assert client.get(f"{DASH}/{acme}/history/x").status_code == 400


def test_an_unknown_organization_is_a_page_not_a_500(client: TestClient) -> None:
    for path in ("", "/history", "/seats", "/members", "/history/1"):
        page = client.get(f"{DASH}/org_{'0' * 26}{path}")
        assert page.status_code == 404, path
        assert "organization_not_found" in page.text
    assert client.get(f"{DASH}/nonsense").status_code == 400


def test_the_seat_chart_has_a_table_of_the_same_points(client: TestClient, acme: str) -> None:
    page = client.get(f"{DASH}/{acme}/seats")
    assert page.status_code == 200
    assert '<svg class="chart" role="img"' in page.text
    assert "seat-chart-desc" in page.text
    table = re.search(r'aria-label="Seat usage over time">(.*?)</table>', page.text, re.S)
    assert table is not None
    counts = re.findall(r'data-label="In use">(\d+)<', table[1])
    assert counts[0] == "2"  # newest first: ann and bob's invitation
    assert "Member invited" in text(table[1])


def test_without_a_session_the_pages_say_how_to_sign_in(acme: str) -> None:
    with TestClient(create_app("memory://")) as anonymous:
        for path in (DASH, f"{DASH}/{acme}/history"):
            page = anonymous.get(path)
            assert page.status_code == 401
            assert "tenantry dashboard login" in page.text


def test_a_version_at_which_it_was_deleted_says_so_and_still_steps(
    client: TestClient, t: Tenantry
) -> None:
    org = t.create_organization("Phoenix").id
    t.delete_organization(org, actor="cli:oops")
    t.restore_organization(org, actor="cli:fix")
    deleted = client.get(f"{DASH}/{org}/history/2")
    assert deleted.status_code == 200
    assert "was deleted" in deleted.text
    assert "by cli:oops" in text(deleted.text)
    assert f'href="{DASH}/{org}/history/1"' in deleted.text
    assert f'href="{DASH}/{org}/history/3"' in deleted.text
    timeline = text(client.get(f"{DASH}/{org}/history").text)
    assert "Deleted no yes" in timeline
    assert "Restored" in timeline


def test_a_moment_opens_the_version_in_force_then(
    client: TestClient, t: Tenantry, acme: str
) -> None:
    history = t.list_history(acme)
    renamed = next(h for h in history if h.event == "Renamed")
    just_before = renamed.timestamp.replace(tzinfo=None) - timedelta(microseconds=1)
    page = client.get(
        f"{DASH}/{acme}/history/at",
        params={"moment": just_before.isoformat()},
        follow_redirects=False,
    )
    assert page.status_code == 303
    assert page.headers["location"] == f"{DASH}/{acme}/history/{renamed.version - 1}"
    before = client.get(f"{DASH}/{acme}/history/at", params={"moment": "2000-01-01T00:00"})
    assert before.status_code == 404
    assert "version_not_found" in before.text
    assert client.get(f"{DASH}/{acme}/history/at", params={"moment": "soon"}).status_code == 400


def test_revoke_all_ends_every_link(client: TestClient, t: Tenantry) -> None:
    org = t.create_organization("Many Links").id
    for _ in range(2):
        t.generate_portal_link(org, shareable=True)
    page = client.get(f"{DASH}/{org}")
    assert page.text.count('name="link_id"') == 2
    done = client.post(f"{DASH}/{org}/portal-links/revoke", data={"csrf_token": csrf(page.text)})
    assert done.status_code == 200
    assert "2 link(s) revoked" in text(done.text)
    assert t.list_portal_links(org) == []
    revoked = [h for h in t.list_history(org) if h.event == "PortalLinkRevoked"]
    assert [h.actor for h in revoked] == ["dashboard:ada", "dashboard:ada"]


def test_a_form_posted_without_a_session_is_refused(acme: str) -> None:
    with TestClient(create_app("memory://")) as anonymous:
        page = anonymous.post(
            f"{DASH}/{acme}/portal-links", data={"csrf_token": "x", "features": ["sso"]}
        )
        assert page.status_code == 401
        assert "session_missing" in page.text


def test_a_members_roles_change_names_the_member_by_email(client: TestClient, t: Tenantry) -> None:
    org = t.create_organization("Roles Co").id
    t.add_member(org, "cy@roles.example")
    t.update_member_roles(org, "cy@roles.example", ["admin"], actor="dashboard:ada")
    seen = text(client.get(f"{DASH}/{org}/history").text)
    assert "Member's roles changed" in seen
    assert "User cy@roles.example Roles admin" in seen


def test_a_version_with_many_members_shows_its_seats_not_each_member(
    client: TestClient, acme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenantry.adapters.web import dashboard_history

    monkeypatch.setattr(dashboard_history, "MEMBERS_THEN_MAX", 1)
    page = text(client.get(f"{DASH}/{acme}/history/5").text)
    assert "2 in use of 5; too many members then to list them here." in page
    assert "Members then" not in page
