"""One-time use of SAML assertion ids (and anything else that must be seen once).

:class:`ReplayCache` is the interface the validators use; :class:`MemoryReplayCache` keeps the ids
in this process (enough for one server process and for tests). A deployment with several
processes needs a shared implementation (a table with a unique key and an expiry column).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Protocol


class ReplayCache(Protocol):
    """Remembers keys until they expire."""

    def claim(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        """Records ``key`` until ``expires_at``; ``False`` when it is already recorded."""
        ...


class MemoryReplayCache:
    """A thread-safe in-memory :class:`ReplayCache`; expired keys are dropped as time passes."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        with self._lock:
            for stale in [k for k, until in self._seen.items() if until <= now]:
                del self._seen[stale]
            if key in self._seen:
                return False
            self._seen[key] = expires_at
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)
