"""The seats view: seat counts per organization, judged at the reading's instant."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from tenantry.adapters.projections.views.base import (
    Reading,
    View,
    id_column,
    key_column,
    micros_column,
)
from tenantry.application import dto, presenters
from tenantry.domain import ids
from tenantry.domain.errors import OrganizationNotFound
from tenantry.projections import SeatsProjection
from tenantry.projections.base import to_micros


class SeatsView(View):
    projection = SeatsProjection()

    def schema(self) -> dict[str, list[SchemaItem]]:
        return {
            "seats": [
                key_column("organization_id", 32),
                sa.Column("max_allowed_users", sa.Integer),
                sa.Column("active", sa.Integer, nullable=False),
            ],
            "seat_pending": [
                key_column("key", 80),
                id_column("organization_id"),
                id_column("user_id"),
                micros_column("expires_at", null=False),
                sa.Index(None, "organization_id", "expires_at"),
                sa.Index(None, "expires_at", "key"),  # the expiry sweep's order
            ],
        }

    def usage(self, r: Reading, organization_id: str) -> dto.SeatUsage:
        ids.decode(ids.ORG, organization_id, "organization_id")
        seats = r.tables["seats"]
        counted = pending_at(r, seats.c.organization_id)
        row = r.conn.execute(
            sa.select(seats.c.max_allowed_users, seats.c.active, counted).where(
                seats.c.organization_id == organization_id
            )
        ).first()
        if row is None:
            raise OrganizationNotFound(organization_id)
        limit, active, waiting = row
        return presenters.seat_usage(
            organization_id=organization_id,
            max_allowed_users=limit,
            active_members=active,
            pending_invitations=waiting,
            at=r.now,
        )

    def due(
        self,
        r: Reading,
        *,
        after: tuple[int, str] | None,
        limit: int,
        organization_id: str | None,
    ) -> list[sa.Row[tuple[str, str, str, int]]]:
        """Up to ``limit`` pending invitations expired at the reading's instant (of live
        organizations; of one, if given), in (expiry, key) order after ``after``: rows of
        ``key``, ``organization_id``, ``user_id``, ``expires_at``."""
        pending, seats = r.tables["seat_pending"], r.tables["seats"]
        c = pending.c
        q = (
            sa.select(c.key, c.organization_id, c.user_id, c.expires_at)
            # a deleted organization has no seats row (its pending rows stay for a restore)
            .join(seats, seats.c.organization_id == pending.c.organization_id)
            .where(pending.c.expires_at <= to_micros(r.now))
        )
        if organization_id is not None:
            q = q.where(pending.c.organization_id == organization_id)
        if after is not None:
            q = q.where(
                sa.tuple_(pending.c.expires_at, pending.c.key)
                > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
            )
        q = q.order_by(pending.c.expires_at, pending.c.key).limit(limit)
        return list(r.conn.execute(q).tuples())


def pending_at(r: Reading, organization_id: sa.ColumnElement[str]) -> sa.ScalarSelect[int]:
    """How many invitations of the organization ``organization_id`` (a column of the
    enclosing query) are pending and unexpired at the reading's instant: the seats they hold."""
    pending = r.tables["seat_pending"]
    return (
        sa.select(sa.func.count())
        .select_from(pending)
        .where(pending.c.organization_id == organization_id)
        .where(pending.c.expires_at > to_micros(r.now))
        .scalar_subquery()
    )
