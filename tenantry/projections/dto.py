"""What the projections' queries return: frozen, typed models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from tenantry.application import dto


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrganizationPage(_Frozen):
    organizations: list[dto.Organization]
    next_page_token: str
    """Empty on the last page."""
    prev_page_token: str
    """Empty on the first page."""
    total_size: int


class MemberPage(_Frozen):
    members: list[dto.Membership]
    next_page_token: str
    prev_page_token: str
    total_size: int


class AuditEntry(_Frozen):
    position: int
    organization_id: str | None
    aggregate: str
    aggregate_id: str
    version: int
    event: str
    timestamp: datetime
    actor: str
    reason: str | None
    data: dict[str, Any]
    on_behalf_of: str | None = None


class AuditPage(_Frozen):
    entries: list[AuditEntry]
    next_page_token: str


class ProjectionFailure(_Frozen):
    """A projection stopped before the event at ``position``: it could not apply it."""

    position: int
    """The log position of the event it could not apply (it includes everything before)."""
    error: str
    """The error's class and message (never SQL or its parameters)."""
    first_failed_at: datetime
    last_failed_at: datetime
    attempts: int
    """How many times in a row it failed at this event."""


class ProjectionStatus(_Frozen):
    name: str
    version: int
    generation: int | None
    """The live generation (tables) readers use; None before the first catch-up."""
    position: int
    """The last log position the live tables include."""
    head: int
    """The newest log position."""
    lag: int
    """``head - position``, in log positions (PostgreSQL may leave gaps, so at most the count)."""
    rebuilding: bool
    rebuild_position: int | None
    failure: ProjectionFailure | None = None
    """Set while the projection is stopped at an event it could not apply."""
