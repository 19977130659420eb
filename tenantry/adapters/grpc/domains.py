"""``scalekit.v1.domains.DomainService``: an organization's domains — create, get, list, delete,
and verify by the DNS TXT record the domain names — on the application the REST API serves,
with its scopes (``connections:read`` / ``connections:write``) and its per-client organization
restrictions. The organization is named by id or by external id (the ``identities`` oneof).

``VerifyDomain`` answers ``verified: false`` while DNS lacks the record (the REST API's
``domain_not_verified``), and ``verified: true`` once it holds it or the domain already is
verified; a domain another organization verified is refused (``domain_taken``).
``UpdateDomain`` (its message has no field) and ``ListAuthorizedDomains`` (the admin portal's
origins) answer UNIMPLEMENTED."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from google.protobuf import empty_pb2
from scalekit.v1.domains import domains_pb2 as pb

from tenantry.adapters.grpc import domain_messages as messages
from tenantry.adapters.grpc.calls import Caller
from tenantry.adapters.grpc.service import Work
from tenantry.application.app import Tenantry
from tenantry.domain.connection_errors import DomainNotVerified
from tenantry.domain.errors import InvalidField, OrganizationNotFound

SERVICE: Final = pb.DESCRIPTOR.services_by_name["DomainService"]


def organization_of(t: Tenantry, request: Any, caller: Caller) -> str:
    """The id of the organization a request names (by id or external id), if the caller may
    see it; else not found, as if it did not exist."""
    which = request.WhichOneof("identities")
    if which is None:
        raise InvalidField("organization_id", "give the organization's id or external_id")
    value: str = getattr(request, which)
    if which == "organization_id":
        return caller.organization(value)
    org_id = t.get_organization_by_external_id(value).id
    if not caller.grant.sees(org_id):
        raise OrganizationNotFound(value)
    return org_id


class Domains:
    """The service's handlers over one application."""

    service = SERVICE

    def __init__(self, t: Tenantry) -> None:
        self.t = t

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        return {
            "CreateDomain": ("connections:write", self.create),
            "GetDomain": ("connections:read", self.get),
            "ListDomains": ("connections:read", self.list),
            "DeleteDomain": ("connections:write", self.delete),
            "VerifyDomain": ("connections:write", self.verify),
        }

    def create(self, request: pb.CreateDomainRequest, caller: Caller) -> pb.CreateDomainResponse:
        messages.no_connection(request)
        messages.served_type(request.domain.domain_type, "domain.domain_type")
        org_id = organization_of(self.t, request, caller)
        added = self.t.add_domain(org_id, request.domain.domain, actor=caller.actor)
        return pb.CreateDomainResponse(domain=messages.domain(added))

    def get(self, request: pb.GetDomainRequest, caller: Caller) -> pb.GetDomainResponse:
        org_id = organization_of(self.t, request, caller)
        return pb.GetDomainResponse(domain=messages.domain(self.t.get_domain(org_id, request.id)))

    def list(self, request: pb.ListDomainRequest, caller: Caller) -> pb.ListDomainResponse:
        messages.no_connection(request)
        messages.served_type(request.domain_type, "domain_type")
        org_id = organization_of(self.t, request, caller)
        return messages.page(request, self.t.list_domains(org_id))

    def delete(self, request: pb.DeleteDomainRequest, caller: Caller) -> empty_pb2.Empty:
        messages.no_connection(request)
        org_id = organization_of(self.t, request, caller)
        self.t.delete_domain(org_id, request.id, actor=caller.actor)
        return empty_pb2.Empty()

    def verify(self, request: pb.VerifyDomainRequest, caller: Caller) -> pb.VerifyDomainResponse:
        org_id = organization_of(self.t, request, caller)
        if self.t.get_domain(org_id, request.id).verification_status == "VERIFIED":
            return pb.VerifyDomainResponse(verified=True)
        try:
            self.t.verify_domain(org_id, request.id, method="DNS", actor=caller.actor)
        except DomainNotVerified:
            return pb.VerifyDomainResponse(verified=False)
        return pb.VerifyDomainResponse(verified=True)
