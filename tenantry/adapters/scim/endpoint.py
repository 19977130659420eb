"""One directory's SCIM 2.0 endpoint, without a web framework: a :class:`ScimRequest` in (its
``base_url`` is the directory's SCIM base URL, ``{server}/scim/v2/{directory_id}``), a
:class:`ScimResponse` out, always: a refusal is a SCIM error body (``schemas``, ``status`` as a
string, ``scimType``, ``detail``).

Every request but ``GET /ServiceProviderConfig`` (which RFC 7644 §4 lets clients read first)
carries the directory's token, ``Authorization: Bearer <token>``: missing or wrong answers 401
with ``WWW-Authenticate: Bearer``, a directory that is not active 403. The token is compared by
the application (``authenticate_directory``) and is never logged nor echoed.

The application is synchronous: an HTTP surface runs :meth:`ScimEndpoint.answer` in a worker
thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final, Protocol

from scim2_models import PreconditionFailedException, SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation
from scim2_server.storage import ScimStorage

from tenantry.adapters.scim import quirks
from tenantry.adapters.scim.errors import scim_error
from tenantry.adapters.scim.provider import TenantryScimService, scim_provider
from tenantry.domain.errors import TenantryError

RACE_ATTEMPTS: Final = 3
"""How many times a PATCH, PUT or DELETE without ``If-Match`` is applied when a concurrent write
of another process keeps changing the resource between its read and its write."""


class DirectoryAuthentication(Protocol):
    """What the endpoint needs of the application: the check of a directory's token."""

    def authenticate_directory(self, directory_id: str, token: str) -> Any: ...


class ScimEndpoint:
    """Answers SCIM requests for any directory: ``app`` checks the tokens, ``storage_for`` builds
    a directory's storage (:class:`~tenantry.adapters.scim.storage.DirectoryStorage` over the
    application)."""

    def __init__(
        self, app: DirectoryAuthentication, storage_for: Callable[[str], ScimStorage]
    ) -> None:
        self.app = app
        self.service = TenantryScimService(scim_provider())
        self.storage_for = storage_for

    def answer(self, directory_id: str, request: ScimRequest) -> ScimResponse:
        """The response to ``request`` on the directory ``directory_id``; raises only what the
        application cannot answer (a database that is down, a bug)."""
        try:
            return self._answer(directory_id, request)
        except SCIMException as e:
            return self.error(e)
        except TenantryError as e:
            return self.error(scim_error(e))

    def error(self, e: SCIMException) -> ScimResponse:
        """The SCIM error response of ``e`` (with ``WWW-Authenticate`` on a 401)."""
        return self.service.error_response(e)

    def _answer(self, directory_id: str, request: ScimRequest) -> ScimResponse:
        if self._needs_token(request):
            request = replace(request, subject=self._authenticate(directory_id, request))
        body = quirks.normalized(request.method, request.path, request.body)
        handler = ScimHandler(self.service, self.storage_for(directory_id))
        request = replace(request, body=body)
        unconditional = not (request.header("If-Match") or request.header("If-None-Match"))
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                return handler.handle(request)
            except PreconditionFailedException:
                # Without a condition of the client's, a 412 means another process wrote the
                # resource between this request's read and its write: apply it again.
                if not unconditional or attempt == RACE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _needs_token(self, request: ScimRequest) -> bool:
        try:
            operation = self.service.match(request).operation
        except SCIMException:
            return True  # an unknown path is answered only to an authenticated caller
        return operation is not Operation.service_provider_config

    def _authenticate(self, directory_id: str, request: ScimRequest) -> Any:
        scheme, _, token = (request.header("Authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedException(detail="send the directory's token: Authorization: Bearer")
        return self.app.authenticate_directory(directory_id, token)
