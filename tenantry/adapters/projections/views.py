"""SQLAlchemy views of the built-in projections: their tables and their queries.

A view is the storage half of a projection plug-in: :meth:`View.define` declares the tables
(named by the store, which versions them) whose columns are exactly the keys of the projection's
rows, and the view's query methods read them. Every query takes a connection from the store and
the tables of the generation that is live.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa

from tenantry.application import dto
from tenantry.domain import ids, values
from tenantry.domain.base import utc
from tenantry.domain.errors import InvalidField, OrganizationNotFound
from tenantry.domain.values import MembershipStatus
from tenantry.projections import (
    AuditProjection,
    MembershipsProjection,
    OrganizationsProjection,
    Projection,
    SeatsProjection,
    tokens,
)
from tenantry.projections import dto as pdto
from tenantry.projections.base import from_micros, to_micros
from tenantry.projections.organizations import COUNT_KEY, feature_list

TableMap = Mapping[str, sa.Table]
Record = Mapping[Any, Any]

ORG_PAGE_SIZE = (10, 100, 30)
SEARCH_PAGE_SIZE = (1, 30, 30)
MEMBER_PAGE_SIZE = (1, 100, 30)
AUDIT_PAGE_SIZE = (1, 100, 50)
QUERY_LENGTH = (3, 100)


class View:
    """The storage half of a projection plug-in (subclass it with your projection)."""

    projection: ClassVar[Projection]

    def define(self, metadata: sa.MetaData, names: Mapping[str, str]) -> dict[str, sa.Table]:
        """The projection's tables, by logical name, named ``names[logical]``."""
        raise NotImplementedError

    @property
    def name(self) -> str:
        return self.projection.name


def _ix(table: str, *cols: str, unique: bool = False) -> sa.Index:
    return sa.Index(f"ix_{table}_{'_'.join(cols)}", *cols, unique=unique)


def page_size(value: int | None, bounds: tuple[int, int, int]) -> int:
    lo, hi, default = bounds
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidField("page_size", f"must be an integer from {lo} to {hi}")
    return value


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def keyset_page(
    conn: sa.Connection,
    query: sa.Select[Any],
    seq: sa.ColumnElement[int],
    *,
    size: int,
    token: str | None,
    kind: str,
    scope: str,
    version: int,
    secret: bytes,
) -> tuple[list[sa.RowMapping], str, str]:
    """One page of ``query`` in ``seq`` order, with next and prev tokens (empty when none)."""
    after, direction, first = 0, "next", True
    if token:
        t = tokens.decode(token, kind=kind, scope=scope, version=version, secret=secret)
        after, direction, first = t.after, t.direction, False
    if direction == "next":
        q = query.where(seq > after).order_by(seq.asc())
    else:
        q = query.where(seq < after).order_by(seq.desc())
    rows = list(conn.execute(q.limit(size + 1)).mappings())
    more = len(rows) > size
    rows = rows[:size]
    if direction == "prev":
        rows.reverse()
    if not rows:
        return rows, "", ""
    lo, hi = rows[0]["seq"], rows[-1]["seq"]

    def make(at: int, d: tokens.Direction) -> str:
        return tokens.encode(tokens.PageToken(kind, scope, at, d, version), secret)

    has_next = more if direction == "next" else True
    has_prev = (not first) if direction == "next" else more
    return rows, make(hi, "next") if has_next else "", make(lo, "prev") if has_prev else ""


# --- organizations ---------------------------------------------------------------------------


class OrganizationsView(View):
    projection = OrganizationsProjection()

    def define(self, metadata: sa.MetaData, names: Mapping[str, str]) -> dict[str, sa.Table]:
        orgs, count = names["orgs"], names["orgs_count"]
        return {
            "orgs": sa.Table(
                orgs,
                metadata,
                sa.Column("id", sa.String(32), primary_key=True),
                sa.Column("seq", sa.BigInteger, nullable=False),
                sa.Column("display_name", sa.String(200), nullable=False),
                sa.Column("external_id", sa.String(255)),
                sa.Column("slug", sa.String(253)),
                sa.Column("logo_url", sa.String(1024)),
                sa.Column("region_code", sa.String(8), nullable=False),
                sa.Column("metadata", sa.JSON, nullable=False),
                sa.Column("features", sa.JSON, nullable=False),
                sa.Column("search", sa.Text, nullable=False),
                sa.Column("create_time", sa.BigInteger, nullable=False),
                sa.Column("update_time", sa.BigInteger, nullable=False),
                sa.Column("version", sa.Integer, nullable=False),
                _ix(orgs, "seq", unique=True),
                _ix(orgs, "external_id", "seq"),
            ),
            "orgs_count": sa.Table(
                count,
                metadata,
                sa.Column("key", sa.String(16), primary_key=True),
                sa.Column("n", sa.BigInteger, nullable=False),
            ),
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

    def get(self, conn: sa.Connection, t: TableMap, organization_id: str) -> dto.Organization:
        ids.decode(ids.ORG, organization_id, "organization_id")
        orgs = t["orgs"]
        row = conn.execute(sa.select(orgs).where(orgs.c.id == organization_id)).mappings().first()
        if row is None:
            raise OrganizationNotFound(organization_id)
        return self.to_dto(row)

    def list(
        self,
        conn: sa.Connection,
        t: TableMap,
        *,
        page_size_: int | None,
        page_token: str | None,
        external_id: str | None,
        secret: bytes,
    ) -> pdto.OrganizationPage:
        size = page_size(page_size_, ORG_PAGE_SIZE)
        ext = values.external_id(external_id) if external_id is not None else None
        orgs = t["orgs"]
        query = sa.select(orgs)
        if ext is not None:
            query = query.where(orgs.c.external_id == ext)
            total = conn.execute(
                sa.select(sa.func.count()).select_from(orgs).where(orgs.c.external_id == ext)
            ).scalar_one()
        else:
            count = t["orgs_count"]
            n = conn.execute(sa.select(count.c.n).where(count.c.key == COUNT_KEY)).scalar()
            total = n or 0
        rows, nxt, prev = keyset_page(
            conn,
            query,
            orgs.c.seq,
            size=size,
            token=page_token,
            kind="orgs",
            scope=ext or "",
            version=self.projection.version,
            secret=secret,
        )
        return pdto.OrganizationPage(
            organizations=[self.to_dto(r) for r in rows],
            next_page_token=nxt,
            prev_page_token=prev,
            total_size=total,
        )

    def search(
        self,
        conn: sa.Connection,
        t: TableMap,
        *,
        query: str,
        page_size_: int | None,
        page_token: str | None,
        secret: bytes,
    ) -> pdto.OrganizationPage:
        lo, hi = QUERY_LENGTH
        if not isinstance(query, str) or not lo <= len(query.strip()) <= hi:
            raise InvalidField("query", f"must be {lo}-{hi} characters")
        size = page_size(page_size_, SEARCH_PAGE_SIZE)
        q = query.strip().lower()
        orgs = t["orgs"]
        match = orgs.c.search.like(f"%{_like_escape(q)}%", escape="\\")
        total = conn.execute(sa.select(sa.func.count()).select_from(orgs).where(match)).scalar_one()
        rows, nxt, prev = keyset_page(
            conn,
            sa.select(orgs).where(match),
            orgs.c.seq,
            size=size,
            token=page_token,
            kind="search",
            scope=q,
            version=self.projection.version,
            secret=secret,
        )
        return pdto.OrganizationPage(
            organizations=[self.to_dto(r) for r in rows],
            next_page_token=nxt,
            prev_page_token=prev,
            total_size=total,
        )


# --- seats -----------------------------------------------------------------------------------


class SeatsView(View):
    projection = SeatsProjection()

    def define(self, metadata: sa.MetaData, names: Mapping[str, str]) -> dict[str, sa.Table]:
        pending = names["seat_pending"]
        return {
            "seats": sa.Table(
                names["seats"],
                metadata,
                sa.Column("organization_id", sa.String(32), primary_key=True),
                sa.Column("max_allowed_users", sa.Integer),
                sa.Column("active", sa.Integer, nullable=False),
            ),
            "seat_pending": sa.Table(
                pending,
                metadata,
                sa.Column("key", sa.String(80), primary_key=True),
                sa.Column("organization_id", sa.String(32), nullable=False),
                sa.Column("user_id", sa.String(32), nullable=False),
                sa.Column("expires_at", sa.BigInteger, nullable=False),
                _ix(pending, "organization_id", "expires_at"),
            ),
        }

    def usage(
        self, conn: sa.Connection, t: TableMap, organization_id: str, at: datetime
    ) -> dto.SeatUsage:
        ids.decode(ids.ORG, organization_id, "organization_id")
        seats, pending = t["seats"], t["seat_pending"]
        now = utc(at)
        counted = (
            sa.select(sa.func.count())
            .select_from(pending)
            .where(pending.c.organization_id == organization_id)
            .where(pending.c.expires_at > to_micros(now))
            .scalar_subquery()
        )
        row = conn.execute(
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
            at=now,
        )


# --- memberships -----------------------------------------------------------------------------


def _when(v: int | None) -> datetime | None:
    return None if v is None else from_micros(v)


class MembershipsView(View):
    projection = MembershipsProjection()

    def define(self, metadata: sa.MetaData, names: Mapping[str, str]) -> dict[str, sa.Table]:
        members = names["members"]
        return {
            "members": sa.Table(
                members,
                metadata,
                sa.Column("key", sa.String(32), primary_key=True),
                sa.Column("seq", sa.BigInteger, nullable=False),
                sa.Column("organization_id", sa.String(32), nullable=False),
                sa.Column("user_id", sa.String(32), nullable=False),
                sa.Column("email", sa.String(254), nullable=False),
                sa.Column("status", sa.String(16)),
                sa.Column("roles", sa.JSON, nullable=False),
                sa.Column("metadata", sa.JSON, nullable=False),
                sa.Column("inviter_email", sa.String(254)),
                sa.Column("provisioning_method", sa.String(32), nullable=False),
                sa.Column("created_at", sa.BigInteger, nullable=False),
                sa.Column("join_time", sa.BigInteger),
                sa.Column("accepted_at", sa.BigInteger),
                sa.Column("invitation_id", sa.String(32)),
                sa.Column("invitation_status", sa.String(16)),
                sa.Column("invited_at", sa.BigInteger),
                sa.Column("expires_at", sa.BigInteger),
                sa.Column("resent_at", sa.BigInteger),
                sa.Column("resent_count", sa.Integer, nullable=False),
                _ix(members, "organization_id", "seq"),
                _ix(members, "user_id", "seq"),
            ),
            "member_orgs": sa.Table(
                names["member_orgs"],
                metadata,
                sa.Column("organization_id", sa.String(32), primary_key=True),
                sa.Column("deleted", sa.Boolean, nullable=False),
            ),
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
        if status is None:
            return m.c.status.is_not(None)
        try:
            wanted = MembershipStatus(status)
        except ValueError:
            raise InvalidField(
                "status", "must be one of " + ", ".join(s.value for s in MembershipStatus)
            ) from None
        if wanted == MembershipStatus.PENDING_INVITE:
            return sa.and_(pending, m.c.expires_at > now)
        if wanted == MembershipStatus.INVITE_EXPIRED:
            return sa.or_(m.c.status == wanted.value, sa.and_(pending, m.c.expires_at <= now))
        return m.c.status == wanted.value

    def _check_org(self, conn: sa.Connection, t: TableMap, organization_id: str) -> None:
        ids.decode(ids.ORG, organization_id, "organization_id")
        orgs = t["member_orgs"]
        deleted = conn.execute(
            sa.select(orgs.c.deleted).where(orgs.c.organization_id == organization_id)
        ).scalar()
        if deleted is None or deleted:
            raise OrganizationNotFound(organization_id)

    def members(
        self,
        conn: sa.Connection,
        t: TableMap,
        organization_id: str,
        *,
        status: str | None,
        page_size_: int | None,
        page_token: str | None,
        now: datetime,
        secret: bytes,
    ) -> pdto.MemberPage:
        size = page_size(page_size_, MEMBER_PAGE_SIZE)
        m = t["members"]
        where = sa.and_(
            m.c.organization_id == organization_id,
            self._status_filter(m, status, to_micros(now)),
        )
        self._check_org(conn, t, organization_id)
        total = conn.execute(sa.select(sa.func.count()).select_from(m).where(where)).scalar_one()
        rows, nxt, prev = keyset_page(
            conn,
            sa.select(m).where(where),
            m.c.seq,
            size=size,
            token=page_token,
            kind="members",
            scope=f"{organization_id}|{status or ''}",
            version=self.projection.version,
            secret=secret,
        )
        return pdto.MemberPage(
            members=[self.to_dto(r, now) for r in rows],
            next_page_token=nxt,
            prev_page_token=prev,
            total_size=total,
        )

    def of_user(
        self, conn: sa.Connection, t: TableMap, user: str, now: datetime
    ) -> list[dto.Membership]:
        if user.startswith(f"{ids.USER}_"):
            user_id = ids.encode(ids.USER, ids.decode(ids.USER, user, "user_id"))
        else:
            user_id = ids.encode(ids.USER, ids.user_uuid(values.email(user, "user")))
        m, orgs = t["members"], t["member_orgs"]
        q = (
            sa.select(m)
            .join(orgs, orgs.c.organization_id == m.c.organization_id)
            .where(m.c.user_id == user_id, m.c.status.is_not(None), orgs.c.deleted.is_(False))
            .order_by(m.c.seq)
        )
        return [self.to_dto(r, now) for r in conn.execute(q).mappings()]


# --- audit -----------------------------------------------------------------------------------


class AuditView(View):
    projection = AuditProjection()

    def define(self, metadata: sa.MetaData, names: Mapping[str, str]) -> dict[str, sa.Table]:
        audit = names["audit"]
        return {
            "audit": sa.Table(
                audit,
                metadata,
                sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
                sa.Column("organization_id", sa.String(32)),
                sa.Column("aggregate", sa.String(32), nullable=False),
                sa.Column("aggregate_id", sa.String(32), nullable=False),
                sa.Column("version", sa.Integer, nullable=False),
                sa.Column("event", sa.String(64), nullable=False),
                sa.Column("timestamp", sa.BigInteger, nullable=False),
                sa.Column("actor", sa.String(255), nullable=False),
                sa.Column("reason", sa.Text),
                sa.Column("data", sa.JSON, nullable=False),
                _ix(audit, "organization_id", "position"),
                _ix(audit, "actor", "position"),
                _ix(audit, "timestamp"),
            ),
            "audit_owners": sa.Table(
                names["audit_owners"],
                metadata,
                sa.Column("aggregate_id", sa.String(32), primary_key=True),
                sa.Column("organization_id", sa.String(32), nullable=False),
            ),
        }

    def entries(
        self,
        conn: sa.Connection,
        t: TableMap,
        *,
        organization_id: str | None,
        actor: str | None,
        since: datetime | None,
        until: datetime | None,
        page_size_: int | None,
        page_token: str | None,
        secret: bytes,
    ) -> pdto.AuditPage:
        size = page_size(page_size_, AUDIT_PAGE_SIZE)
        a = t["audit"]
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
        if since is not None and until is not None and until <= since:
            raise InvalidField("until", "must be after since")
        scope = json.dumps(
            [organization_id, actor, since and to_micros(since), until and to_micros(until)]
        )
        after = 0
        if page_token:
            after = tokens.decode(
                page_token,
                kind="audit",
                scope=scope,
                version=self.projection.version,
                secret=secret,
            ).after
        q = sa.select(a).where(a.c.position > after, *conds).order_by(a.c.position).limit(size + 1)
        rows = list(conn.execute(q).mappings())
        nxt = ""
        if len(rows) > size:
            rows = rows[:size]
            nxt = tokens.encode(
                tokens.PageToken(
                    "audit", scope, rows[-1]["position"], "next", self.projection.version
                ),
                secret,
            )
        return pdto.AuditPage(
            entries=[
                pdto.AuditEntry(
                    position=r["position"],
                    organization_id=r["organization_id"],
                    aggregate=r["aggregate"],
                    aggregate_id=r["aggregate_id"],
                    version=r["version"],
                    event=r["event"],
                    timestamp=from_micros(r["timestamp"]),
                    actor=r["actor"],
                    reason=r["reason"],
                    data=dict(r["data"]),
                )
                for r in rows
            ],
            next_page_token=nxt,
        )


def builtin_views() -> list[View]:
    return [OrganizationsView(), SeatsView(), MembershipsView(), AuditView()]
