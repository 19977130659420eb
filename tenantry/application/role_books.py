"""Loading role books: the environment's and an organization's, and the :class:`RoleScope` an
organization's memberships are checked and shown against. The capability every use case that
gives or shows a membership's roles builds on (members, roles)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from tenantry.application import dto, presenters
from tenantry.application.kernel import Kernel
from tenantry.domain import ids
from tenantry.domain.base import Act
from tenantry.domain.errors import InvalidField
from tenantry.domain.role_scope import RoleScope
from tenantry.domain.roles import RoleBook


class RoleBooks(Kernel):
    """Role books, loaded for reading or for a command."""

    def _role_book(
        self, organization: UUID | None, act: Act | None = None, *, for_update: bool = False
    ) -> tuple[RoleBook, bool]:
        """The book of an organization (``None``: the environment's) and whether it is stored.
        A book never stored is a new, unsaved one opened with ``act`` (to save), or as of the
        epoch when there is no ``act`` (only read, never saved)."""
        book_id = ids.role_book_uuid(organization)
        stored = book_id in self._known_books or any(
            True for _ in self.events.get(book_id, limit=1)
        )
        if stored:
            book = self._get(book_id, RoleBook, for_update=for_update)
            if book is not None:
                self._known_books.add(book_id)
                return book, True
        return RoleBook.open(organization, act or _READ_ONLY), False

    def _role_scope(self, organization: UUID, *, for_update: bool = False) -> RoleScope:
        """The roles ``organization`` sees: its own and the environment's."""
        environment, env_stored = self._role_book(None, for_update=for_update)
        own, org_stored = self._role_book(organization, for_update=for_update)
        return RoleScope(environment, own if org_stored else None, env_stored or org_stored)

    def with_role_details(self, memberships: Sequence[dto.Membership]) -> list[dto.Membership]:
        """Memberships as the read models show them (role names only), with their roles'
        definitions (``role_details``: ``role_`` id, name, display name) and effective
        ``permissions``, as :meth:`get_membership` shows them."""
        if isinstance(memberships, str | bytes) or not isinstance(memberships, Sequence):
            raise InvalidField("memberships", "must be a list of memberships")
        if not all(isinstance(m, dto.Membership) for m in memberships):
            raise InvalidField("memberships", "must be a list of memberships")
        scopes: dict[str, RoleScope] = {}
        out = []
        for m in memberships:
            scope = scopes.get(m.organization_id)
            if scope is None:
                org = ids.decode(ids.ORG, m.organization_id, "organization_id")
                scope = scopes[m.organization_id] = self._role_scope(org)
            out.append(presenters.with_roles(m, scope))
        return out

    @property
    def _known_books(self) -> set[UUID]:
        """Books seen stored (a book, once stored, never goes away): one query fewer."""
        known: set[UUID] = self.__dict__.setdefault("_role_books_seen", set())
        return known


_READ_ONLY: Final = Act(datetime(1970, 1, 1, tzinfo=UTC), "system")
"""The act of a book that is only read, never saved."""
