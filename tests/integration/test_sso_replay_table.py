"""The replay cache in a table: once per key across threads (as across workers), on SQLite and
PostgreSQL, and forgotten once expired."""

from __future__ import annotations

import threading
from datetime import timedelta

from tenantry.adapters.database import Database
from tenantry.adapters.sso.replay_table import SqlReplayCache
from tests.support import FakeClock


def test_a_key_is_claimed_once_and_forgotten_after_it_expires(
    database_url: str, clock: FakeClock
) -> None:
    cache = SqlReplayCache(Database.parse(database_url).adapters_engine())
    until = clock() + timedelta(minutes=5)
    assert cache.claim("saml\nidp\n_a1", expires_at=until, now=clock())
    assert not cache.claim("saml\nidp\n_a1", expires_at=until, now=clock() + timedelta(minutes=4))
    assert cache.claim("saml\nidp\n_a2", expires_at=until + timedelta(minutes=1), now=clock())
    assert cache.claim("saml\nidp\n_a1", expires_at=until + timedelta(minutes=5), now=until)
    assert len(cache) == 2


def test_concurrent_claims_of_one_key_let_exactly_one_win(
    database_url: str, clock: FakeClock
) -> None:
    database = Database.parse(database_url)
    first = database.adapters_engine()
    # Two engines stand for two workers; memory:// has one in-process database, so one engine.
    second = first if database.kind == "memory" else database.adapters_engine()
    caches = [SqlReplayCache(first), SqlReplayCache(second)]
    until = clock() + timedelta(minutes=5)
    start = threading.Barrier(8)
    wins: list[bool] = []
    lock = threading.Lock()

    def claim(index: int) -> None:
        start.wait()
        won = caches[index % 2].claim("saml\nidp\n_race", expires_at=until, now=clock())
        with lock:
            wins.append(won)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]
