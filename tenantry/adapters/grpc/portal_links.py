"""``scalekit.v1.organizations.OrganizationService``: admin-portal links — generate one
(``GeneratePortalLink``), list the live ones (``GetPortalLinks``), revoke all
(``DeletePortalLink``) or one (``DeletePortalLinkByID``) — on the application the REST API
serves, with its scopes (``portal_links:…``) and per-client organization restrictions.

A new link's ``location`` is the URL the organization's IT admin opens, under the server's public
base URL (``TENANTRY_SSO_BASE_URL``) as the REST API answers it; it carries the link's secret, so
it is answered this once: a listed link has its id and expiry, never a location. Features are the
request's ``features`` and its older ``sso``/``directory_sync`` flags together; none given: the
application's default (``sso`` and ``dir_sync``)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from typing import Final

from google.protobuf import empty_pb2
from scalekit.v1.organizations import organizations_pb2 as pb

from tenantry.adapters.grpc.calls import Caller
from tenantry.adapters.grpc.service import Work
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField, NothingChanged

SERVICE: Final = pb.DESCRIPTOR.services_by_name["OrganizationService"]
FEATURES: Final = {pb.Feature.Value("sso"): "sso", pb.Feature.Value("dir_sync"): "dir_sync"}
"""The features a link may open that the hosted ``Feature`` enum can name."""


class PortalLinks:
    """The service's portal-link handlers over one application."""

    service = SERVICE

    def __init__(self, t: Tenantry) -> None:
        self.t = t

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        return {
            "GeneratePortalLink": ("portal_links:write", self.generate),
            "GetPortalLinks": ("portal_links:read", self.list),
            "DeletePortalLink": ("portal_links:write", self.revoke_all),
            "DeletePortalLinkByID": ("portal_links:write", self.revoke),
        }

    def generate(
        self, request: pb.GeneratePortalLinkRequest, caller: Caller
    ) -> pb.GeneratePortalLinkResponse:
        org_id = caller.organization(request.id)
        made = self.t.generate_portal_link(org_id, features(request), actor=caller.actor)
        return pb.GeneratePortalLinkResponse(link=_link(made.id, made.expire_time, made.location))

    def list(self, request: pb.GetPortalLinkRequest, caller: Caller) -> pb.GetPortalLinksResponse:
        found = self.t.list_portal_links(caller.organization(request.id))
        return pb.GetPortalLinksResponse(links=[_link(f.id, f.expire_time) for f in found])

    def revoke_all(self, request: pb.DeletePortalLinkRequest, caller: Caller) -> empty_pb2.Empty:
        self.t.revoke_portal_links(caller.organization(request.id), actor=caller.actor)
        return empty_pb2.Empty()

    def revoke(self, request: pb.DeletePortalLinkByIdRequest, caller: Caller) -> empty_pb2.Empty:
        org_id = caller.organization(request.id)
        with suppress(NothingChanged):  # revoked (or over) already: as the REST API answers
            self.t.revoke_portal_link(org_id, request.link_id, actor=caller.actor)
        return empty_pb2.Empty()


def features(request: pb.GeneratePortalLinkRequest) -> list[str] | None:
    """The features a ``GeneratePortalLinkRequest`` asks for; ``None`` when it names none."""
    chosen: list[str] = []
    for value in request.features:
        if value not in FEATURES:
            raise InvalidField("features", f"must each be one of {', '.join(FEATURES.values())}")
        chosen.append(FEATURES[value])
    for flag, name in (("sso", "sso"), ("directory_sync", "dir_sync")):
        if request.HasField(flag) and getattr(request, flag):
            chosen.append(name)
    named = bool(request.features) or request.HasField("sso") or request.HasField("directory_sync")
    return chosen if named else None


def _link(link_id: str, expire_time: datetime, location: str = "") -> pb.Link:
    message = pb.Link(id=link_id, location=location)
    message.expire_time.FromDatetime(expire_time)
    return message
