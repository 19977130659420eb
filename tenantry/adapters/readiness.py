"""Readiness: whether this server can answer correctly now, and what stops it if not.

Liveness (``/healthz``) only says the process answers. Readiness (``/readyz``) reads the
database: every projection's position, lag (head of the log minus position) and the failure that
stopped it, if any; the projection follower's heartbeat, restarts and last error; the
invitation-expiry sweep's last run. Not ready when the database does not answer, a projection
failed, one lags more than ``max_lag`` log positions, or the follower's last heartbeat is older
than ``stale_after`` seconds (it died, and its supervisor has not brought it back yet).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from eventsourcing.persistence import PersistenceError
from pydantic import BaseModel, ConfigDict

from tenantry.adapters.projections import ProjectionStore
from tenantry.adapters.projections.failures import describe
from tenantry.adapters.projections.supervision import FollowerHealth
from tenantry.projections import dto as pdto

DEFAULT_MAX_LAG: Final = 1000
MAX_LAG_ENV: Final = "TENANTRY_READY_MAX_LAG"
DEFAULT_STALE_AFTER: Final = 30.0
STALE_AFTER_ENV: Final = "TENANTRY_READY_STALE_SECONDS"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProjectionReadiness(_Frozen):
    name: str
    position: int
    head: int
    lag: int
    failure: pdto.ProjectionFailure | None


class FollowerReadiness(_Frozen):
    alive: bool
    """Its last heartbeat is recent enough."""
    pid: int | None
    heartbeat_at: datetime | None
    restarts: int
    last_error: str | None
    last_error_at: datetime | None


class SweepReadiness(_Frozen):
    """The invitation-expiry sweep's last run (by whichever server process ran it)."""

    last_run_at: datetime | None
    expired: int | None
    """Invitations the last run expired."""
    error: str | None


class Readiness(_Frozen):
    ready: bool
    reasons: list[str]
    """Why not ready (empty when ready)."""
    projections: list[ProjectionReadiness]
    follower: FollowerReadiness | None
    expiry_sweep: SweepReadiness | None


def check(
    store: ProjectionStore,
    health: FollowerHealth,
    *,
    max_lag: int = DEFAULT_MAX_LAG,
    stale_after: float = DEFAULT_STALE_AFTER,
    sweep: Callable[[], SweepReadiness | None] | None = None,
) -> Readiness:
    """The readiness of the server whose projections are ``store``."""
    try:
        statuses = store.status()
        state = health.read()
        last_sweep = sweep() if sweep is not None else None
    except (sa.exc.SQLAlchemyError, PersistenceError) as e:
        reason = f"the database does not answer ({describe(e)})"
        return Readiness(
            ready=False, reasons=[reason], projections=[], follower=None, expiry_sweep=None
        )
    reasons = []
    projections = []
    for s in statuses:
        projections.append(
            ProjectionReadiness(
                name=s.name, position=s.position, head=s.head, lag=s.lag, failure=s.failure
            )
        )
        if s.failure is not None:
            reasons.append(f"projection {s.name} failed at log position {s.failure.position}")
        elif s.lag > max_lag:
            reasons.append(f"projection {s.name} lags {s.lag} log positions (over {max_lag})")
    follower = None
    if state is None:
        reasons.append("the projection follower has not started")
    else:
        alive = datetime.now(UTC) - state.heartbeat_at <= timedelta(seconds=stale_after)
        if not alive:
            reasons.append(f"the projection follower's heartbeat is over {stale_after:g} s old")
        follower = FollowerReadiness(
            alive=alive,
            pid=state.pid,
            heartbeat_at=state.heartbeat_at,
            restarts=state.restarts,
            last_error=state.last_error,
            last_error_at=state.last_error_at,
        )
    return Readiness(
        ready=not reasons,
        reasons=reasons,
        projections=projections,
        follower=follower,
        expiry_sweep=last_sweep,
    )
