"""The read-your-writes options every query of the projections takes."""

from __future__ import annotations

from typing import TypedDict


class ReadOptions(TypedDict, total=False):
    """Read your writes, for every query: with ``min_position`` (e.g. ``app.last_position``) the
    answer includes at least that much of the log, waiting for the projection at most
    ``timeout`` seconds (default 5), else :class:`ProjectionBehind`."""

    min_position: int | None
    timeout: float
