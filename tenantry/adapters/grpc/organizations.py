"""``scalekit.v1.organizations.OrganizationService``: the calls the hosted SDKs make for
organizations — create, get (by id or external id), list (``ListOrganization``, paged), search
(``SearchOrganization``), update (by id or external id), delete — on the application the REST API
serves, with its scopes and its per-client organization restrictions. The service's other
methods answer UNIMPLEMENTED, naming the method."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from google.protobuf import empty_pb2
from scalekit.v1.organizations import organizations_pb2 as pb

from tenantry.adapters.grpc import messages
from tenantry.adapters.grpc.calls import Caller
from tenantry.adapters.grpc.service import Work
from tenantry.adapters.projections.store import ProjectionStore
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.domain.errors import NothingChanged, OrganizationNotFound, PermissionDenied

SERVICE: Final = pb.DESCRIPTOR.services_by_name["OrganizationService"]
READ_TIMEOUT: Final = 5.0
"""How long a list waits for the read model to include every write acknowledged before it."""


class OrganizationsRestricted(PermissionDenied):
    """Raised when a client restricted to some organizations asks to create one."""

    def __init__(self) -> None:
        super().__init__("this API client is restricted to its organizations; it cannot create one")


class Organizations:
    """The service's handlers over one application and its read models."""

    service = SERVICE

    def __init__(self, t: Tenantry, views: ProjectionStore) -> None:
        self.t, self.views = t, views

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        return {
            "CreateOrganization": ("organizations:write", self.create),
            "GetOrganization": ("organizations:read", self.get),
            "GetOrganizationByExternalId": ("organizations:read", self.get),
            "ListOrganization": ("organizations:read", self.list),
            "SearchOrganization": ("organizations:read", self.search),
            "UpdateOrganization": ("organizations:write", self.update),
            "DeleteOrganization": ("organizations:admin", self.delete),
        }

    def _find(self, request: Any, caller: Caller) -> dto.Organization:
        which, value = messages.identity(request)
        if which == "id":
            return self.t.get_organization(caller.organization(value))
        org = self.t.get_organization_by_external_id(value)
        if not caller.grant.sees(org.id):
            raise OrganizationNotFound(value)
        return org

    def create(
        self, request: pb.CreateOrganizationRequest, caller: Caller
    ) -> pb.CreateOrganizationResponse:
        if caller.grant.organizations is not None:
            raise OrganizationsRestricted()
        fields = messages.new_organization(request.organization)
        org = self.t.create_organization(fields.pop("display_name"), **fields, actor=caller.actor)
        return pb.CreateOrganizationResponse(organization=messages.organization(org))

    def get(self, request: pb.GetOrganizationRequest, caller: Caller) -> pb.GetOrganizationResponse:
        return pb.GetOrganizationResponse(
            organization=messages.organization(self._find(request, caller))
        )

    def list(
        self, request: pb.ListOrganizationsRequest, caller: Caller
    ) -> pb.ListOrganizationsResponse:
        page = self.views.list_organizations(
            page_size=request.page_size or None,
            page_token=request.page_token or None,
            external_id=request.external_id if request.HasField("external_id") else None,
            within=caller.grant.organizations,
            min_position=self.views.head(),
            timeout=READ_TIMEOUT,
        )
        return pb.ListOrganizationsResponse(
            organizations=[messages.organization(o) for o in page.organizations],
            next_page_token=page.next_page_token,
            prev_page_token=page.prev_page_token,
            total_size=page.total_size,
        )

    def search(
        self, request: pb.SearchOrganizationsRequest, caller: Caller
    ) -> pb.SearchOrganizationsResponse:
        page = self.views.search_organizations(
            request.query,
            page_size=request.page_size or None,
            page_token=request.page_token or None,
            within=caller.grant.organizations,
            min_position=self.views.head(),
            timeout=READ_TIMEOUT,
        )
        return pb.SearchOrganizationsResponse(
            organizations=[messages.organization(o) for o in page.organizations],
            next_page_token=page.next_page_token,
            prev_page_token=page.prev_page_token,
            total_size=page.total_size,
        )

    def update(
        self, request: pb.UpdateOrganizationRequest, caller: Caller
    ) -> pb.UpdateOrganizationResponse:
        changes = messages.organization_changes(request.organization)
        org_id = self._find(request, caller).id
        try:
            org = self.t.update_organization(org_id, **changes, actor=caller.actor)
        except NothingChanged:  # asking for what already is returns it
            org = self.t.get_organization(org_id)
        return pb.UpdateOrganizationResponse(organization=messages.organization(org))

    def delete(self, request: pb.DeleteOrganizationRequest, caller: Caller) -> empty_pb2.Empty:
        org_id = self._find(request, caller).id
        self.t.delete_organization(org_id, actor=caller.actor)
        return empty_pb2.Empty()
