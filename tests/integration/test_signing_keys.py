"""Signing keys and token checks: rotation keeps old tokens valid, a retired key verifies
nothing, a token's lifetime, ``typ`` and ``iat`` are enforced, the private key can be encrypted at
rest, and a new SQLite database file is created 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa

from tenantry.adapters.auth.clients import AUDIENCE, ClientAuth
from tenantry.adapters.auth.keys import (
    ENCRYPTION_KEY_ENV,
    SUPERSEDED,
    KeyInUse,
    KeyLocked,
    KeyNotFound,
)
from tenantry.adapters.auth.tables import signing_keys
from tenantry.adapters.database import Database, connect
from tenantry.adapters.projections import ProjectionStore
from tenantry.domain.errors import Unauthenticated
from tests.unit.helpers import stored


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.seconds = 0.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.seconds

    def advance(self, delta: timedelta) -> None:
        self.now += delta
        self.seconds += delta.total_seconds()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = Database.parse(f"sqlite:///{tmp_path / 'keys.db'}").adapters_engine()
    yield engine
    engine.dispose()


def auth_on(engine: sa.Engine, clock: Clock, **kw: Any) -> ClientAuth:
    return ClientAuth(engine, clock=clock, monotonic=clock.monotonic, **kw)


def forged(auth: ClientAuth, client_id: str, claims: dict[str, Any], **headers: Any) -> str:
    """A token signed with the server's own signing key, with the claims given."""
    kid, key = auth.keys.signing()
    base = {"iss": auth.issuer, "aud": AUDIENCE, "sub": client_id, "sv": 1}
    return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": kid, **headers})


def test_a_token_that_expires_30_years_ahead_is_refused(engine: sa.Engine, clock: Clock) -> None:
    auth = auth_on(engine, clock)
    new = auth.create_client("c")
    now = int(clock.now.timestamp())
    far = forged(auth, new.client_id, {"iat": now, "exp": now + 30 * 365 * 86400}, typ="at+jwt")
    with pytest.raises(Unauthenticated, match="lifetime"):
        auth.verify(far)
    fine = forged(auth, new.client_id, {"iat": now, "exp": now + 900}, typ="at+jwt")
    assert auth.verify(fine).client_id == new.client_id


def test_a_token_without_typ_or_iat_or_issued_in_the_future_is_refused(
    engine: sa.Engine, clock: Clock
) -> None:
    auth = auth_on(engine, clock)
    new = auth.create_client("c")
    now = int(clock.now.timestamp())
    without_typ = forged(auth, new.client_id, {"iat": now, "exp": now + 60})
    with pytest.raises(Unauthenticated, match="typ"):
        auth.verify(without_typ)
    without_iat = forged(auth, new.client_id, {"exp": now + 60}, typ="at+jwt")
    with pytest.raises(Unauthenticated, match="not valid"):
        auth.verify(without_iat)
    future = forged(auth, new.client_id, {"iat": now + 3600, "exp": now + 3700}, typ="at+jwt")
    with pytest.raises(Unauthenticated, match="future"):
        auth.verify(future)


def test_issued_tokens_carry_typ_at_jwt_and_the_kid(engine: sa.Engine, clock: Clock) -> None:
    auth = auth_on(engine, clock)
    new = auth.create_client("c")
    access, _ = auth.issue_token(new.client_id, new.client_secret)
    header = jwt.get_unverified_header(access)
    assert header["typ"] == "at+jwt"
    assert header["kid"] == auth.keys.signing()[0]


def test_rotation_keeps_old_tokens_valid_and_both_keys_in_the_jwks(
    engine: sa.Engine, clock: Clock
) -> None:
    auth = auth_on(engine, clock)
    new = auth.create_client("c")
    old_token, _ = auth.issue_token(new.client_id, new.client_secret)
    old_kid = auth.keys.signing()[0]
    rotated = auth.keys.rotate()
    assert rotated.signing
    assert rotated.kid != old_kid
    other_worker = auth_on(engine, clock)  # reads the keys from the database
    assert other_worker.verify(old_token).client_id == new.client_id
    assert {k["kid"] for k in other_worker.jwks()["keys"]} == {old_kid, rotated.kid}
    new_token, _ = other_worker.issue_token(new.client_id, new.client_secret)
    assert jwt.get_unverified_header(new_token)["kid"] == rotated.kid
    assert auth.verify(new_token).client_id == new.client_id


def test_a_token_signed_by_a_retired_key_is_refused(engine: sa.Engine, clock: Clock) -> None:
    auth = auth_on(engine, clock)
    new = auth.create_client("c")
    old_token, _ = auth.issue_token(new.client_id, new.client_secret)
    assert auth.verify(old_token).client_id == new.client_id  # now in the worker's cache
    old_kid = auth.keys.signing()[0]
    auth.keys.rotate()
    with pytest.raises(KeyInUse):  # its tokens may still be valid
        auth.keys.retire(old_kid)
    retired = auth.keys.retire(old_kid, force=True)
    assert retired.retired_at is not None
    assert auth.cached(old_token) is None
    with pytest.raises(Unauthenticated, match="retired"):
        auth.verify(old_token)
    fresh = auth_on(engine, clock)
    with pytest.raises(Unauthenticated, match="retired"):
        fresh.verify(old_token)
    assert old_kid not in {k["kid"] for k in fresh.jwks()["keys"]}


def test_a_rotation_retires_keys_whose_tokens_have_expired(engine: sa.Engine, clock: Clock) -> None:
    auth = auth_on(engine, clock)
    first = auth.keys.signing()[0]
    auth.keys.rotate()
    clock.advance(timedelta(minutes=16))  # longer than the 15-minute token lifetime
    auth.keys.rotate()
    states = {k.kid: k.retired_at is not None for k in auth.keys.list()}
    assert states[first] is True
    assert sum(not retired for retired in states.values()) == 2


def test_the_signing_key_cannot_be_retired_and_an_unknown_kid_is_not_found(
    engine: sa.Engine, clock: Clock
) -> None:
    auth = auth_on(engine, clock)
    with pytest.raises(KeyInUse):
        auth.keys.retire(auth.keys.signing()[0], force=True)
    with pytest.raises(KeyNotFound):
        auth.keys.retire("nope")


def test_the_private_key_is_encrypted_at_rest_with_the_environments_key(
    engine: sa.Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, "correct horse battery staple")
    auth = auth_on(engine, clock)
    new = auth.create_client("c")
    access, _ = auth.issue_token(new.client_id, new.client_secret)
    with engine.connect() as conn:
        pem = conn.execute(sa.select(signing_keys.c.private_key_pem)).scalar_one()
    assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert auth_on(engine, clock).verify(access).client_id == new.client_id
    monkeypatch.setenv(ENCRYPTION_KEY_ENV, "wrong")
    with pytest.raises(KeyLocked):
        auth_on(engine, clock).jwks()
    monkeypatch.delenv(ENCRYPTION_KEY_ENV)
    with pytest.raises(KeyLocked):
        auth_on(engine, clock).jwks()


def test_a_new_sqlite_database_and_its_sidecars_are_created_0600(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask: files would be world-readable
    try:
        path = tmp_path / "private.db"
        t = connect(f"sqlite:///{path}")
        t.create_organization("Private")
        engine = Database.parse(f"sqlite:///{path}").adapters_engine()
        ClientAuth(engine).create_client("c")
        created = [p for p in tmp_path.iterdir() if p.name.startswith("private.db")]
        assert {p.name for p in created} >= {"private.db", "private.db-wal"}
        for file in created:
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
        engine.dispose()
        t.close()
    finally:
        os.umask(previous)


def test_each_keys_creation_and_retirement_is_recorded_with_who_and_no_key_material(
    tmp_path: Path, clock: Clock
) -> None:
    url = f"sqlite:///{tmp_path / 'audited.db'}"
    t = connect(url)
    engine = Database.parse(url).adapters_engine()
    try:
        auth = auth_on(engine, clock, audit=t)
        first = auth.keys.signing()[0]  # the first key is made on first use
        clock.advance(timedelta(minutes=1))
        second = auth.keys.rotate(actor="cli:ops").kid
        auth.keys.retire(first, force=True, actor="cli:ops")  # its tokens may still be valid
        third = auth.keys.rotate(actor="cli:root").kid
        clock.advance(auth.token_ttl)
        fourth = auth.keys.rotate(actor="cli:root").kid  # retires `second`: superseded long ago

        written = [(topic.rpartition(":")[2], s) for _, topic, s in stored(t)]
        assert [
            (topic, s.get("kid"), s["actor"], s.get("forced"), s.get("reason"))
            for topic, s in written
        ] == [
            ("SigningKey.Created", first, "system:signing-keys", None, "no live signing key"),
            ("SigningKey.Created", second, "cli:ops", None, None),
            ("SigningKey.Retired", None, "cli:ops", True, None),
            ("SigningKey.Created", third, "cli:root", None, None),
            ("SigningKey.Created", fourth, "cli:root", None, None),
            ("SigningKey.Retired", None, "cli:root", False, SUPERSEDED),
        ]
        assert all(s["encrypted"] is False for topic, s in written if topic.endswith("Created"))
        with engine.connect() as conn:
            pems = [r[0] for r in conn.execute(sa.select(signing_keys.c.private_key_pem))]
        log = repr(stored(t))
        for pem in pems:
            assert pem.splitlines()[1] not in log
        assert "PRIVATE KEY" not in log
        views = ProjectionStore(t)
        retired = views.list_audit_log(event_type="SigningKey.Retired", min_position=len(written))
        views.close()
        assert [(e.aggregate, e.actor, e.organization_id) for e in retired.entries] == [
            ("SigningKey", "cli:ops", None),
            ("SigningKey", "cli:root", None),
        ]
    finally:
        engine.dispose()
        t.close()
