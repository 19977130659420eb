"""The domain pages (feature ``domain_verification``): add a domain, see the TXT record to
publish (its name and value, with copy buttons), verify it by DNS (the host's resolver, or the
servers of ``TENANTRY_DNS_NAMESERVERS``), see its status, remove it. Every write goes through
the application with the session's actor; a refusal is shown next to the field it names (a
verification that found no record says what it found) and records nothing."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse

from tenantry.adapters.http.errors import status_for
from tenantry.adapters.web.console import Console, ConsoleDep, both
from tenantry.adapters.web.context import tenantry_of
from tenantry.adapters.web.csrf import CheckedForm, text_of
from tenantry.adapters.web.pages import page_router
from tenantry.adapters.web.portal_forms import errors_of, notice_of
from tenantry.adapters.web.templating import render
from tenantry.application.app import Tenantry
from tenantry.application.connection_dto import OrganizationDomain
from tenantry.domain.errors import TenantryError

router = page_router()

FEATURE: Final = "domain_verification"
NOTICES: Final = {
    "verified": "The domain is verified.",
    "added": "The domain is added. Publish its TXT record, then verify it.",
    "deleted": "The domain is removed.",
}
Done = Annotated[str | None, Query(max_length=20)]


def _scoped(request: Request, console: Console) -> Tenantry:
    console.require(FEATURE)
    return tenantry_of(request)


def domains_page(request: Request, console: ConsoleDep, done: Done = None) -> Response:
    t = _scoped(request, console)
    return _list(request, console, t, notice=notice_of(NOTICES, done))


def _list(
    request: Request,
    console: Console,
    t: Tenantry,
    *,
    errors: dict[str, str] | None = None,
    given: str = "",
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "domains/list.html",
        {
            "console": console,
            "domains": t.list_domains(console.organization_id),
            "errors": errors or {},
            "given": given,
            "notice": notice,
        },
        status_code=status_code,
    )


def add_domain(request: Request, console: ConsoleDep, form: CheckedForm) -> Response:
    t = _scoped(request, console)
    given = text_of(form, "domain") or ""
    try:
        added = t.add_domain(console.organization_id, given, actor=console.session.actor)
    except TenantryError as error:
        errors = errors_of(error, {"domain": "domain"})
        if "" in errors and hasattr(error, "domain"):  # taken or listed already: that field
            errors = {"domain": errors[""]}
        return _list(request, console, t, errors=errors, given=given, status_code=status_for(error))
    return RedirectResponse(console.url(f"/domains/{added.id}?done=added"), 303)


def domain_page(
    request: Request, console: ConsoleDep, domain_id: str, done: Done = None
) -> Response:
    t = _scoped(request, console)
    domain = t.get_domain(console.organization_id, domain_id)
    verified = done == "verified" and domain.verification_status == "VERIFIED"
    return _detail(
        request,
        console,
        domain,
        notice=notice_of(NOTICES, done),
        step="domain.verified" if verified else None,
    )


def _detail(
    request: Request,
    console: Console,
    domain: OrganizationDomain,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    step: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "domains/detail.html",
        {
            "console": console,
            "domain": domain,
            "errors": errors or {},
            "notice": notice,
            "completed_step": step,
        },
        status_code=status_code,
    )


def verify_domain(
    request: Request, console: ConsoleDep, domain_id: str, _: CheckedForm
) -> Response:
    """Looks the TXT record up; on success back to the domain's page (the step is done)."""
    t = _scoped(request, console)
    try:
        t.verify_domain(console.organization_id, domain_id, actor=console.session.actor)
    except TenantryError as error:
        domain = t.get_domain(console.organization_id, domain_id)
        return _detail(
            request, console, domain, errors={"": error.message}, status_code=status_for(error)
        )
    return RedirectResponse(console.url(f"/domains/{domain_id}?done=verified"), 303)


def delete_domain(
    request: Request, console: ConsoleDep, domain_id: str, _: CheckedForm
) -> Response:
    t = _scoped(request, console)
    t.delete_domain(console.organization_id, domain_id, actor=console.session.actor)
    return RedirectResponse(console.url("/domains?done=deleted"), 303)


_ONE: Final = "/domains/{domain_id}"
both(router, "/domains", domains_page, name="domains")
both(router, "/domains", add_domain, methods=("POST",), name="domains.add")
both(router, _ONE, domain_page, name="domain")
both(router, f"{_ONE}/verify", verify_domain, methods=("POST",), name="domain.verify")
both(router, f"{_ONE}/delete", delete_domain, methods=("POST",), name="domain.delete")
