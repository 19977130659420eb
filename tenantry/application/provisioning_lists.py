"""A directory's users and groups as the management API lists them (a disabled directory's too:
disabling stops provisioning, not what it synced), a page at a time in the order the directory
created them. A page token is the id of the last item of the previous page; if that item has
been deleted since, the next page starts at the first item created after it.

``updated_after`` keeps only the users (groups) whose last change — its ``update_time``: a
create, a replace or patch (an activation change is one), for a group a change of its members
too — is strictly after that time. The roster keeps each one's last change, so the filter reads
no resource but those a roster stored before it kept them does not know yet. Paging is over the
filtered list (a resource that changed after the time still did on the next page) and
``total_size`` counts the filtered list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from uuid import UUID

from tenantry.application.provisioning_dto import (
    DirectoryGroupsPage,
    DirectoryGroupSummary,
    DirectoryUsersPage,
    DirectoryUserSummary,
    GroupRef,
)
from tenantry.application.provisioning_kernel import ProvisioningKernel
from tenantry.domain import arguments, ids, scim_documents
from tenantry.domain.directory import Directory
from tenantry.domain.directory_group import DirectoryGroup
from tenantry.domain.directory_roster import DirectoryRoster, LastChange
from tenantry.domain.directory_user import DirectoryUser
from tenantry.domain.directory_values import source_value
from tenantry.domain.errors import InvalidField

MAX_PAGE_SIZE: Final = 100
T = TypeVar("T")
_NEVER: Final = datetime.min.replace(tzinfo=UTC)


def page_size_of(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise InvalidField("page_size", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return value


def _page(
    order: list[UUID], prefix: str, page_size: int, page_token: str | None
) -> tuple[list[UUID], str]:
    """The ids of one page of ``order`` and the next page's token ("" after the last)."""
    start = 0
    if page_token:
        after = ids.decode(prefix, page_token, "page_token")
        try:
            start = order.index(after) + 1
        except ValueError:
            start = next((i for i, u in enumerate(order) if u > after), len(order))
    chunk = order[start : start + page_size]
    more = start + page_size < len(order)
    return chunk, ids.encode(prefix, chunk[-1]) if more and chunk else ""


class DirectoryListings(ProvisioningKernel):
    """Listing a directory's users and groups (see the module's docstring)."""

    def list_directory_users(
        self,
        organization_id: str,
        directory_id: str,
        *,
        page_size: int = 30,
        page_token: str | None = None,
        updated_after: datetime | None = None,
    ) -> DirectoryUsersPage:
        size = page_size_of(page_size)
        token = None if page_token is None else arguments.text(page_token, "page_token")
        since = _since(updated_after)
        directory, roster = self._listing_target(organization_id, directory_id)
        order = self._listing_order(roster, DirectoryUser, since)
        chunk, after = _page(order, ids.DIRECTORY_USER, size, token)
        users = [
            _user_summary(u, directory, roster)
            for u in self._loaded(chunk, DirectoryUser)
            if roster is not None
        ]
        return DirectoryUsersPage(users=users, next_page_token=after, total_size=len(order))

    def list_directory_groups(
        self,
        organization_id: str,
        directory_id: str,
        *,
        page_size: int = 30,
        page_token: str | None = None,
        updated_after: datetime | None = None,
    ) -> DirectoryGroupsPage:
        size = page_size_of(page_size)
        token = None if page_token is None else arguments.text(page_token, "page_token")
        since = _since(updated_after)
        directory, roster = self._listing_target(organization_id, directory_id)
        order = self._listing_order(roster, DirectoryGroup, since)
        chunk, after = _page(order, ids.DIRECTORY_GROUP, size, token)
        groups = [_group_summary(g, directory) for g in self._loaded(chunk, DirectoryGroup)]
        return DirectoryGroupsPage(groups=groups, next_page_token=after, total_size=len(order))

    def _listing_target(
        self, organization_id: str, directory_id: str
    ) -> tuple[Directory, DirectoryRoster | None]:
        org = self._org(organization_id, for_update=False)
        directory = self._directory(org, directory_id, for_update=False)
        roster_id = DirectoryRoster.create_id(directory.id)
        return directory, self._get(roster_id, DirectoryRoster, for_update=False)

    def _listing_order(
        self,
        roster: DirectoryRoster | None,
        cls: type[DirectoryUser | DirectoryGroup],
        since: datetime | None,
    ) -> list[UUID]:
        """The ids a listing pages through: all of ``cls``'s, or those changed after ``since``."""
        if roster is None:
            return []
        users = cls is DirectoryUser
        if since is None:
            return list(roster.state.users if users else roster.state.groups)
        read = self._last_change(cls)
        if users:
            return roster.users_changed_after(since, read)
        return roster.groups_changed_after(since, read)

    def _last_change(self, cls: type[DirectoryUser | DirectoryGroup]) -> LastChange:
        def read(uid: UUID) -> datetime:
            found = self._get(uid, cls, for_update=False)
            return _NEVER if found is None else found.modified_on

        return read

    def _loaded(self, chunk: Iterable[UUID], cls: type[T]) -> list[T]:
        found = (self._get(uid, cls, for_update=False) for uid in chunk)
        return [r for r in found if r is not None]


def _since(updated_after: datetime | None) -> datetime | None:
    return None if updated_after is None else arguments.moment(updated_after, "updated_after")


def _user_summary(
    user: DirectoryUser, directory: Directory, roster: DirectoryRoster | None
) -> DirectoryUserSummary:
    doc, mapping = user.state.document, directory.state.mapping
    groups = [] if roster is None else roster.groups_of(user.id)
    return DirectoryUserSummary(
        id=user.public_id,
        directory_id=ids.encode(ids.DIRECTORY, directory.id),
        user_id=ids.encode(ids.USER, user.state.user_id),
        email=user.state.email,
        user_name=user.user_name,
        external_id=user.external_id,
        given_name=_named(doc, mapping.given_name),
        family_name=_named(doc, mapping.family_name),
        active=scim_documents.is_active(doc),
        groups=[
            GroupRef(
                id=ids.encode(ids.DIRECTORY_GROUP, g),
                display_name=roster.state.groups[g].display_name,
            )
            for g in groups
            if roster is not None and g in roster.state.groups
        ],
        create_time=user.created_on,
        update_time=user.modified_on,
    )


def _named(document: dict[str, Any], source: str | None) -> str | None:
    return source_value(document, source) if source else None


def _group_summary(group: DirectoryGroup, directory: Directory) -> DirectoryGroupSummary:
    return DirectoryGroupSummary(
        id=group.public_id,
        directory_id=ids.encode(ids.DIRECTORY, directory.id),
        display_name=group.display_name,
        external_id=group.external_id,
        total_users=len(group.state.members),
        create_time=group.created_on,
        update_time=group.modified_on,
    )
