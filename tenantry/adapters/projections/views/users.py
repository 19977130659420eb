"""The users view: every live user, listed and searched environment-wide or among one
organization's members (read from the memberships projection's tables, joined at the same log
position)."""

from __future__ import annotations

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
from tenantry.adapters.projections.views.memberships import MembershipsView
from tenantry.adapters.projections.views.organizations import _like_escape
from tenantry.application import dto, presenters
from tenantry.domain import values
from tenantry.projections.base import from_micros
from tenantry.projections.queries import (
    MEMBER_PAGE_SIZE,
    SEARCH_PAGE_SIZE,
    page_size,
    search_query,
)
from tenantry.projections.user_pages import UserPage
from tenantry.projections.users import COUNT_KEY, UsersProjection


class UsersView(View):
    projection = UsersProjection()
    joins = (MembershipsView.projection.name,)

    def schema(self) -> dict[str, list[SchemaItem]]:
        return {
            "users": [
                key_column("id", 32),
                sa.Column("seq", sa.BigInteger, nullable=False),
                sa.Column("email", sa.String(254), nullable=False),
                sa.Column("external_id", sa.String(255)),
                json_column("metadata"),
                json_column("user_profile"),
                sa.Column("search", sa.Text, nullable=False),
                micros_column("create_time", null=False),
                micros_column("update_time", null=False),
                sa.Column("version", sa.Integer, nullable=False),
                sa.Column("deleted", sa.Boolean, nullable=False),
                sa.Index(None, "seq", unique=True),
                sa.Index(None, "external_id", "seq"),
            ],
            "users_count": [key_column("key", 16), sa.Column("n", sa.BigInteger, nullable=False)],
        }

    @staticmethod
    def to_dto(r: Record) -> dto.User:
        return presenters.user(
            id=r["id"],
            email=r["email"],
            external_id=r["external_id"],
            metadata=r["metadata"],
            user_profile=r["user_profile"],
            create_time=from_micros(r["create_time"]),
            update_time=from_micros(r["update_time"]),
            version=r["version"],
        )

    def _page(
        self,
        r: Reading,
        where: sa.ColumnElement[bool],
        total: int,
        size: int,
        token: str | None,
        kind: str,
        scope: str,
    ) -> UserPage:
        users = r.tables["users"]
        rows, nxt, prev = self.page(
            r,
            sa.select(users).where(where),
            users.c.seq,
            size=size,
            token=token,
            kind=kind,
            scope=scope,
        )
        return UserPage(
            users=[self.to_dto(row) for row in rows],
            next_page_token=nxt,
            prev_page_token=prev,
            total_size=total,
        )

    def list(
        self, r: Reading, size: int | None, token: str | None, external_id: str | None
    ) -> UserPage:
        """Live users, oldest first (1-100 a page, default 30), optionally by external id."""
        checked = page_size(size, MEMBER_PAGE_SIZE)
        users = r.tables["users"]
        ext = values.external_id(external_id) if external_id is not None else None
        if ext is None:
            n = r.tables["users_count"].c.n
            total = r.conn.execute(sa.select(n).where(n.table.c.key == COUNT_KEY)).scalar() or 0
            return self._page(r, users.c.deleted.is_(False), total, checked, token, "users", "")
        match = sa.and_(users.c.deleted.is_(False), users.c.external_id == ext)
        return self._page(r, match, count(r, users, match), checked, token, "users", ext)

    def search(
        self,
        r: Reading,
        query: str,
        size: int | None,
        token: str | None,
        organization_id: str | None,
    ) -> UserPage:
        """Case-insensitive search (3-100 characters) over e-mail, id and external id; among
        an organization's members (active, inactive or invited) if one is given."""
        q = search_query(query)
        checked = page_size(size, SEARCH_PAGE_SIZE)
        users = r.tables["users"]
        match = sa.and_(
            users.c.deleted.is_(False), users.c.search.like(f"%{_like_escape(q)}%", escape="\\")
        )
        scope = q
        if organization_id is not None:
            MembershipsView()._check_org(r, organization_id)
            m = r.tables["members"]
            members = sa.select(m.c.user_id).where(
                m.c.organization_id == organization_id, m.c.status.is_not(None)
            )
            match = sa.and_(match, users.c.id.in_(members))
            scope = f"{organization_id}|{q}"
        return self._page(r, match, count(r, users, match), checked, token, "search", scope)

    def organizations_of(self, r: Reading, user_id: str) -> tuple[str, ...]:
        """Every organization the user has had a membership of (removed ones too), in the
        order they were joined."""
        m = r.tables["members"]
        query = sa.select(m.c.organization_id).where(m.c.user_id == user_id).order_by(m.c.seq)
        return tuple(r.conn.execute(query).scalars())
