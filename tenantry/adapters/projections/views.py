"""SQLAlchemy views of the built-in projections: their tables and their queries.

A view is the storage half of a projection plug-in: :meth:`View.schema` declares the columns
(exactly the keys of the projection's rows) and indexes of each table, and the store names the
tables (it versions them). The view's query methods read the tables of the live generation
through a :class:`Reading` the store gives them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from tenantry.application import dto
from tenantry.domain import ids, values
from tenantry.domain.errors import OrganizationNotFound
from tenantry.domain.values import MembershipStatus
from tenantry.projections import (
    AuditProjection,
    MembershipsProjection,
    OrganizationsProjection,
    SeatsProjection,
    tokens,
)
from tenantry.projections import dto as pdto
from tenantry.projections.base import BaseProjection, from_micros, to_micros
from tenantry.projections.organizations import COUNT_KEY, feature_list
from tenantry.projections.queries import (
    AUDIT_PAGE_SIZE,
    MEMBER_PAGE_SIZE,
    ORG_PAGE_SIZE,
    SEARCH_PAGE_SIZE,
    audit_window,
    member_status,
    page_size,
    search_query,
)

Record = Mapping[Any, Any]

NAMING: dict[str, str] = {"ix": "ix_%(table_name)s_%(column_0_N_name)s"}
"""Index names follow from the (versioned) table name, so every generation's are unique."""


@dataclass(frozen=True)
class Reading:
    """What a query reads through: a connection (one snapshot), the live tables by logical
    name, the page-token secret and the instant that invitation expiry is judged at."""

    conn: sa.Connection
    tables: Mapping[str, sa.Table]
    secret: bytes
    now: datetime


class View:
    """The storage half of a projection plug-in (subclass it with your projection)."""

    projection: ClassVar[BaseProjection[Any]]

    def schema(self) -> dict[str, list[SchemaItem]]:
        """Columns and indexes of each table, by logical name (``sa.Index(None, "col")``: the
        name is made from the table's)."""
        raise NotImplementedError

    def define(self, metadata: sa.MetaData, names: Mapping[str, str]) -> dict[str, sa.Table]:
        """The projection's tables, by logical name, named ``names[logical]``."""
        return {t: sa.Table(names[t], metadata, *items) for t, items in self.schema().items()}

    @property
    def name(self) -> str:
        return self.projection.name

    def page(
        self,
        r: Reading,
        query: sa.Select[Any],
        seq: sa.Column[Any],
        *,
        size: int,
        token: str | None,
        kind: str,
        scope: str,
    ) -> tuple[list[sa.RowMapping], str, str]:
        """One page of ``query`` in ``seq`` order, with next and prev tokens (empty if none)."""
        after, direction, first = 0, "next", True
        version = self.projection.version
        if token:
            t = tokens.decode(token, kind=kind, scope=scope, version=version, secret=r.secret)
            after, direction, first = t.after, t.direction, False
        if direction == "next":
            q = query.where(seq > after).order_by(seq.asc())
        else:
            q = query.where(seq < after).order_by(seq.desc())
        rows = list(r.conn.execute(q.limit(size + 1)).mappings())
        more = len(rows) > size
        rows = rows[:size]
        if direction == "prev":
            rows.reverse()
        if not rows:
            return rows, "", ""

        def make(at: int, d: tokens.Direction) -> str:
            return tokens.encode(tokens.PageToken(kind, scope, at, d, version), r.secret)

        has_next = more if direction == "next" else True
        has_prev = (not first) if direction == "next" else more
        lo, hi = rows[0][seq.name], rows[-1][seq.name]
        return rows, make(hi, "next") if has_next else "", make(lo, "prev") if has_prev else ""


def count(r: Reading, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(where)
    return int(r.conn.execute(query).scalar_one())


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _key(name: str, length: int) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), primary_key=True)


def _id(name: str, *, null: bool = False) -> sa.Column[Any]:
    """A column holding a public id (``org_…``, ``usr_…``) or a UUID in hex."""
    return sa.Column(name, sa.String(32), nullable=null)


def _micros(name: str, *, null: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.BigInteger, nullable=null)


def _json(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.JSON, nullable=False)


# --- organizations ---------------------------------------------------------------------------


class OrganizationsView(View):
    projection = OrganizationsProjection()

    def schema(self) -> dict[str, list[SchemaItem]]:
        return {
            "orgs": [
                _key("id", 32),
                sa.Column("seq", sa.BigInteger, nullable=False),
                sa.Column("display_name", sa.String(200), nullable=False),
                sa.Column("external_id", sa.String(255)),
                sa.Column("slug", sa.String(253)),
                sa.Column("logo_url", sa.String(1024)),
                sa.Column("region_code", sa.String(8), nullable=False),
                _json("metadata"),
                _json("features"),
                sa.Column("search", sa.Text, nullable=False),
                _micros("create_time", null=False),
                _micros("update_time", null=False),
                sa.Column("version", sa.Integer, nullable=False),
                sa.Index(None, "seq", unique=True),
                sa.Index(None, "external_id", "seq"),
            ],
            "orgs_count": [_key("key", 16), sa.Column("n", sa.BigInteger, nullable=False)],
        }

    @staticmethod
    def to_dto(r: Record) -> dto.Organization:
        return dto.Organization(
            id=r["id"],
            display_name=r["display_name"],
            external_id=r["external_id"],
            slug=r["slug"],
            logo_url=r["logo_url"],
            region_code=r["region_code"],
            metadata=dict(r["metadata"]),
            settings=dto.OrganizationSettings(
                features=[
                    dto.FeatureSetting(name=n, enabled=on) for n, on in feature_list(r["features"])
                ]
            ),
            create_time=from_micros(r["create_time"]),
            update_time=from_micros(r["update_time"]),
            version=r["version"],
        )

    def get(self, r: Reading, organization_id: str) -> dto.Organization:
        ids.decode(ids.ORG, organization_id, "organization_id")
        orgs = r.tables["orgs"]
        row = r.conn.execute(sa.select(orgs).where(orgs.c.id == organization_id)).mappings().first()
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
            sa.select(orgs).where(where),
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
        self, r: Reading, size: int | None, token: str | None, external_id: str | None
    ) -> pdto.OrganizationPage:
        checked = page_size(size, ORG_PAGE_SIZE)
        orgs = r.tables["orgs"]
        ext = values.external_id(external_id) if external_id is not None else None
        if ext is None:
            n = r.tables["orgs_count"].c.n
            total = r.conn.execute(sa.select(n).where(n.table.c.key == COUNT_KEY)).scalar() or 0
            return self._page(r, sa.true(), total, checked, token, "orgs", "")
        match = orgs.c.external_id == ext
        return self._page(r, match, count(r, orgs, match), checked, token, "orgs", ext)

    def search(
        self, r: Reading, query: str, size: int | None, token: str | None
    ) -> pdto.OrganizationPage:
        q = search_query(query)
        checked = page_size(size, SEARCH_PAGE_SIZE)
        orgs = r.tables["orgs"]
        match = orgs.c.search.like(f"%{_like_escape(q)}%", escape="\\")
        return self._page(r, match, count(r, orgs, match), checked, token, "search", q)


# --- seats -----------------------------------------------------------------------------------


class SeatsView(View):
    projection = SeatsProjection()

    def schema(self) -> dict[str, list[SchemaItem]]:
        return {
            "seats": [
                _key("organization_id", 32),
                sa.Column("max_allowed_users", sa.Integer),
                sa.Column("active", sa.Integer, nullable=False),
            ],
            "seat_pending": [
                _key("key", 80),
                _id("organization_id"),
                _id("user_id"),
                _micros("expires_at", null=False),
                sa.Index(None, "organization_id", "expires_at"),
            ],
        }

    def usage(self, r: Reading, organization_id: str) -> dto.SeatUsage:
        ids.decode(ids.ORG, organization_id, "organization_id")
        seats, pending = r.tables["seats"], r.tables["seat_pending"]
        counted = (
            sa.select(sa.func.count())
            .select_from(pending)
            .where(pending.c.organization_id == organization_id)
            .where(pending.c.expires_at > to_micros(r.now))
            .scalar_subquery()
        )
        row = r.conn.execute(
            sa.select(seats.c.max_allowed_users, seats.c.active, counted).where(
                seats.c.organization_id == organization_id
            )
        ).first()
        if row is None:
            raise OrganizationNotFound(organization_id)
        limit, active, waiting = row
        in_use = active + waiting
        return dto.SeatUsage(
            organization_id=organization_id,
            max_allowed_users=limit,
            active_members=active,
            pending_invitations=waiting,
            seats_in_use=in_use,
            seats_free=max(limit - in_use, 0) if limit else None,
            at=r.now,
        )


# --- memberships -----------------------------------------------------------------------------


def _when(v: int | None) -> datetime | None:
    return None if v is None else from_micros(v)


class MembershipsView(View):
    projection = MembershipsProjection()

    def schema(self) -> dict[str, list[SchemaItem]]:
        return {
            "members": [
                _key("key", 32),
                sa.Column("seq", sa.BigInteger, nullable=False),
                _id("organization_id"),
                _id("user_id"),
                sa.Column("email", sa.String(254), nullable=False),
                sa.Column("status", sa.String(16)),
                _json("roles"),
                _json("metadata"),
                sa.Column("inviter_email", sa.String(254)),
                sa.Column("provisioning_method", sa.String(32), nullable=False),
                _micros("created_at", null=False),
                _micros("join_time"),
                _micros("accepted_at"),
                _id("invitation_id", null=True),
                sa.Column("invitation_status", sa.String(16)),
                _micros("invited_at"),
                _micros("expires_at"),
                _micros("resent_at"),
                sa.Column("resent_count", sa.Integer, nullable=False),
                sa.Index(None, "organization_id", "seq"),
                sa.Index(None, "user_id", "seq"),
            ],
            "member_orgs": [
                _key("organization_id", 32),
                sa.Column("deleted", sa.Boolean, nullable=False),
            ],
        }

    @staticmethod
    def to_dto(r: Record, now: datetime) -> dto.Membership:
        """The same membership :meth:`Tenantry.get_membership` shows at ``now``."""
        status = r["status"]
        expires = _when(r["expires_at"])
        if status == MembershipStatus.PENDING_INVITE and expires is not None and expires <= now:
            status = MembershipStatus.INVITE_EXPIRED.value
        invitation = None
        if r["invitation_id"] is not None and r["invited_at"] is not None and expires is not None:
            inv_status = r["invitation_status"] or "pending"
            if status == MembershipStatus.INVITE_EXPIRED:
                inv_status = "expired"
            invitation = dto.Invitation(
                id=r["invitation_id"],
                status=inv_status,
                created_at=from_micros(r["invited_at"]),
                expires_at=expires,
                resent_at=_when(r["resent_at"]),
                resent_count=r["resent_count"],
            )
        return dto.Membership(
            organization_id=r["organization_id"],
            user_id=r["user_id"],
            email=r["email"],
            status=status if status is not None else "REMOVED",
            roles=list(r["roles"]),
            metadata=dict(r["metadata"]),
            inviter_email=r["inviter_email"],
            provisioning_method=r["provisioning_method"],
            created_at=from_micros(r["created_at"]),
            join_time=_when(r["join_time"]),
            accepted_at=_when(r["accepted_at"]),
            expires_at=expires,
            invitation=invitation,
        )

    @staticmethod
    def _status_filter(m: sa.Table, status: str | None, now: int) -> sa.ColumnElement[bool]:
        pending = sa.and_(m.c.status == MembershipStatus.PENDING_INVITE.value)
        wanted = member_status(status)
        if wanted is None:
            return m.c.status.is_not(None)
        if wanted == MembershipStatus.PENDING_INVITE:
            return sa.and_(pending, m.c.expires_at > now)
        if wanted == MembershipStatus.INVITE_EXPIRED:
            return sa.or_(m.c.status == wanted.value, sa.and_(pending, m.c.expires_at <= now))
        return m.c.status == wanted.value

    def _check_org(self, r: Reading, organization_id: str) -> None:
        ids.decode(ids.ORG, organization_id, "organization_id")
        orgs = r.tables["member_orgs"]
        deleted = r.conn.execute(
            sa.select(orgs.c.deleted).where(orgs.c.organization_id == organization_id)
        ).scalar()
        if deleted is None or deleted:
            raise OrganizationNotFound(organization_id)

    def members(
        self,
        r: Reading,
        organization_id: str,
        status: str | None,
        size: int | None,
        token: str | None,
    ) -> pdto.MemberPage:
        checked = page_size(size, MEMBER_PAGE_SIZE)
        m = r.tables["members"]
        where = sa.and_(
            m.c.organization_id == organization_id,
            self._status_filter(m, status, to_micros(r.now)),
        )
        self._check_org(r, organization_id)
        rows, nxt, prev = self.page(
            r,
            sa.select(m).where(where),
            m.c.seq,
            size=checked,
            token=token,
            kind="members",
            scope=f"{organization_id}|{status or ''}",
        )
        return pdto.MemberPage(
            members=[self.to_dto(row, r.now) for row in rows],
            next_page_token=nxt,
            prev_page_token=prev,
            total_size=count(r, m, where),
        )

    def of_user(self, r: Reading, user: str) -> list[dto.Membership]:
        if user.startswith(f"{ids.USER}_"):
            user_id = ids.encode(ids.USER, ids.decode(ids.USER, user, "user_id"))
        else:
            user_id = ids.encode(ids.USER, ids.user_uuid(values.email(user, "user")))
        m, orgs = r.tables["members"], r.tables["member_orgs"]
        q = (
            sa.select(m)
            .join(orgs, orgs.c.organization_id == m.c.organization_id)
            .where(m.c.user_id == user_id, m.c.status.is_not(None), orgs.c.deleted.is_(False))
            .order_by(m.c.seq)
        )
        return [self.to_dto(row, r.now) for row in r.conn.execute(q).mappings()]


# --- audit -----------------------------------------------------------------------------------


class AuditView(View):
    projection = AuditProjection()

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
                _id("organization_id", null=True),
                sa.Column("aggregate", sa.String(32), nullable=False),
                _id("aggregate_id"),
                sa.Column("version", sa.Integer, nullable=False),
                sa.Column("event", sa.String(64), nullable=False),
                _micros("timestamp", null=False),
                sa.Column("actor", sa.String(255), nullable=False),
                sa.Column("reason", sa.Text),
                _json("data"),
                sa.Index(None, "organization_id", "position"),
                sa.Index(None, "actor", "position"),
                sa.Index(None, "timestamp"),
            ],
            "audit_owners": [_key("aggregate_id", 32), _id("organization_id")],
        }

    def entries(
        self,
        r: Reading,
        organization_id: str | None,
        actor: str | None,
        since: datetime | None,
        until: datetime | None,
        size: int | None,
        token: str | None,
    ) -> pdto.AuditPage:
        checked = page_size(size, AUDIT_PAGE_SIZE)
        a = r.tables["audit"]
        conds: list[sa.ColumnElement[bool]] = []
        if organization_id is not None:
            ids.decode(ids.ORG, organization_id, "organization_id")
            conds.append(a.c.organization_id == organization_id)
        if actor is not None:
            conds.append(a.c.actor == actor)
        if since is not None:
            conds.append(a.c.timestamp >= to_micros(since))
        if until is not None:
            conds.append(a.c.timestamp < to_micros(until))
        audit_window(since, until)
        scope = json.dumps(
            [organization_id, actor, since and to_micros(since), until and to_micros(until)]
        )
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
                    data=dict(row["data"]),
                )
                for row in rows
            ],
            next_page_token=nxt,
        )


def builtin_views() -> list[View]:
    return [OrganizationsView(), SeatsView(), MembershipsView(), AuditView()]
