"""``scalekit.v1.connections.ConnectionService``: an organization's SSO connections — create,
get, list (by organization, or by the domain an organization verified), configure, enable,
disable, delete — on the application the REST API serves, with its scopes
(``connections:read`` / ``connections:write``) and its per-client organization restrictions.

``ListConnections`` answers every connection with ``include: "all"``, and only the enabled ones
without it (the hosted default). Enabling an enabled connection, or disabling a disabled one,
answers it as it is; so does an update that changes nothing.

Not served (UNIMPLEMENTED): the environment-level connections (social logins, app and agent
connections: ``*EnvironmentConnection``, ``ListAppConnections``, connection contexts), which
tenantry does not have; ``ListOrganizationConnections`` and ``SearchOrganizationConnections``
(every organization's connections at once: tenantry has no such read model);
``AssignDomainsToConnection`` (tenantry's domains belong to the organization); and
``GetConnectionTestResult`` (tenantry keeps the latest test outcome of a connection, not results
by the hosted test request id)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from google.protobuf import empty_pb2
from scalekit.v1.connections import connections_pb2 as pb

from tenantry.adapters.grpc import connection_messages as messages
from tenantry.adapters.grpc.calls import Caller
from tenantry.adapters.grpc.service import Work
from tenantry.application.app import Tenantry
from tenantry.application.connection_dto import Connection
from tenantry.domain.errors import InvalidField, NothingChanged

SERVICE: Final = pb.DESCRIPTOR.services_by_name["ConnectionService"]
INCLUDE_ALL: Final = "all"


class Connections:
    """The service's handlers over one application."""

    service = SERVICE

    def __init__(self, t: Tenantry) -> None:
        self.t = t

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        return {
            "CreateConnection": ("connections:write", self.create),
            "GetConnection": ("connections:read", self.get),
            "ListConnections": ("connections:read", self.list),
            "UpdateConnection": ("connections:write", self.update),
            "EnableConnection": ("connections:write", self.enable),
            "DisableConnection": ("connections:write", self.disable),
            "DeleteConnection": ("connections:write", self.delete),
        }

    def create(
        self, request: pb.CreateConnectionRequest, caller: Caller
    ) -> pb.CreateConnectionResponse:
        kind, provider = messages.new_connection(request.connection)
        org_id = caller.organization(request.organization_id)
        conn = self.t.create_connection(org_id, kind, provider, actor=caller.actor)
        return pb.CreateConnectionResponse(connection=messages.connection(conn))

    def get(self, request: pb.GetConnectionRequest, caller: Caller) -> pb.GetConnectionResponse:
        conn = self.t.get_connection(caller.organization(request.organization_id), request.id)
        return pb.GetConnectionResponse(connection=messages.connection(conn))

    def list(
        self, request: pb.ListConnectionsRequest, caller: Caller
    ) -> pb.ListConnectionsResponse:
        include = request.include if request.HasField("include") else ""
        if include not in ("", INCLUDE_ALL):
            raise InvalidField("include", f"must be {INCLUDE_ALL!r} or absent (enabled ones)")
        by_org, by_domain = request.HasField("organization_id"), request.HasField("domain")
        if by_org == by_domain:
            raise InvalidField("organization_id", "give either the organization_id or the domain")
        if by_org:
            found = self.t.list_connections(caller.organization(request.organization_id))
        else:
            found = [
                c
                for c in self.t.list_connections_by_domain(request.domain)
                if caller.grant.sees(c.organization_id)
            ]
        return pb.ListConnectionsResponse(
            connections=[messages.listed(c) for c in found if include == INCLUDE_ALL or c.enabled]
        )

    def update(
        self, request: pb.UpdateConnectionRequest, caller: Caller
    ) -> pb.UpdateConnectionResponse:
        org_id = caller.organization(request.organization_id)
        current = self.t.get_connection(org_id, request.id)
        changes = messages.connection_changes(request.connection, current.type)
        try:
            conn = self.t.update_connection(org_id, request.id, **changes, actor=caller.actor)
        except NothingChanged:  # asking for what already is returns it
            conn = self.t.get_connection(org_id, request.id)
        return pb.UpdateConnectionResponse(connection=messages.connection(conn))

    def enable(
        self, request: pb.ToggleConnectionRequest, caller: Caller
    ) -> pb.ToggleConnectionResponse:
        return self._switch(request, caller, self.t.enable_connection)

    def disable(
        self, request: pb.ToggleConnectionRequest, caller: Caller
    ) -> pb.ToggleConnectionResponse:
        return self._switch(request, caller, self.t.disable_connection)

    def delete(self, request: pb.DeleteConnectionRequest, caller: Caller) -> empty_pb2.Empty:
        org_id = caller.organization(request.organization_id)
        self.t.delete_connection(org_id, request.id, actor=caller.actor)
        return empty_pb2.Empty()

    def _switch(
        self,
        request: pb.ToggleConnectionRequest,
        caller: Caller,
        switch: Callable[..., Connection],
    ) -> pb.ToggleConnectionResponse:
        org_id = caller.organization(request.organization_id)
        try:
            conn = switch(org_id, request.id, actor=caller.actor)
        except NothingChanged:
            conn = self.t.get_connection(org_id, request.id)
        return pb.ToggleConnectionResponse(enabled=conn.enabled)
