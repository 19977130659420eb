"""The PortalLink and DashboardLogin aggregates: given events, when a command, then events — each
history replays to the live state, and a refused command records nothing. Secrets are recorded
only as hashes; a link refuses to open saying why only to the holder of its secret. Random
openings, revocations and clock steps keep the rules: a single-use link opens at most once, a
revoked or expired link never opens, a session lives only while its link is not revoked."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any, cast
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantry.domain import dashboard_login, portal_link
from tenantry.domain.base import Act
from tenantry.domain.dashboard_login import DashboardLogin
from tenantry.domain.errors import InvalidField, NothingChanged
from tenantry.domain.portal_link import LinkStatus, PortalLink
from tenantry.domain.portal_link_errors import (
    DashboardLoginHasExpired,
    DashboardLoginInvalid,
    DashboardLoginUsed,
    PortalLinkHasExpired,
    PortalLinkInvalid,
    PortalLinkUsed,
    PortalLinkWasRevoked,
)
from tenantry.domain.portal_link_values import (
    LINK_LIFETIME,
    SESSION_LIFETIME,
    SHAREABLE_LIFETIME,
    portal_features,
)
from tests.sso_support import T0
from tests.unit.helpers import aggregate_topics, assert_replays_to

ACT = Act(T0, "admin@acme.example")

GOLDEN_TOPICS = sorted(
    [
        *(
            f"tenantry.domain.portal_link:PortalLink.{name}"
            for name in ("Generated", "Opened", "SessionEnded", "Revoked", "Expired")
        ),
        *(
            f"tenantry.domain.dashboard_login:DashboardLogin.{name}"
            for name in ("Issued", "Opened", "SessionEnded")
        ),
        "tenantry.domain.base:Snapshot",
    ]
)


def test_the_link_event_topics_are_the_golden_list() -> None:
    assert aggregate_topics(portal_link, dashboard_login) == GOLDEN_TOPICS


def _link(*, shareable: bool = False, secret: str = "s" * 43) -> PortalLink:
    lifetime = SHAREABLE_LIFETIME if shareable else LINK_LIFETIME
    return PortalLink.generate(
        uuid4(),
        uuid4(),
        ["sso"],
        shareable=shareable,
        secret=secret,
        expire_time=T0 + lifetime,
        act=ACT,
    )


def _at(seconds: float, actor: str = "portal:lnk") -> Act:
    return Act(T0 + timedelta(seconds=seconds), actor)


def test_a_single_use_link_opens_once_and_its_session_lives_six_hours() -> None:
    link = _link()
    session = link.open("s" * 43, uuid4(), "session-secret", _at(30))
    assert session.expire_time == T0 + timedelta(seconds=30) + SESSION_LIFETIME
    assert link.status(T0) is LinkStatus.USED
    assert link.session(session.id, "session-secret", T0 + timedelta(hours=1)) == session
    assert link.session(session.id, "other", T0 + timedelta(hours=1)) is None
    assert link.session(session.id, "session-secret", session.expire_time) is None
    events = link.collect_events()
    with pytest.raises(PortalLinkUsed) as used:
        link.open("s" * 43, uuid4(), "again", _at(31))
    assert used.value.link_id == link.public_id
    assert link.collect_events() == []
    assert [type(e).__name__ for e in events] == ["Generated", "Opened"]
    assert_replays_to(link, events)
    stored = json.dumps([cast(Any, e).model_dump(mode="json") for e in events])
    assert "s" * 43 not in stored
    assert "session-secret" not in stored


def test_a_link_refuses_a_wrong_secret_before_saying_anything_else() -> None:
    link = _link()
    link.revoke(ACT)
    with pytest.raises(PortalLinkInvalid):
        link.open("wrong", uuid4(), "x", _at(1))
    with pytest.raises(PortalLinkWasRevoked):
        link.open("s" * 43, uuid4(), "x", _at(1))


def test_a_link_past_its_time_is_refused_as_expired() -> None:
    link = _link()
    with pytest.raises(PortalLinkHasExpired) as expired:
        link.open("s" * 43, uuid4(), "x", _at(LINK_LIFETIME.total_seconds()))
    assert expired.value.expire_time == T0 + LINK_LIFETIME
    assert link.status(T0 + LINK_LIFETIME) is LinkStatus.EXPIRED


def test_a_shareable_link_opens_again_and_revoking_it_ends_its_sessions() -> None:
    link = _link(shareable=True)
    first = link.open("s" * 43, uuid4(), "one", _at(10))
    second = link.open("s" * 43, uuid4(), "two", _at(86_400))
    link.end_session(first.id, _at(20))
    with pytest.raises(NothingChanged):
        link.end_session(first.id, _at(21))
    assert link.status(T0 + timedelta(days=2)) is LinkStatus.ACTIVE
    link.revoke(_at(86_401, "admin"))
    assert link.session(second.id, "two", T0 + timedelta(days=1, seconds=2)) is None
    assert all(x.ended_at is not None for x in link.state.sessions)
    with pytest.raises(NothingChanged):
        link.revoke(_at(86_402, "admin"))
    assert link.live_until == T0 + SHAREABLE_LIFETIME  # later than its last session
    assert_replays_to(link, link.collect_events())


def test_the_sweep_records_a_link_over_only_once_its_sessions_are_over() -> None:
    link = _link()
    session = link.open("s" * 43, uuid4(), "x", _at(5))
    assert not link.is_due(T0 + LINK_LIFETIME)
    with pytest.raises(NothingChanged):
        link.expire(Act(T0 + LINK_LIFETIME, "system:expiry-sweep"))
    link.expire(Act(session.expire_time, "system:expiry-sweep"))
    assert link.state.over
    assert not link.is_due(session.expire_time)
    assert [type(e).__name__ for e in link.collect_events()][-1] == "Expired"


def test_the_features_of_a_link_are_checked_and_ordered() -> None:
    assert portal_features(None) == ["sso", "dir_sync"]
    assert portal_features(["domain_verification", "sso", "sso"]) == ["sso", "domain_verification"]
    for wrong in ([], ["billing"], "sso", {"sso": True}, [1]):
        with pytest.raises(InvalidField) as refused:
            portal_features(wrong)  # type: ignore[arg-type]
        assert refused.value.field == "features"


def test_a_dashboard_login_opens_once_within_fifteen_minutes() -> None:
    expire = T0 + timedelta(minutes=15)
    login = DashboardLogin.issue(uuid4(), "ann", "d" * 43, expire, Act(T0, "cli:ann"))
    with pytest.raises(DashboardLoginInvalid):
        login.open("wrong", uuid4(), "x", Act(T0, login.actor))
    session = login.open("d" * 43, uuid4(), "sess", Act(T0, login.actor))
    assert login.session(session.id, "sess", T0) == session
    with pytest.raises(DashboardLoginUsed):
        login.open("d" * 43, uuid4(), "x", Act(T0, login.actor))
    login.end_session(Act(T0 + timedelta(hours=1), login.actor))
    assert login.session(session.id, "sess", T0 + timedelta(hours=1)) is None
    events = login.collect_events()
    assert [(type(e).__name__, cast(Any, e).actor) for e in events] == [
        ("Issued", "cli:ann"),
        ("Opened", "dashboard:ann"),
        ("SessionEnded", "dashboard:ann"),
    ]
    assert_replays_to(login, events)
    late = DashboardLogin.issue(uuid4(), "bo", "e" * 43, expire, Act(T0, "cli:bo"))
    with pytest.raises(DashboardLoginHasExpired):
        late.open("e" * 43, uuid4(), "x", Act(expire, late.actor))


STEP = st.one_of(
    st.tuples(st.just("open"), st.booleans()),  # with the right secret, or a wrong one
    st.tuples(st.just("revoke"), st.booleans()),
    st.tuples(st.just("wait"), st.integers(0, 8 * 86_400)),
)


@settings(max_examples=150, deadline=None)
@given(shareable=st.booleans(), steps=st.lists(STEP, max_size=20))
def test_openings_revocations_and_time_keep_the_link_rules(
    shareable: bool, steps: list[tuple[str, object]]
) -> None:
    secret = secrets.token_urlsafe(32)
    link = _link(shareable=shareable, secret=secret)
    now, opened, revoked_at = T0, 0, None
    sessions: list[tuple[object, str]] = []
    for kind, value in steps:
        act = Act(now, link.actor)
        if kind == "open":
            session_secret = secrets.token_urlsafe(8)
            try:
                session = link.open(secret if value else "x", uuid4(), session_secret, act)
            except (PortalLinkInvalid, PortalLinkUsed, PortalLinkHasExpired, PortalLinkWasRevoked):
                pass
            else:
                sessions.append((session.id, session_secret))
                opened += 1
                assert value
                assert revoked_at is None
                assert now < link.state.expire_time
        elif kind == "revoke" and value and revoked_at is None and not link.state.over:
            link.revoke(act)
            revoked_at = now
        elif kind == "wait":
            now += timedelta(seconds=int(value))  # type: ignore[call-overload]
    assert opened <= (len(steps) if shareable else 1)
    for session_id, session_secret in sessions:
        live = link.session(session_id, session_secret, now)  # type: ignore[arg-type]
        if revoked_at is not None:
            assert live is None
    assert_replays_to(link, link.collect_events())
