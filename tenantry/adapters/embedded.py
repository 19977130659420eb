"""What :func:`tenantry.connect` returns: the application's commands and queries together with
the list and search queries of its read models, for code that embeds tenantry in its own process.

:class:`Embedded` is a :class:`~tenantry.application.app.Tenantry` whose list and search verbs
(named as the hosted SDKs name them) read the projections (:class:`ProjectionStore`, built on the
first such call, in the same database). Each of them reads this application's own writes: the
projection catches up to :attr:`last_position` before it answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from tenantry.adapters.database import Database
from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import DEFAULT_INVITATION_LIFETIME, Tenantry, utc_now
from tenantry.domain import ids
from tenantry.domain.policies import ApplicationPolicy
from tenantry.projections import dto as pdto
from tenantry.projections.user_pages import UserPage


class Embedded(Tenantry):
    """Tenantry with its read models' queries (see the module's docstring)."""

    name = "tenantry"  # eventsourcing names a subclass's tables after it otherwise

    _views: ProjectionStore | None = None

    @property
    def views(self) -> ProjectionStore:
        """The projections of this application (built on first use)."""
        if self._views is None:
            self._views = ProjectionStore(self)
        return self._views

    def close(self) -> None:
        if self._views is not None:
            self._views.close()
            self._views = None
        super().close()

    def list_organizations(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        external_id: str | None = None,
    ) -> pdto.OrganizationPage:
        """Live organizations, oldest first (``page_size`` 10-100, default 30; keyset pages)."""
        return self.views.list_organizations(
            page_size=page_size,
            page_token=page_token,
            external_id=external_id,
            min_position=self.last_position,
        )

    def search_organizations(
        self, query: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> pdto.OrganizationPage:
        """Case-insensitive search (3-100 characters) over display name, id and external id."""
        return self.views.search_organizations(
            query, page_size=page_size, page_token=page_token, min_position=self.last_position
        )

    def list_members(
        self,
        organization_id: str,
        *,
        status: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> pdto.MemberPage:
        """An organization's memberships (1-100 a page, default 30), optionally of one status."""
        page = self.views.list_members(
            organization_id,
            status=status,
            page_size=page_size,
            page_token=page_token,
            min_position=self.last_position,
        )
        return page.model_copy(update={"members": self.with_role_details(page.members)})

    def list_users(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        external_id: str | None = None,
    ) -> UserPage:
        """Live users, oldest first (``page_size`` 1-100, default 30; keyset pages)."""
        return self.views.list_users(
            page_size=page_size,
            page_token=page_token,
            external_id=external_id,
            min_position=self.last_position,
        )

    def search_users(
        self,
        query: str,
        *,
        organization_id: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> UserPage:
        """Case-insensitive search (3-100 characters, 1-30 a page) over e-mail, id and
        external id; among one organization's members if ``organization_id`` is given."""
        return self.views.search_users(
            query,
            organization_id=organization_id,
            page_size=page_size,
            page_token=page_token,
            min_position=self.last_position,
        )

    def _user_organizations(self, user_id: UUID) -> list[UUID]:
        """From the read models caught up to the log's head (instead of reading every
        admission in the log)."""
        user = ids.encode(ids.USER, user_id)
        head = self.recorder.max_notification_id()
        orgs = self.views.list_user_organizations(user, min_position=head)
        return [ids.decode(ids.ORG, org) for org in orgs]


def connect(
    database_url: str | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    id_factory: Callable[[], UUID] = ids.new_id,
    invitation_lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
    policy: ApplicationPolicy | None = None,
) -> Embedded:
    """Builds tenantry on ``database_url`` (default: ``$TENANTRY_DATABASE_URL``, else the
    embedded SQLite file ``tenantry.db``). Tables are created if missing. ``policy``: the host
    application's own policies (restore period of deleted organizations, session policy,
    sign-in methods; :class:`~tenantry.domain.policies.ApplicationPolicy`)."""
    return Database.parse(database_url).open(
        Embedded,
        clock=clock,
        id_factory=id_factory,
        invitation_lifetime=invitation_lifetime,
        policy=policy,
    )
