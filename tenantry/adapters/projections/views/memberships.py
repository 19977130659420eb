"""The memberships view: an organization's members and a user's organizations."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from tenantry.adapters.projections.views.base import (
    Reading,
    Record,
    View,
    count,
    id_column,
    json_column,
    key_column,
    micros_column,
)
from tenantry.application import dto, presenters
from tenantry.domain import ids
from tenantry.domain.errors import OrganizationNotFound
from tenantry.domain.user import parse_user_reference
from tenantry.domain.values import REMOVED, InvitationStatus, MembershipStatus
from tenantry.projections import MembershipsProjection
from tenantry.projections import dto as pdto
from tenantry.projections.base import from_micros, to_micros
from tenantry.projections.queries import MEMBER_PAGE_SIZE, member_status, page_size


def _when(v: int | None) -> datetime | None:
    return None if v is None else from_micros(v)


class MembershipsView(View):
    projection = MembershipsProjection()

    def schema(self) -> dict[str, list[SchemaItem]]:
        return {
            "members": [
                key_column("key", 32),
                sa.Column("seq", sa.BigInteger, nullable=False),
                id_column("organization_id"),
                id_column("user_id"),
                sa.Column("email", sa.String(254), nullable=False),
                sa.Column("status", sa.String(16)),
                json_column("roles"),
                json_column("metadata"),
                sa.Column("inviter_email", sa.String(254)),
                sa.Column("provisioning_method", sa.String(32), nullable=False),
                micros_column("created_at", null=False),
                micros_column("join_time"),
                micros_column("accepted_at"),
                id_column("invitation_id", null=True),
                sa.Column("invitation_status", sa.String(16)),
                micros_column("invited_at"),
                micros_column("expires_at"),
                micros_column("resent_at"),
                sa.Column("resent_count", sa.Integer, nullable=False),
                sa.Index(None, "organization_id", "seq"),
                sa.Index(None, "user_id", "seq"),
            ],
            "member_orgs": [
                key_column("organization_id", 32),
                sa.Column("deleted", sa.Boolean, nullable=False),
            ],
        }

    @staticmethod
    def to_dto(r: Record, now: datetime) -> dto.Membership:
        """The same membership :meth:`Tenantry.get_membership` shows at ``now``."""
        return presenters.membership(
            organization_id=r["organization_id"],
            user_id=r["user_id"],
            email=r["email"],
            status=r["status"],
            roles=r["roles"],
            metadata=r["metadata"],
            inviter_email=r["inviter_email"],
            provisioning_method=r["provisioning_method"],
            created_at=from_micros(r["created_at"]),
            join_time=_when(r["join_time"]),
            accepted_at=_when(r["accepted_at"]),
            invitation_id=r["invitation_id"],
            invitation_status=r["invitation_status"],
            invited_at=_when(r["invited_at"]),
            expires_at=_when(r["expires_at"]),
            resent_at=_when(r["resent_at"]),
            resent_count=r["resent_count"],
            now=now,
        )

    @staticmethod
    def _status_filter(m: sa.Table, status: str | None, now: int) -> sa.ColumnElement[bool]:
        pending = sa.and_(m.c.status == MembershipStatus.PENDING_INVITE.value)
        wanted = member_status(status)
        if wanted is None:
            return m.c.status.is_not(None)
        if wanted == REMOVED:  # what the application still shows of a membership that is over
            return sa.and_(
                m.c.status.is_(None), m.c.invitation_status == InvitationStatus.REVOKED.value
            )
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
        user_id = ids.encode(ids.USER, parse_user_reference(user))
        m, orgs = r.tables["members"], r.tables["member_orgs"]
        q = (
            sa.select(m)
            .join(orgs, orgs.c.organization_id == m.c.organization_id)
            .where(m.c.user_id == user_id, m.c.status.is_not(None), orgs.c.deleted.is_(False))
            .order_by(m.c.seq)
        )
        return [self.to_dto(row, r.now) for row in r.conn.execute(q).mappings()]
