"""What keeps the token endpoint cheap to refuse: a bound on concurrent secret checks (each is
an scrypt run) and a growing wait after repeated failures for one client id. Both live in the
worker's memory: with N workers the bounds are per worker."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Final

MAX_CONCURRENT_CHECKS: Final = 4
"""Secret checks running at once in one worker; more wait up to :data:`QUEUE_WAIT`."""
QUEUE_WAIT: Final = 2.0
"""How long a token request waits for a free check slot before it gets 503."""
FREE_FAILURES: Final = 5
"""Consecutive failures for one client id before it must wait."""
FIRST_WAIT: Final = 1.0
MAX_WAIT: Final = 60.0
"""The wait doubles with each further failure, up to this."""
FAILURE_MEMORY: Final = 15 * 60.0
"""A client id's failures are forgotten this long after its last one."""
_MAX_TRACKED: Final = 10_000


class Busy(Exception):
    """Raised when every secret-check slot stayed taken for :data:`QUEUE_WAIT`."""

    retry_after = 1


class Gate:
    """At most ``limit`` secret checks at once; a request waits at most ``wait`` seconds."""

    def __init__(self, limit: int = MAX_CONCURRENT_CHECKS, wait: float = QUEUE_WAIT) -> None:
        self.limit = limit
        self.wait = wait
        self._semaphore: asyncio.Semaphore | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._semaphore is None:  # made on the server's event loop
            self._semaphore = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(self._semaphore.acquire(), timeout=self.wait)
        except TimeoutError:
            raise Busy() from None
        try:
            yield
        finally:
            self._semaphore.release()


@dataclass
class _Record:
    failures: int
    until: float
    last: float


class FailureThrottle:
    """Counts consecutive failed secret checks per client id. After :data:`FREE_FAILURES`, each
    further failure makes the client id wait (1 s, 2 s, 4 s … at most :data:`MAX_WAIT`) before
    its secret is checked again; a success clears it. The wait bounds guessing, and also how long
    someone who knows a client id (not its secret) can keep that client from getting tokens."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}

    def retry_after(self, client_id: str) -> int | None:
        """Seconds ``client_id`` must still wait, or ``None``."""
        record = self._records.get(client_id)
        if record is None:
            return None
        left = record.until - self.monotonic()
        return math.ceil(left) if left > 0 else None

    def failed(self, client_id: str) -> None:
        now = self.monotonic()
        with self._lock:
            if len(self._records) >= _MAX_TRACKED and client_id not in self._records:
                self._forget_quiet(now)
            record = self._records.get(client_id)
            if record is None or now - record.last > FAILURE_MEMORY:
                record = self._records[client_id] = _Record(0, now, now)
            record.failures += 1
            record.last = now
            extra = record.failures - FREE_FAILURES
            if extra > 0:
                record.until = now + min(FIRST_WAIT * 2 ** (extra - 1), MAX_WAIT)

    def succeeded(self, client_id: str) -> None:
        with self._lock:
            self._records.pop(client_id, None)

    def _forget_quiet(self, now: float) -> None:
        """Drops the records whose wait ended longest ago (the table stays bounded)."""
        quiet = sorted(self._records, key=lambda c: self._records[c].last)
        for client_id in quiet[: len(quiet) // 2]:
            if self._records[client_id].until <= now:
                del self._records[client_id]
        if len(self._records) >= _MAX_TRACKED:
            self._records.clear()
