"""One-time authorization codes on SQLite and PostgreSQL: stored hashed, redeemed once (also when
many try at once), only by their client with their ``redirect_uri``, and not after a minute."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import tenantry
from tenantry.adapters.auth.authorization_codes import CODE_LIFETIME, AuthorizationCodes, codes
from tenantry.adapters.database import database_of
from tenantry.application.app import Tenantry
from tenantry.errors import AuthorizationCodeRejected
from tests.support import FakeClock, database

CALLBACK = "https://app.example.com/callback"
GRANT = {"user_id": "usr_1", "email": "ada@acme.test"}


@pytest.fixture(params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> Iterator[AuthorizationCodes]:
    with database(request.param, tmp_path) as url:
        t: Tenantry = tenantry.connect(url)
        try:
            yield AuthorizationCodes(database_of(t).adapters_engine(), clock)
        finally:
            t.close()


def test_a_code_is_stored_only_as_its_hash_and_redeemed_once(store: AuthorizationCodes) -> None:
    code = store.issue("cli_a", CALLBACK, GRANT)
    with store._engine.connect() as conn:  # the table holds no clear code
        stored = conn.execute(sa.select(codes.c.code_hash, codes.c.grant)).all()
    assert code not in repr(stored)
    assert store.redeem(code, "cli_a", CALLBACK).grant == GRANT
    with pytest.raises(AuthorizationCodeRejected):
        store.redeem(code, "cli_a", CALLBACK)


def test_a_code_of_another_client_or_redirect_uri_or_too_old_is_refused(
    store: AuthorizationCodes, clock: FakeClock
) -> None:
    for client, uri in (("cli_b", CALLBACK), ("cli_a", CALLBACK + "/x")):
        with pytest.raises(AuthorizationCodeRejected):
            store.redeem(store.issue("cli_a", CALLBACK, GRANT), client, uri)
    late = store.issue("cli_a", CALLBACK, GRANT)
    clock.advance(CODE_LIFETIME + timedelta(seconds=1))
    with pytest.raises(AuthorizationCodeRejected):
        store.redeem(late, "cli_a", CALLBACK)


def test_of_many_concurrent_redemptions_exactly_one_wins(store: AuthorizationCodes) -> None:
    code = store.issue("cli_a", CALLBACK, GRANT)
    won: list[bool] = []
    start = threading.Barrier(6)

    def redeem() -> None:
        start.wait()
        try:
            store.redeem(code, "cli_a", CALLBACK)
            won.append(True)
        except AuthorizationCodeRejected:
            won.append(False)

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 5 + [True]
