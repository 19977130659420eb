"""tenantry's organization domains as the hosted API's protobuf messages, and the parts of its
domain requests tenantry can honour.

A tenantry domain is what the hosted API calls an ``ORGANIZATION_DOMAIN``: one that routes
sign-in (home-realm discovery) once verified. tenantry has no ``ALLOWED_EMAIL_DOMAIN`` (a
trusted domain suggesting an organization to join), so a request naming that type is refused
rather than answered as if it were the other kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from google.protobuf.message import Message
from scalekit.v1.domains import domains_pb2 as pb

from tenantry.application.connection_dto import OrganizationDomain
from tenantry.domain.errors import InvalidField

_STATUS: Final = {"PENDING": pb.PENDING, "VERIFIED": pb.VERIFIED}
_SERVED_TYPES: Final = (pb.DOMAIN_TYPE_UNSPECIFIED, pb.ORGANIZATION_DOMAIN)
MAX_PAGE_SIZE: Final = 100


def domain(found: OrganizationDomain) -> pb.Domain:
    """The hosted ``Domain``: the TXT record to publish is ``txt_record_key`` (its name) and
    ``txt_record_secret`` (its value: public once published, not a credential)."""
    message = pb.Domain(
        id=found.id,
        domain=found.domain,
        organization_id=found.organization_id,
        txt_record_key=found.verification.txt_record_name,
        txt_record_secret=found.verification.txt_record_value,
        verification_status=_STATUS[found.verification_status],
        domain_type=pb.ORGANIZATION_DOMAIN,
        verification_method=found.verification_method,
    )
    message.create_time.FromDatetime(found.create_time)
    message.update_time.FromDatetime(found.update_time)
    return message


def served_type(domain_type: int, field: str) -> None:
    """Refuses a domain type tenantry does not have (see the module's docstring)."""
    if domain_type not in _SERVED_TYPES:
        name = pb.DomainType.Name(domain_type) if domain_type in pb.DomainType.values() else "?"
        raise InvalidField(
            field,
            f"{name} is not supported: tenantry's domains are ORGANIZATION_DOMAIN "
            "(verified by DNS, used for SSO discovery)",
        )


def no_connection(request: Message) -> None:
    """Refuses ``connection_id``: tenantry's domains belong to the organization, not to one of
    its connections."""
    if request.HasField("connection_id"):
        raise InvalidField(
            "connection_id", "domains belong to the organization in tenantry, not to a connection"
        )


def page(
    request: pb.ListDomainRequest, found: Sequence[OrganizationDomain]
) -> pb.ListDomainResponse:
    """One page of ``found``: ``page_number`` counts from 1; without ``page_size``, every
    domain on one page."""
    if request.HasField("include"):
        raise InvalidField("include", "tenantry lists every domain; it takes no include filter")
    size = request.page_size.value if request.HasField("page_size") else 0
    number = request.page_number.value if request.HasField("page_number") else 1
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise InvalidField("page_size", f"must be 1-{MAX_PAGE_SIZE}")
    if number < 1:
        raise InvalidField("page_number", "must be 1 or more")
    per_page = size or max(len(found), 1)
    chosen = found[(number - 1) * per_page : number * per_page]
    return pb.ListDomainResponse(
        page_size=per_page, page_number=number, domains=[domain(d) for d in chosen]
    )
