"""An organization's seat usage over time: one fold over its events, giving a point each time the
seats in use or the seat limit changed.

Seats are held by active members and by pending invitations that have not expired (see
:mod:`tenantry.domain.seats`). An invitation stops holding its seat the moment it expires, before
the expiry sweep records it; so besides a point at every event that changed the count, there is
a point at every instant a pending invitation lapsed between two events (``cause``
``"InvitationLapsed"``). The last point is at ``until`` (default: now), so a chart of the points
as steps reaches the present.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import cast

from pydantic import BaseModel, ConfigDict

from tenantry.application.kernel import Kernel
from tenantry.domain import arguments, ids
from tenantry.domain.errors import OrganizationNotFound
from tenantry.domain.organization import Organization

LAPSED = "InvitationLapsed"
"""The cause of a point where a pending invitation expired and no event was recorded then."""
NOW = "Now"
"""The cause of the last point: the usage as it is at ``until``."""


class SeatPoint(BaseModel):
    """The seats of an organization from ``time`` until the next point: ``seats_in_use``
    (active members and pending invitations that have not expired), ``limit`` (``None``: no
    limit — seat management off, or set to no limit) and ``version``, the organization's
    version then. ``cause``: the event's class name, :data:`LAPSED` or :data:`NOW`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: datetime
    version: int
    seats_in_use: int
    limit: int | None
    cause: str


class SeatHistory(Kernel):
    """The seat-usage-over-time query (see the module's docstring)."""

    def list_seat_history(
        self, organization_id: str, *, until: datetime | None = None
    ) -> list[SeatPoint]:
        """The organization's seat usage from its creation to ``until`` (default: now), a
        point per change, oldest first. Events after ``until`` are left out; a deleted
        organization keeps the usage it had (its history stays readable)."""
        uid = ids.decode(ids.ORG, organization_id, "organization_id")
        end = self.now() if until is None else arguments.moment(until, "until")
        org: Organization | None = None
        points: list[SeatPoint] = []
        lapses: list[datetime] = []  # expiry instants of invitations seen (a heap)

        def add(time: datetime, cause: str) -> None:
            assert org is not None  # set by the first event, before any point
            limit = org.state.max_allowed_users or None
            in_use = org.seats_in_use(time)
            last = points[-1] if points else None
            if last is None or (last.seats_in_use, last.limit) != (in_use, limit):
                points.append(
                    SeatPoint(
                        time=time,
                        version=org.version,
                        seats_in_use=in_use,
                        limit=limit,
                        cause=cause,
                    )
                )

        def lapse_until(moment: datetime) -> None:
            """Points for the invitations that lapsed before ``moment`` (with no event)."""
            while lapses and lapses[0] < moment:
                add(heapq.heappop(lapses), LAPSED)

        for event in self.events.get(uid):
            e = cast(Organization.Event, event)
            if e.timestamp > end:
                break
            if org is not None:
                lapse_until(e.timestamp)
            org = cast(Organization, event.mutate(org))  # type: ignore[attr-defined]
            if isinstance(e, Organization.MemberInvited | Organization.InvitationResent):
                heapq.heappush(lapses, e.expires_at)
            add(e.timestamp, type(e).__name__)
        if org is None:
            raise OrganizationNotFound(organization_id)
        lapse_until(end)
        if points[-1].time < end:
            points.append(
                SeatPoint(
                    time=end,
                    version=org.version,
                    seats_in_use=org.seats_in_use(end),
                    limit=org.state.max_allowed_users or None,
                    cause=NOW,
                )
            )
        return points
