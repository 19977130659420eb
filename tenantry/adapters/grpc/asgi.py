"""The gRPC services as one ASGI application, and the dispatcher that serves it beside the REST
API on one port: a request whose content type is ``application/grpc…`` goes to the services,
every other request (HTTP/1.1 or HTTP/2) to the REST API.

The gRPC protocol itself (framing, trailers, ``grpc-status-details-bin``, deadlines, compression)
is connect-python's; it needs a server with HTTP/2 and ASGI response trailers (Hypercorn)."""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Mapping
from typing import Any, Final, cast
from urllib.parse import quote

from connectrpc.server import ConnectASGIApplication, Endpoint
from google.rpc.status_pb2 import Status
from scalekit.v1.errdetails.errdetails_pb2 import ErrorInfo

from tenantry.adapters.auth.clients import ClientAuth
from tenantry.adapters.grpc.connections import Connections
from tenantry.adapters.grpc.directories import Directories
from tenantry.adapters.grpc.domains import Domains
from tenantry.adapters.grpc.organization_settings import OrganizationSettings
from tenantry.adapters.grpc.organizations import Organizations
from tenantry.adapters.grpc.portal_links import PortalLinks
from tenantry.adapters.grpc.roles import Roles
from tenantry.adapters.grpc.service import UNIMPLEMENTED_CODE, Handlers, endpoints
from tenantry.adapters.grpc.users import Users
from tenantry.adapters.projections.store import ProjectionStore
from tenantry.application.app import Tenantry

Scope = Mapping[str, Any]
ASGI = Any  # an ASGI application: async (scope, receive, send) -> None

HOSTED_PREFIX: Final = "/scalekit."
"""The hosted API's services: those tenantry does not serve yet are named as such."""

UNIMPLEMENTED: Final = 12
"""The gRPC status of a service or method tenantry does not serve."""


class _Services(ConnectASGIApplication[Mapping[str, Endpoint[Any, Any]]]):
    """connect-python's ASGI application over endpoints of several services, by path."""

    def __init__(self, endpoints: Mapping[str, Endpoint[Any, Any]]) -> None:
        # Endpoint.unary's endpoints are connect's own closed union of endpoint kinds.
        super().__init__(service=endpoints, endpoints=lambda e: cast(Any, e))
        self._paths = frozenset(endpoints)

    @property
    def path(self) -> str:
        return "/"

    def serves(self, path: str) -> bool:
        return path in self._paths


def grpc_services(t: Tenantry, clients: ClientAuth, views: ProjectionStore) -> _Services:
    """Every gRPC service tenantry serves."""
    served: list[Handlers] = [
        Organizations(t, views),
        OrganizationSettings(t),
        PortalLinks(t),
        Users(t, views),
        Domains(t),
        Connections(t),
        Roles(t),
        Directories(t),
    ]
    return _Services(endpoints(clients, served))


def _is_grpc(scope: Scope) -> bool:
    if scope["type"] != "http":
        return False
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bool(value.startswith(b"application/grpc"))
    return False


def with_grpc(rest: ASGI, services: _Services) -> ASGI:
    """One ASGI application: gRPC calls to ``services``, the rest (and the lifespan) to
    ``rest``. A gRPC call to a service or method not served answers UNIMPLEMENTED naming it."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if not _is_grpc(scope):
            await rest(scope, receive, send)
        elif scope.get("http_version") != "2":
            await _needs_http2(send)
        elif services.serves(scope["path"]):
            await services(scope, receive, send)
        else:
            await _drain(receive)
            await _unimplemented(scope["path"], send)

    return app


async def _drain(receive: Any) -> None:
    """Reads the call's request to its end before answering it. Answered with its request
    unread, a call left the connection so that the Node SDK's next call on it was reset
    (``CANCEL``)."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _needs_http2(send: Any) -> None:
    """gRPC over HTTP/1.1 (it needs HTTP/2's trailers): 505, saying so."""
    body = b"gRPC needs HTTP/2: TLS with ALPN h2, or h2c with prior knowledge\n"
    await send(
        {
            "type": "http.response.start",
            "status": 505,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _unimplemented(path: str, send: Any) -> None:
    """A gRPC answer with no message: UNIMPLEMENTED in the trailers, with its ``ErrorInfo``."""
    method = path.strip("/").replace("/", ".") or "(none)"
    if path.startswith(HOSTED_PREFIX):
        message = f"{method} is not implemented by tenantry yet"
    else:
        message = f"{method} is not a method tenantry serves"
    status = Status(code=UNIMPLEMENTED, message=message)
    status.details.add().Pack(ErrorInfo(error_code=UNIMPLEMENTED_CODE))
    details = b64encode(status.SerializeToString()).rstrip(b"=")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/grpc")],
            "trailers": True,
        }
    )
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    await send(
        {
            "type": "http.response.trailers",
            "headers": [
                (b"grpc-status", str(UNIMPLEMENTED).encode()),
                (b"grpc-message", quote(message, safe="").encode()),
                (b"grpc-status-details-bin", details),
            ],
            "more_trailers": False,
        }
    )
