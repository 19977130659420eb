"""The audit view: every recorded change in log order, filtered and paged."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from tenantry.adapters.projections.views.base import (
    Reading,
    View,
    id_column,
    json_column,
    key_column,
    micros_column,
)
from tenantry.domain import arguments, ids
from tenantry.projections import AuditProjection
from tenantry.projections import dto as pdto
from tenantry.projections.base import from_micros, to_micros
from tenantry.projections.queries import AUDIT_PAGE_SIZE, audit_window, page_size


class AuditView(View):
    projection = AuditProjection()

    class Who(NamedTuple):
        """The actor, the end user and the event type an audit query filters on (``None``:
        any)."""

        actor: str | None
        on_behalf_of: str | None = None
        event: str | None = None
        """The event's type (``Organization.Updated``, ``Membership.RolesChanged``…)."""

    def schema(self) -> dict[str, list[SchemaItem]]:
        return {
            "audit": [
                # On SQLite ``INTEGER PRIMARY KEY`` is the rowid itself (64-bit): rows arrive
                # in log order, so the table is appended to, not a B-tree beside it.
                sa.Column(
                    "position",
                    sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                    primary_key=True,
                    autoincrement=False,
                ),
                id_column("organization_id", null=True),
                sa.Column("aggregate", sa.String(32), nullable=False),
                id_column("aggregate_id"),
                sa.Column("version", sa.Integer, nullable=False),
                sa.Column("event", sa.String(64), nullable=False),
                micros_column("timestamp", null=False),
                sa.Column("actor", sa.String(255), nullable=False),
                sa.Column("reason", sa.Text),
                sa.Column("on_behalf_of", sa.String(255)),
                json_column("data"),
                sa.Index(None, "organization_id", "position"),
                sa.Index(None, "actor", "position"),
                sa.Index(None, "on_behalf_of", "position"),
                sa.Index(None, "timestamp"),
            ],
            "audit_owners": [key_column("aggregate_id", 32), id_column("organization_id")],
        }

    def entries(
        self,
        r: Reading,
        organization_id: str | None,
        who: Who,
        since: datetime | None,
        until: datetime | None,
        size: int | None,
        token: str | None,
    ) -> pdto.AuditPage:
        checked = page_size(size, AUDIT_PAGE_SIZE)
        since, until = audit_window(since, until)
        a = r.tables["audit"]
        conds: list[sa.ColumnElement[bool]] = []
        if organization_id is not None:
            ids.decode(ids.ORG, organization_id, "organization_id")
            conds.append(a.c.organization_id == organization_id)
        if who.actor is not None:
            conds.append(a.c.actor == arguments.text(who.actor, "actor"))
        if who.on_behalf_of is not None:
            conds.append(a.c.on_behalf_of == arguments.text(who.on_behalf_of, "on_behalf_of"))
        if who.event is not None:
            conds.append(a.c.event == arguments.text(who.event, "event_type"))
        if since is not None:
            conds.append(a.c.timestamp >= to_micros(since))
        if until is not None:
            conds.append(a.c.timestamp < to_micros(until))
        window = [since and to_micros(since), until and to_micros(until)]
        filters = [organization_id, who.actor, *window]
        if who.event is not None:
            filters += [who.on_behalf_of, who.event]
        elif who.on_behalf_of is not None:  # (tokens of pages filtered before event types)
            filters.append(who.on_behalf_of)
        scope = json.dumps(filters)
        rows, nxt, _ = self.page(
            r,
            sa.select(a).where(*conds),
            a.c.position,
            size=checked,
            token=token,
            kind="audit",
            scope=scope,
        )
        return pdto.AuditPage(
            entries=[
                pdto.AuditEntry(
                    position=row["position"],
                    organization_id=row["organization_id"],
                    aggregate=row["aggregate"],
                    aggregate_id=row["aggregate_id"],
                    version=row["version"],
                    event=row["event"],
                    timestamp=from_micros(row["timestamp"]),
                    actor=row["actor"],
                    reason=row["reason"],
                    on_behalf_of=row["on_behalf_of"],
                    data=dict(row["data"]),
                )
                for row in rows
            ],
            next_page_token=nxt,
        )
