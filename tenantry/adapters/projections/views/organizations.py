"""The organizations view: the listing and search tables and their queries. An organization is
shown with its seat limit and the seats in use at the reading's instant, read from the seats
projection's tables (joined at the same log position)."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from tenantry.adapters.projections.views.base import (
    Reading,
    Record,
    View,
    count,
    json_column,
    key_column,
    micros_column,
)
from tenantry.adapters.projections.views.seats import SeatsView, pending_at
from tenantry.application import dto, presenters
from tenantry.domain import ids, values
from tenantry.domain.errors import InvalidField, OrganizationNotFound
from tenantry.projections import OrganizationsProjection
from tenantry.projections import dto as pdto
from tenantry.projections.base import from_micros
from tenantry.projections.organizations import COUNT_KEY
from tenantry.projections.queries import (
    ORG_PAGE_SIZE,
    SEARCH_PAGE_SIZE,
    page_size,
    search_query,
)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class OrganizationsView(View):
    projection = OrganizationsProjection()
    joins = (SeatsView.projection.name,)

    def schema(self) -> dict[str, list[SchemaItem]]:
        return {
            "orgs": [
                key_column("id", 32),
                sa.Column("seq", sa.BigInteger, nullable=False),
                sa.Column("display_name", sa.String(200), nullable=False),
                sa.Column("external_id", sa.String(255)),
                sa.Column("slug", sa.String(253)),
                sa.Column("logo_url", sa.String(1024)),
                sa.Column("region_code", sa.String(8), nullable=False),
                json_column("metadata"),
                json_column("features"),
                sa.Column("search", sa.Text, nullable=False),
                micros_column("create_time", null=False),
                micros_column("update_time", null=False),
                sa.Column("version", sa.Integer, nullable=False),
                sa.Index(None, "seq", unique=True),
                sa.Index(None, "external_id", "seq"),
            ],
            "orgs_count": [key_column("key", 16), sa.Column("n", sa.BigInteger, nullable=False)],
        }

    @staticmethod
    def to_dto(r: Record) -> dto.Organization:
        return presenters.organization(
            id=r["id"],
            display_name=r["display_name"],
            external_id=r["external_id"],
            slug=r["slug"],
            logo_url=r["logo_url"],
            region_code=r["region_code"],
            metadata=r["metadata"],
            features=r["features"],
            max_allowed_users=r["max_allowed_users"],
            seats_in_use=r["seats_in_use"],
            create_time=from_micros(r["create_time"]),
            update_time=from_micros(r["update_time"]),
            version=r["version"],
        )

    @staticmethod
    def _shown(r: Reading) -> sa.Select[Any]:
        """Each organization's row with its seat limit and the seats in use at ``r.now``."""
        orgs, seats = r.tables["orgs"], r.tables["seats"]
        in_use = sa.func.coalesce(seats.c.active, 0) + pending_at(r, orgs.c.id)
        return sa.select(orgs, seats.c.max_allowed_users, in_use.label("seats_in_use")).select_from(
            orgs.outerjoin(seats, seats.c.organization_id == orgs.c.id)
        )

    def get(self, r: Reading, organization_id: str) -> dto.Organization:
        ids.decode(ids.ORG, organization_id, "organization_id")
        orgs = r.tables["orgs"]
        query = self._shown(r).where(orgs.c.id == organization_id)
        row = r.conn.execute(query).mappings().first()
        if row is None:
            raise OrganizationNotFound(organization_id)
        return self.to_dto(row)

    def _page(
        self,
        r: Reading,
        where: sa.ColumnElement[bool],
        total: int,
        size: int,
        token: str | None,
        kind: str,
        scope: str,
    ) -> pdto.OrganizationPage:
        orgs = r.tables["orgs"]
        rows, nxt, prev = self.page(
            r,
            self._shown(r).where(where),
            orgs.c.seq,
            size=size,
            token=token,
            kind=kind,
            scope=scope,
        )
        return pdto.OrganizationPage(
            organizations=[self.to_dto(row) for row in rows],
            next_page_token=nxt,
            prev_page_token=prev,
            total_size=total,
        )

    def list(
        self,
        r: Reading,
        size: int | None,
        token: str | None,
        external_id: str | None,
        within: frozenset[str] | None = None,
    ) -> pdto.OrganizationPage:
        checked = page_size(size, ORG_PAGE_SIZE)
        orgs = r.tables["orgs"]
        ext = values.external_id(external_id) if external_id is not None else None
        if ext is None and within is None:
            n = r.tables["orgs_count"].c.n
            total = r.conn.execute(sa.select(n).where(n.table.c.key == COUNT_KEY)).scalar() or 0
            return self._page(r, sa.true(), total, checked, token, "orgs", "")
        match = orgs.c.external_id == ext if ext is not None else sa.true()
        match, scope = _within(orgs, match, ext or "", within)
        return self._page(r, match, count(r, orgs, match), checked, token, "orgs", scope)

    def search(
        self,
        r: Reading,
        query: str,
        size: int | None,
        token: str | None,
        within: frozenset[str] | None = None,
    ) -> pdto.OrganizationPage:
        q = search_query(query)
        checked = page_size(size, SEARCH_PAGE_SIZE)
        orgs = r.tables["orgs"]
        like = orgs.c.search.like(f"%{_like_escape(q)}%", escape="\\")
        match, scope = _within(orgs, like, q, within)
        return self._page(r, match, count(r, orgs, match), checked, token, "search", scope)


def _within(
    orgs: sa.Table, match: sa.ColumnElement[bool], scope: str, within: frozenset[str] | None
) -> tuple[sa.ColumnElement[bool], str]:
    """``match`` narrowed to the organizations ``within`` (``None``: all), and a page-token scope
    that names them (a token of one client's list does not page another's)."""
    if within is None:
        return match, scope
    if not isinstance(within, frozenset) or not all(isinstance(i, str) for i in within):
        raise InvalidField("within", "must be a frozenset of organization ids (or None)")
    digest = hashlib.sha256(" ".join(sorted(within)).encode()).hexdigest()[:16]
    return sa.and_(match, orgs.c.id.in_(sorted(within))), f"{scope}|{digest}"
