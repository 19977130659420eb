"""A hypothesis state machine over portal links: a tiny explicit model predicts each command's
outcome — the exact error class of a refusal (which must record nothing), or success — through
generations (single-use or shareable), openings, sign-outs, revocations (one or all), the sweep
and steps of the clock. After every step the invariants compare what the application answers
(each session's validity, the listed links) with the model, check that a single-use link opened
at most once and a revoked one never after its revocation, and rebuild every link and the
organization from their stored events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import tenantry
from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.portal_link_values import LINK_LIFETIME, SESSION_LIFETIME, SHAREABLE_LIFETIME
from tenantry.errors import (
    NothingChanged,
    PortalLinkHasExpired,
    PortalLinkInvalid,
    PortalLinkUsed,
    PortalLinkWasRevoked,
    PortalSessionInvalid,
    TenantryError,
)
from tests.support import FakeClock
from tests.unit.helpers import assert_stored_history_replays, expect_outcome, replay


@dataclass
class Session:
    cookie: str
    link: str
    expire_time: datetime
    ended: bool = False


@dataclass
class Link:
    token: str
    shareable: bool
    expire_time: datetime
    openings: int = 0
    revoked: bool = False
    over: bool = False
    sessions: list[Session] = field(default_factory=list)

    def live_until(self) -> datetime:
        return max([self.expire_time, *(s.expire_time for s in self.sessions)])


class PortalLinkMachine(RuleBasedStateMachine):
    links = Bundle("links")
    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.app: Tenantry = tenantry.connect("memory://", clock=self.clock)
        self.model: dict[str, Link] = {}
        self.org = ""

    def teardown(self) -> None:
        self.app.close()

    def expect(self, error: type[TenantryError] | None, call: Any) -> Any:
        return expect_outcome(self.app, error, call)

    @initialize()
    def an_organization(self) -> None:
        self.org = self.app.create_organization("Acme").id

    @rule(target=links, shareable=st.booleans())
    def generate(self, shareable: bool) -> str:
        new = self.expect(
            None, lambda: self.app.generate_portal_link(self.org, shareable=shareable)
        )
        lifetime = SHAREABLE_LIFETIME if shareable else LINK_LIFETIME
        assert new.expire_time == self.clock() + lifetime
        token = new.location.partition("token=")[2]
        self.model[new.id] = Link(token, shareable, new.expire_time)
        return str(new.id)

    @rule(target=sessions, link_id=links, right_secret=st.booleans())
    def open(self, link_id: str, right_secret: bool) -> Session | None:
        link = self.model[link_id]
        now = self.clock()
        error: type[TenantryError] | None = None
        if not right_secret:
            error = PortalLinkInvalid
        elif link.revoked:
            error = PortalLinkWasRevoked
        elif not link.shareable and link.openings:
            error = PortalLinkUsed
        elif now >= link.expire_time:
            error = PortalLinkHasExpired
        token = link.token if right_secret else link.token + "x"
        opened = self.expect(error, lambda: self.app.open_portal_link(token))
        if opened is None:
            return None
        link.openings += 1
        session = Session(opened.cookie, link_id, now + SESSION_LIFETIME)
        link.sessions.append(session)
        assert opened.session.expire_time == session.expire_time
        return session

    @rule(session=sessions)
    def sign_out(self, session: Session | None) -> None:
        if session is None:
            return
        live = self._live(session)
        error = None if live else PortalSessionInvalid
        self.expect(error, lambda: self.app.end_portal_session(session.cookie))
        session.ended = session.ended or live

    @rule(link_id=links)
    def revoke(self, link_id: str) -> None:
        link = self.model[link_id]
        error = NothingChanged if link.revoked or link.over else None
        self.expect(error, lambda: self.app.revoke_portal_link(self.org, link_id))
        link.revoked = True

    @rule()
    def revoke_all(self) -> None:
        now = self.clock()
        expected = {
            i for i, x in self.model.items() if not (x.revoked or x.over) and now < x.live_until()
        }
        revoked = expect_outcome(
            self.app, None, lambda: self.app.revoke_portal_links(self.org), records=bool(expected)
        )
        assert set(revoked) == expected
        for i in expected:
            self.model[i].revoked = True

    @rule()
    def sweep(self) -> None:
        now = self.clock()
        due = {
            i for i, x in self.model.items() if not (x.revoked or x.over) and now >= x.live_until()
        }
        swept = self.app.expire_portal_links(self.org)
        assert swept.links_expired == len(due)
        for i in due:
            self.model[i].over = True

    @rule(seconds=st.sampled_from([30, 61, 3600, 6 * 3600, 86_400, 3 * 86_400]))
    def wait(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    def _live(self, session: Session) -> bool:
        link = self.model[session.link]
        return not (session.ended or link.revoked) and self.clock() < session.expire_time

    @invariant()
    def a_session_is_valid_exactly_while_the_model_says_it_is_live(self) -> None:
        for link_id, link in self.model.items():
            for session in link.sessions:
                if self._live(session):
                    assert self.app.portal_session(session.cookie).link_id == link_id
                else:
                    with pytest.raises(PortalSessionInvalid):
                        self.app.portal_session(session.cookie)

    @invariant()
    def a_single_use_link_opens_at_most_once(self) -> None:
        assert all(x.shareable or x.openings <= 1 for x in self.model.values())

    @invariant()
    def the_listed_links_are_those_that_still_matter(self) -> None:
        if not self.org:
            return
        now = self.clock()
        expected = [i for i, x in self.model.items() if not x.revoked and now < x.live_until()]
        assert [x.id for x in self.app.list_portal_links(self.org)] == expected

    @invariant()
    def every_link_and_the_organization_rebuild_from_their_stored_events(self) -> None:
        for link_id in self.model:
            uid = ids.decode(ids.PORTAL_LINK, link_id)
            assert replay(self.app.events.get(uid)).state == self.app.repository.get(uid).state
        if self.org:
            assert_stored_history_replays(self.app, self.org)


def test_portal_link_state_machine() -> None:
    run_state_machine_as_test(
        PortalLinkMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
