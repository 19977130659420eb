"""The queries of the users read model, as a part of
:class:`~tenantry.adapters.projections.store.ProjectionStore`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar, Unpack

from tenantry.adapters.projections.read_options import ReadOptions
from tenantry.adapters.projections.views import Reading, UsersView
from tenantry.domain import ids
from tenantry.domain.user import parse_user_reference
from tenantry.projections.user_pages import UserPage

T = TypeVar("T")


class UserQueries:
    """List and search users (each query takes ``ReadOptions``: read your writes)."""

    if TYPE_CHECKING:

        def _ask(
            self,
            cls: type[UsersView],
            fn: Callable[[UsersView, Reading], T],
            read: ReadOptions,
            at: datetime | None = None,
        ) -> T: ...

    def list_users(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        external_id: str | None = None,
        **read: Unpack[ReadOptions],
    ) -> UserPage:
        """Live users, oldest first: ``page_size`` 1-100 (default 30), keyset pages; only the
        one holding ``external_id``, if given."""
        return self._ask(
            UsersView, lambda v, r: v.list(r, page_size, page_token, external_id), read
        )

    def search_users(
        self,
        query: str,
        *,
        organization_id: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        **read: Unpack[ReadOptions],
    ) -> UserPage:
        """Case-insensitive search (3-100 characters, 1-30 a page) over e-mail, id and external
        id; among one organization's members if ``organization_id`` is given."""
        return self._ask(
            UsersView,
            lambda v, r: v.search(r, query, page_size, page_token, organization_id),
            read,
        )

    def list_user_organizations(self, user: str, **read: Unpack[ReadOptions]) -> tuple[str, ...]:
        """The ``org_`` ids of every organization the user (``usr_`` id or e-mail) has had a
        membership of, removed ones too, in the order they were joined."""
        user_id = ids.encode(ids.USER, parse_user_reference(user))
        return self._ask(UsersView, lambda v, r: v.organizations_of(r, user_id), read)
