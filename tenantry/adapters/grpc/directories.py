"""``scalekit.v1.directories.DirectoryService``: an organization's SCIM directories as the hosted
SDKs call them — create, get, list (the SDKs' primary directory is the first, the oldest),
update (name and provider), enable, disable, delete; create and regenerate the SCIM bearer token;
list a directory's users and groups, paged — on the application the REST API serves, with its
``directories`` scopes and per-client organization restrictions.

A token is in the answer of the call that makes it, once, as the hosted API answers it; it is
in no log. The lists take ``updated_after`` (only what changed strictly after it; the total
counts those). What tenantry cannot honour is refused with INVALID_ARGUMENT naming the field
(details, a filter by group, another kind of directory…) rather than ignored; the service's
other methods (group-role assignments by group id, attribute mappings, sync triggers, contexts)
answer UNIMPLEMENTED, naming the method."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from google.protobuf import empty_pb2
from google.protobuf.message import Message
from scalekit.v1.directories import directories_pb2 as pb

from tenantry.adapters.grpc import directory_messages as messages
from tenantry.adapters.grpc.calls import Caller
from tenantry.adapters.grpc.service import Work
from tenantry.application.app import Tenantry
from tenantry.application.directory_dto import Directory
from tenantry.domain.errors import FailedPrecondition, InvalidField, NothingChanged

SERVICE: Final = pb.DESCRIPTOR.services_by_name["DirectoryService"]
P = TypeVar("P")
DEFAULT_PAGE_SIZE: Final = 30
"""A list's page size when the request gives none (the hosted default)."""


class DirectorySecretExists(FailedPrecondition):
    """Raised when CreateDirectorySecret finds a live token: making another would stop it, which
    is what RegenerateDirectorySecret is for."""

    code = "directory_secret_exists"

    def __init__(self, directory_id: str) -> None:
        super().__init__(
            f"directory {directory_id!r} has a live token already; "
            "RegenerateDirectorySecret replaces it"
        )
        self.directory_id = directory_id


USER_FILTERS: Final = {
    "include_detail": "tenantry lists users without their details",
    "directory_group_id": "tenantry lists every user of the directory",
}
GROUP_FILTERS: Final = {
    "include_detail": "tenantry lists groups without their details",
    "include_external_groups": "tenantry has no external groups",
}
"""The lists' optional filters tenantry cannot honour: refused when given (a ``false`` or an
empty one asks for nothing and passes)."""


def refuse_filters(request: Message, filters: Mapping[str, str]) -> None:
    for field, why in filters.items():
        if request.HasField(field) and getattr(request, field):
            raise InvalidField(field, f"not supported: {why}")


class Directories:
    """The service's handlers over one application."""

    service = SERVICE

    def __init__(self, t: Tenantry) -> None:
        self.t = t

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        return {
            "CreateDirectory": ("directories:write", self.create),
            "GetDirectory": ("directories:read", self.get),
            "ListDirectories": ("directories:read", self.list),
            "UpdateDirectory": ("directories:write", self.update),
            "EnableDirectory": ("directories:write", self.enable),
            "DisableDirectory": ("directories:write", self.disable),
            "DeleteDirectory": ("directories:write", self.delete),
            "CreateDirectorySecret": ("directories:write", self.create_secret),
            "RegenerateDirectorySecret": ("directories:write", self.regenerate_secret),
            "ListDirectoryUsers": ("directories:read", self.list_users),
            "ListDirectoryGroups": ("directories:read", self.list_groups),
        }

    def _public(self, found: Directory) -> pb.Directory:
        return messages.directory(found.at(self.t.sso_config.base_url))

    def create(
        self, request: pb.CreateDirectoryRequest, caller: Caller
    ) -> pb.CreateDirectoryResponse:
        org_id = caller.organization(request.organization_id)
        messages.scim_type(request.directory.directory_type, "directory.directory_type")
        label = messages.provider(
            request.directory.directory_provider, "directory.directory_provider"
        )
        created = self.t.create_directory(org_id, label, actor=caller.actor)
        return pb.CreateDirectoryResponse(directory=self._public(created))

    def get(self, request: pb.GetDirectoryRequest, caller: Caller) -> pb.GetDirectoryResponse:
        org_id = caller.organization(request.organization_id)
        found = self.t.get_directory(org_id, request.id)
        return pb.GetDirectoryResponse(directory=self._public(found))

    def list(
        self, request: pb.ListDirectoriesRequest, caller: Caller
    ) -> pb.ListDirectoriesResponse:
        found = self.t.list_directories(caller.organization(request.organization_id))
        return pb.ListDirectoriesResponse(directories=[self._public(d) for d in found])

    def update(
        self, request: pb.UpdateDirectoryRequest, caller: Caller
    ) -> pb.UpdateDirectoryResponse:
        """Changes the name (an empty or blank one: unchanged; a name cannot be cleared here, the
        REST API can) and the provider (unspecified: unchanged). Enabling, a status, attribute
        mappings and tracked groups are not changes this call makes in tenantry: refused."""
        org_id = caller.organization(request.organization_id)
        given = request.directory
        messages.scim_type(given.directory_type, "directory.directory_type")
        if given.enabled:
            raise InvalidField("directory.enabled", "EnableDirectory enables a directory")
        if given.status != pb.DIRECTORY_STATUS_UNSPECIFIED:
            raise InvalidField("directory.status", "tenantry's directories have no such status")
        if given.mappings:
            raise InvalidField("directory.mappings", "not supported; the REST API sets mapping")
        if given.groups:
            raise InvalidField("directory.groups", "tenantry tracks every group a directory sends")
        provider = None
        if given.directory_provider != pb.DIRECTORY_PROVIDER_UNSPECIFIED:
            provider = messages.provider(given.directory_provider, "directory.directory_provider")
        changes: dict[str, Any] = {"name": given.name} if given.name.strip() else {}
        try:
            updated = self.t.update_directory(
                org_id, request.id, provider=provider, **changes, actor=caller.actor
            )
        except NothingChanged:  # asking for what already is returns it
            updated = self.t.get_directory(org_id, request.id)
        return pb.UpdateDirectoryResponse(directory=self._public(updated))

    def enable(
        self, request: pb.ToggleDirectoryRequest, caller: Caller
    ) -> pb.ToggleDirectoryResponse:
        return self._toggle(request, caller, self.t.enable_directory)

    def disable(
        self, request: pb.ToggleDirectoryRequest, caller: Caller
    ) -> pb.ToggleDirectoryResponse:
        return self._toggle(request, caller, self.t.disable_directory)

    def _toggle(
        self, request: pb.ToggleDirectoryRequest, caller: Caller, switch: Callable[..., Directory]
    ) -> pb.ToggleDirectoryResponse:
        """Enabling an enabled directory (or disabling a disabled one) answers it as it is."""
        org_id = caller.organization(request.organization_id)
        try:
            found = switch(org_id, request.id, actor=caller.actor)
        except NothingChanged:
            found = self.t.get_directory(org_id, request.id)
        return pb.ToggleDirectoryResponse(enabled=found.enabled)

    def delete(self, request: pb.DeleteDirectoryRequest, caller: Caller) -> empty_pb2.Empty:
        org_id = caller.organization(request.organization_id)
        self.t.delete_directory(org_id, request.id, actor=caller.actor)
        return empty_pb2.Empty()

    def create_secret(
        self, request: pb.CreateDirectorySecretRequest, caller: Caller
    ) -> pb.CreateDirectorySecretResponse:
        """The directory's first token (or its first since all expired or were revoked)."""
        org_id = caller.organization(request.organization_id)
        found = self.t.get_directory(org_id, request.directory_id)
        if any(s.status == "ACTIVE" for s in found.secrets):
            raise DirectorySecretExists(found.id)
        plain, record = self._new_secret(org_id, request.directory_id, caller)
        return pb.CreateDirectorySecretResponse(plain_secret=plain, secret=record)

    def regenerate_secret(
        self, request: pb.RegenerateDirectorySecretRequest, caller: Caller
    ) -> pb.RegenerateDirectorySecretResponse:
        """A new token; the directory's older ones stop at once."""
        org_id = caller.organization(request.organization_id)
        plain, record = self._new_secret(org_id, request.directory_id, caller)
        return pb.RegenerateDirectorySecretResponse(plain_secret=plain, secret=record)

    def _new_secret(self, org_id: str, directory_id: str, caller: Caller) -> tuple[str, pb.Secret]:
        found, token = self.t.create_directory_secret(org_id, directory_id, actor=caller.actor)
        return token, messages.secret(found.secrets[-1], found.id)

    def list_users(
        self, request: pb.ListDirectoryUsersRequest, caller: Caller
    ) -> pb.ListDirectoryUsersResponse:
        page = self._page(request, caller, USER_FILTERS, self.t.list_directory_users)
        return pb.ListDirectoryUsersResponse(
            users=[messages.user(u) for u in page.users],
            total_size=page.total_size,
            next_page_token=page.next_page_token,
        )

    def list_groups(
        self, request: pb.ListDirectoryGroupsRequest, caller: Caller
    ) -> pb.ListDirectoryGroupsResponse:
        page = self._page(request, caller, GROUP_FILTERS, self.t.list_directory_groups)
        return pb.ListDirectoryGroupsResponse(
            groups=[messages.group(g) for g in page.groups],
            total_size=page.total_size,
            next_page_token=page.next_page_token,
        )

    def _page(
        self, request: Any, caller: Caller, filters: Mapping[str, str], lister: Callable[..., P]
    ) -> P:
        """One page of a directory's users or groups (the default size when none is given;
        those changed after ``updated_after`` if it is given), once no filter tenantry cannot
        honour is given."""
        org_id = caller.organization(request.organization_id)
        refuse_filters(request, filters)
        return lister(
            org_id,
            request.directory_id,
            page_size=int(request.page_size) or DEFAULT_PAGE_SIZE,
            page_token=request.page_token or None,
            updated_after=_updated_after(request),
        )


def _updated_after(request: Any) -> datetime | None:
    if not request.HasField("updated_after"):
        return None
    try:
        moment: datetime = request.updated_after.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidField(
            "updated_after", "must be a Timestamp within the years 1-9999, nanos 0-999999999"
        ) from None
    return moment
