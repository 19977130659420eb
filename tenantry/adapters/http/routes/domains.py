"""An organization's e-mail domains: add, list, read, verify (DNS TXT record or an admin's
word), delete."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Body, Path, Response

from tenantry.adapters.http import schemas
from tenantry.adapters.http import sso_schemas as s
from tenantry.adapters.http.routing import App, By, OrgId, Routes, json_response, written

routes = Routes("domains")

_DOMAINS: Final = "/api/v1/organizations/{organization_id}/domains"
_DOMAIN: Final = f"{_DOMAINS}/{{domain_id}}"
DomainId = Annotated[str, Path(description="A dom_ id.", max_length=64)]


@routes.get(_DOMAINS, summary="List an organization's domains", response_model=s.DomainList)
def list_domains(t: App, organization_id: OrgId) -> Response:
    return json_response(s.DomainList(domains=t.list_domains(organization_id)))


@routes.post(
    _DOMAINS,
    status_code=201,
    summary="Add a domain (unverified; the answer names the DNS TXT record to publish)",
    response_model=s.DomainResponse,
)
def add_domain(t: App, by: By, organization_id: OrgId, body: s.CreateDomain) -> Response:
    domain = t.add_domain(organization_id, body.domain, **by.kwargs())
    return written(t, s.DomainResponse(domain=domain), 201)


@routes.get(_DOMAIN, summary="Get a domain", response_model=s.DomainResponse)
def get_domain(t: App, organization_id: OrgId, domain_id: DomainId) -> Response:
    return json_response(s.DomainResponse(domain=t.get_domain(organization_id, domain_id)))


@routes.post(
    f"{_DOMAIN}:verify",
    summary="Verify a domain",
    description="`DNS` (the default) looks up the TXT record the domain names "
    "(422 `domain_not_verified` until it is published); `ADMIN` takes the caller's word. A "
    "domain another organization verified is 409 `domain_taken`.",
    response_model=s.DomainResponse,
)
def verify_domain(
    t: App,
    by: By,
    organization_id: OrgId,
    domain_id: DomainId,
    body: Annotated[s.VerifyDomain | None, Body()] = None,
) -> Response:
    method = (body or s.VerifyDomain()).method
    domain = t.verify_domain(organization_id, domain_id, method=method, **by.kwargs())
    return written(t, s.DomainResponse(domain=domain))


@routes.delete(_DOMAIN, summary="Delete a domain", response_model=schemas.Empty)
def delete_domain(t: App, by: By, organization_id: OrgId, domain_id: DomainId) -> Response:
    t.delete_domain(organization_id, domain_id, **by.kwargs())
    return written(t, schemas.Empty())
