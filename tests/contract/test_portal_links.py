"""Portal links and dashboard logins behave the same on every backend: a link opens into a
session bound to its organization and features; a single-use link opens once (also when many
open it at once, from one application or several on one database), a shareable one until it is
revoked or expires; revoking ends its sessions; every generation, opening, sign-out, revocation
and expiry is in the organization's history with its actor; no secret reaches an event; and a
refusal records nothing."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tenantry.application.app import Tenantry
from tenantry.errors import (
    DashboardLoginHasExpired,
    DashboardLoginInvalid,
    DashboardLoginUsed,
    DashboardSessionInvalid,
    InvalidField,
    NothingChanged,
    OrganizationNotFound,
    PortalLinkHasExpired,
    PortalLinkInvalid,
    PortalLinkNotFound,
    PortalLinkUsed,
    PortalLinkWasRevoked,
    PortalSessionInvalid,
    TenantryError,
)
from tests.support import FakeClock
from tests.unit.helpers import assert_stored_history_replays, records_nothing, stored

BASE = "https://auth.example.com"


@pytest.fixture
def links_app(make_app: Callable[..., Tenantry], database_url: str) -> Tenantry:
    app = make_app(database_url)
    app.configure_sso(base_url=BASE)
    return app


def token_of(location: str) -> str:
    return location.partition("?token=")[2]


def _org(app: Tenantry) -> str:
    return app.create_organization("Acme").id


def test_a_link_opens_once_into_a_session_bound_to_its_organization_and_features(
    links_app: Tenantry,
) -> None:
    org = _org(links_app)
    link = links_app.generate_portal_link(org, ["dir_sync", "sso"], actor="admin@vendor.example")
    assert link.id.startswith("lnk_")
    assert link.location.startswith(f"{BASE}/portal/open?token=")
    assert (link.features, link.shareable) == (["sso", "dir_sync"], False)
    assert link.expire_time - link.create_time == timedelta(minutes=1)
    assert [x.id for x in links_app.list_portal_links(org)] == [link.id]
    opened = links_app.open_portal_link(token_of(link.location))
    session = opened.session
    assert (session.organization_id, session.link_id) == (org, link.id)
    assert (session.features, session.actor) == (("sso", "dir_sync"), f"portal:{link.id}")
    assert session.expire_time - link.create_time == timedelta(hours=6)
    assert links_app.portal_session(opened.cookie) == session
    with records_nothing(links_app), pytest.raises(PortalLinkUsed) as used:
        links_app.open_portal_link(token_of(link.location))
    assert used.value.link_id == link.id
    assert [x.status for x in links_app.list_portal_links(org)] == ["USED"]
    assert token_of(link.location) not in repr(link)
    assert opened.cookie not in repr(opened)


def test_every_step_is_in_the_organizations_history_and_no_secret_is_stored(
    links_app: Tenantry, clock: FakeClock
) -> None:
    org = _org(links_app)
    shared = links_app.generate_portal_link(org, shareable=True, actor="admin@vendor.example")
    opened = links_app.open_portal_link(token_of(shared.location))
    links_app.end_portal_session(opened.cookie)
    single = links_app.generate_portal_link(org, ["domain_verification"], actor="api")
    links_app.revoke_portal_link(org, shared.id, actor="admin@vendor.example", reason="leaked")
    clock.advance(timedelta(minutes=2))
    swept = links_app.expire_portal_links()
    assert (swept.organizations_checked, swept.links_expired) == (1, 1)
    history = [(h.event, h.actor, h.data.get("link_id")) for h in links_app.list_history(org)]
    assert history[1:] == [
        ("PortalLinkGenerated", "admin@vendor.example", shared.id),
        ("PortalLinkOpened", f"portal:{shared.id}", shared.id),
        ("PortalSessionEnded", f"portal:{shared.id}", shared.id),
        ("PortalLinkGenerated", "api", single.id),
        ("PortalLinkRevoked", "admin@vendor.example", shared.id),
        ("PortalLinkExpired", "system:expiry-sweep", single.id),
    ]
    everything = json.dumps(stored(links_app))
    for secret in (token_of(shared.location), token_of(single.location), opened.cookie):
        assert secret.rpartition(".")[2] not in everything
    assert links_app.list_portal_links(org) == []
    assert_stored_history_replays(links_app, org)


def test_a_shareable_link_opens_until_revoked_and_revoking_ends_its_sessions(
    links_app: Tenantry, clock: FakeClock
) -> None:
    org = _org(links_app)
    link = links_app.generate_portal_link(org, ["sso"], shareable=True)
    assert link.expire_time - link.create_time == timedelta(days=7)
    first = links_app.open_portal_link(token_of(link.location))
    clock.advance(timedelta(days=6))
    second = links_app.open_portal_link(token_of(link.location))
    with pytest.raises(PortalSessionInvalid):  # six hours are over
        links_app.portal_session(first.cookie)
    assert links_app.portal_session(second.cookie).features == ("sso",)
    other = links_app.generate_portal_link(org)
    assert set(links_app.revoke_portal_links(org, actor="admin")) == {link.id, other.id}
    with pytest.raises(PortalSessionInvalid):
        links_app.portal_session(second.cookie)
    with records_nothing(links_app), pytest.raises(PortalLinkWasRevoked):
        links_app.open_portal_link(token_of(link.location))
    with records_nothing(links_app):
        assert links_app.revoke_portal_links(org) == []
    with records_nothing(links_app), pytest.raises(NothingChanged):
        links_app.revoke_portal_link(org, link.id)


def test_an_expired_a_wrong_and_an_unknown_link_are_refused_saying_why(
    links_app: Tenantry, clock: FakeClock
) -> None:
    org = _org(links_app)
    link = links_app.generate_portal_link(org)
    token = token_of(link.location)
    link_hex, _, secret = token.partition(".")
    for wrong in ("", "x", f"{link_hex}.{secret}x", f"{'0' * 32}.{secret}", f"{link_hex}.", "."):
        with records_nothing(links_app), pytest.raises(PortalLinkInvalid) as invalid:
            links_app.open_portal_link(wrong)
        assert secret not in str(invalid.value)
        assert invalid.value.details == {}
    clock.advance(timedelta(minutes=1))
    with records_nothing(links_app), pytest.raises(PortalLinkHasExpired) as expired:
        links_app.open_portal_link(token)
    assert expired.value.code == "portal_link_expired"
    with records_nothing(links_app), pytest.raises(InvalidField) as typed:
        links_app.open_portal_link(None)  # type: ignore[arg-type]
    assert typed.value.field == "token"


def test_a_link_of_another_organization_or_of_a_deleted_one_is_refused(
    links_app: Tenantry,
) -> None:
    org, other = _org(links_app), _org(links_app)
    link = links_app.generate_portal_link(org, shareable=True)
    opened = links_app.open_portal_link(token_of(link.location))
    with records_nothing(links_app), pytest.raises(PortalLinkNotFound):
        links_app.revoke_portal_link(other, link.id)
    with records_nothing(links_app), pytest.raises(InvalidField) as bad:
        links_app.generate_portal_link(org, ["billing"])
    assert bad.value.field == "features"
    links_app.delete_organization(org)
    with pytest.raises(PortalSessionInvalid):
        links_app.portal_session(opened.cookie)
    with records_nothing(links_app), pytest.raises(PortalLinkInvalid):
        links_app.open_portal_link(token_of(link.location))
    with records_nothing(links_app), pytest.raises(OrganizationNotFound):
        links_app.generate_portal_link(org)


def test_signing_out_ends_the_session_once(links_app: Tenantry) -> None:
    org = _org(links_app)
    link = links_app.generate_portal_link(org, shareable=True)
    opened = links_app.open_portal_link(token_of(link.location))
    links_app.end_portal_session(opened.cookie)
    with records_nothing(links_app), pytest.raises(PortalSessionInvalid):
        links_app.end_portal_session(opened.cookie)
    with pytest.raises(PortalSessionInvalid):
        links_app.portal_session(opened.cookie)
    link_hex, session_hex, secret = opened.cookie.split(".")
    for forged in (f"{link_hex}.{session_hex}.{secret}x", f"{link_hex}.{link_hex}.{secret}", ""):
        with pytest.raises(PortalSessionInvalid):
            links_app.portal_session(forged)


def test_a_dashboard_login_opens_once_within_fifteen_minutes(
    links_app: Tenantry, clock: FakeClock
) -> None:
    login = links_app.issue_dashboard_login("ann", actor="cli:ann")
    assert login.id.startswith("dln_")
    assert login.location.startswith(f"{BASE}/dashboard/login?token=")
    assert login.expire_time - login.create_time == timedelta(minutes=15)
    opened = links_app.open_dashboard_login(token_of(login.location))
    assert (opened.session.operator, opened.session.actor) == ("ann", "dashboard:ann")
    assert links_app.dashboard_session(opened.cookie) == opened.session
    with records_nothing(links_app), pytest.raises(DashboardLoginUsed):
        links_app.open_dashboard_login(token_of(login.location))
    links_app.end_dashboard_session(opened.cookie)
    with pytest.raises(DashboardSessionInvalid):
        links_app.dashboard_session(opened.cookie)
    late = links_app.issue_dashboard_login("bo", actor="cli:bo")
    with pytest.raises(DashboardLoginInvalid):
        links_app.open_dashboard_login(token_of(late.location) + "x")
    clock.advance(timedelta(minutes=15))
    with records_nothing(links_app), pytest.raises(DashboardLoginHasExpired):
        links_app.open_dashboard_login(token_of(late.location))
    recorded = [(s["actor"], t.rpartition(":")[2]) for _, t, s in stored(links_app)]
    assert recorded == [
        ("cli:ann", "DashboardLogin.Issued"),
        ("dashboard:ann", "DashboardLogin.Opened"),
        ("dashboard:ann", "DashboardLogin.SessionEnded"),
        ("cli:bo", "DashboardLogin.Issued"),
    ]


CONTENDERS = 8


@pytest.mark.parametrize("apps", ["shared app", "app per thread"])
def test_many_opening_a_single_use_link_at_once_open_it_once(
    make_app: Callable[..., Tenantry], database_url: str, apps: str
) -> None:
    if apps == "app per thread" and database_url.startswith("memory:"):
        pytest.skip("separate in-memory applications do not share a store")
    url = database_url + ("&pool_size=1&max_overflow=1" if "postgresql" in database_url else "")
    contenders = [make_app(url)] * CONTENDERS
    if apps == "app per thread":
        contenders = [make_app(url) for _ in range(CONTENDERS)]
    org = _org(contenders[0])
    link = contenders[0].generate_portal_link(org)
    barrier = threading.Barrier(CONTENDERS)

    def contender(app: Tenantry) -> str:
        barrier.wait(timeout=60)
        try:
            app.open_portal_link(token_of(link.location))
        except TenantryError as error:
            return error.code
        return "ok"

    with ThreadPoolExecutor(max_workers=CONTENDERS) as pool:
        outcomes = Counter(pool.map(contender, contenders))
    assert outcomes == {"ok": 1, "portal_link_used": CONTENDERS - 1}
    opened = [h for h in contenders[0].list_history(org) if h.event == "PortalLinkOpened"]
    assert len(opened) == 1
