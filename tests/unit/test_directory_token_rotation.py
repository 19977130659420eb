"""Random rotations, revocations and clock steps of one directory's tokens keep the rotation
rules: the newest token works until revoked, every older one stops at the latest when the grace
period of the token after it ends, a token authenticates exactly while its status is ACTIVE, and
the history replays to the same state."""

from __future__ import annotations

import secrets
from datetime import timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from tenantry.domain.base import Act
from tenantry.domain.directory import GRACE_PERIOD_MAX, Directory, SecretStatus
from tenantry.domain.directory_values import DirectoryProvider
from tests.sso_support import T0
from tests.unit.helpers import assert_replays_to

GRACE = st.one_of(st.none(), st.integers(0, int(GRACE_PERIOD_MAX.total_seconds())))
STEP = st.one_of(
    st.tuples(st.just("issue"), GRACE),
    st.tuples(st.just("revoke"), st.integers(0, 20)),
    st.tuples(st.just("wait"), st.integers(0, 40 * 86_400)),
)


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(STEP, max_size=25))
def test_token_rotation_keeps_its_rules(steps: list[tuple[str, int | None]]) -> None:
    now = T0
    directory = Directory.create(uuid4(), uuid4(), DirectoryProvider.CUSTOM, None, Act(now, "a"))
    tokens: list[str] = []
    for kind, value in steps:
        act = Act(now, "admin")
        if kind == "issue":
            grace = None if value is None else timedelta(seconds=value)
            tokens.append(secrets.token_urlsafe(32))
            directory.issue_secret(uuid4(), tokens[-1], grace, act)
        elif kind == "revoke" and tokens:
            secret = directory.state.secrets[value % len(tokens)]
            if secret.revoked_at is None:
                directory.revoke_secret(secret.id, act)
        elif kind == "wait":
            now += timedelta(seconds=value or 0)
    recorded = directory.state.secrets
    assert len(recorded) == len(tokens)
    for i, (secret, token) in enumerate(zip(recorded, tokens, strict=True)):
        assert directory.accepts(token, now) == (secret.status(now) is SecretStatus.ACTIVE)
        if i + 1 < len(recorded):  # an older token: revoked, or stops within the next's grace
            stops = recorded[i + 1].created + GRACE_PERIOD_MAX
            assert secret.revoked_at is not None or (
                secret.expires_at is not None and secret.expires_at <= stops
            )
        else:  # the newest: it works until revoked
            assert secret.expires_at is None
            assert (secret.status(now) is SecretStatus.ACTIVE) == (secret.revoked_at is None)
    assert_replays_to(directory, directory.collect_events())
