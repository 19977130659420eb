"""Access control of the REST routes: the scope each route needs and the organizations a client
may see, enforced before the route runs (the rules are :mod:`tenantry.adapters.auth.scopes`).

The scope of a route follows from its path and method: member paths (``…/users…``,
``/api/v1/memberships/…``, ``/api/v1/invites/…``) are the ``members`` group, SSO paths
(``…/connections…``, ``…/domains…``) the ``connections`` group, SCIM directory paths
(``…/directories…``) the ``directories`` group, admin-portal links (``…/portal_links…``) the
``portal_links`` group, every other the ``organizations`` group;
``GET`` needs ``read``, any other method ``write``, and deleting an organization
``organizations:admin`` (restoring one too). Sign-up (``POST /api/v1/signup``) needs
``organizations:write``. A client restricted to some organizations gets 404
``organization_not_found`` for any other one (as if it did not exist: a restricted client cannot
learn which ids exist), cannot create organizations (403), and its lists and searches hold only
its organizations.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from tenantry.adapters.auth.scopes import Grant
from tenantry.domain.errors import OrganizationNotFound, PermissionDenied

_MEMBER_PATHS: Final = ("/users", "/api/v1/memberships/", "/api/v1/invites/")
_CONNECTION_PATHS: Final = ("/connections", "/domains")
_DIRECTORY_PATHS: Final = ("/directories",)
_PORTAL_LINK_PATHS: Final = ("/portal_links",)
_ORGANIZATION: Final = "/api/v1/organizations/{organization_id}"
_ORGANIZATIONS: Final = "/api/v1/organizations"
_GRANT: Final = "tenantry_grant"
_RESTORE: Final = f"{_ORGANIZATION}:restore"
_SIGN_UP: Final = "/api/v1/signup"
"""Where the guard leaves the caller's grant on ``request.state``."""


class OrganizationsRestricted(PermissionDenied):
    """Raised when a client restricted to some organizations asks to create one."""

    code = "permission_denied"

    def __init__(self) -> None:
        super().__init__("this API client is restricted to its organizations; it cannot create one")


_USERS: Final = "/api/v1/users"
"""The environment-wide users routes (a user may belong to any organization)."""


class UsersRestricted(PermissionDenied):
    """Raised when a client restricted to some organizations asks for the environment-wide
    users routes (it reaches users through its organizations' routes)."""

    code = "permission_denied"

    def __init__(self) -> None:
        super().__init__(
            "this API client is restricted to its organizations; it cannot use /api/v1/users"
        )


def scope_of(method: str, path: str) -> str:
    """The scope a route (``method``, path template, under any prefix) needs."""
    if method == "DELETE" and path.endswith(_ORGANIZATION):
        return "organizations:admin"
    if method == "POST" and path.endswith(_RESTORE):  # undoes an admin's delete
        return "organizations:admin"
    group = "members" if any(part in path for part in _MEMBER_PATHS) else "organizations"
    if any(part in path for part in _CONNECTION_PATHS):
        group = "connections"
    if any(part in path for part in _DIRECTORY_PATHS):  # its users and groups too
        group = "directories"
    if any(part in path for part in _PORTAL_LINK_PATHS):
        group = "portal_links"
    if group == "organizations" and _is_roles_path(path):
        group = "roles"
    return f"{group}:{'read' if method in ('GET', 'HEAD') else 'write'}"


_ROLE_PATHS: Final = ("/api/v1/roles", "/api/v1/organizations/{organization_id}/roles")


def _is_roles_path(path: str) -> bool:
    """A role definitions' route: the environment's or an organization's (a member's roles
    are a member route)."""
    return any(head in path for head in _ROLE_PATHS)


class EnvironmentRolesRestricted(PermissionDenied):
    """Raised when a client restricted to some organizations asks to change environment roles,
    which every organization sees."""

    code = "permission_denied"

    def __init__(self) -> None:
        super().__init__(
            "this API client is restricted to its organizations; it cannot change the "
            "environment's roles"
        )


def grant_of_principal(principal: object) -> Grant:
    """The grant a principal carries; a host application's own principal (anything without a
    ``grant``) may do everything."""
    grant = getattr(principal, "grant", None)
    return grant if isinstance(grant, Grant) else Grant()


def access_guard(
    authenticate: Callable[..., Any],
) -> Callable[..., Coroutine[Any, Any, None]]:
    """The router dependency that refuses a caller lacking the route's scope or organization."""

    async def guard(request: Request, principal: Any = Depends(authenticate)) -> None:  # noqa: B008
        grant = grant_of_principal(principal)
        setattr(request.state, _GRANT, grant)
        route = request.scope.get("route")
        if not isinstance(route, APIRoute):  # pragma: no cover - the router only has APIRoutes
            return
        grant.require(scope_of(request.method, route.path))
        if grant.organizations is None:
            return
        organization_id = request.path_params.get("organization_id")
        if organization_id is not None and not grant.sees(organization_id):
            raise OrganizationNotFound(organization_id)
        if request.method == "POST" and route.path.endswith(_ORGANIZATIONS):
            raise OrganizationsRestricted()
        if request.method == "POST" and route.path.endswith(_SIGN_UP):  # creates one too
            raise OrganizationsRestricted()
        if request.method not in ("GET", "HEAD") and _ROLE_PATHS[0] in route.path:
            raise EnvironmentRolesRestricted()
        if _USERS in route.path:
            raise UsersRestricted()

    return guard


async def _grant(request: Request) -> Grant:
    grant = getattr(request.state, _GRANT, None)
    return grant if isinstance(grant, Grant) else Grant()


Access = Annotated[Grant, Depends(_grant)]
"""The caller's grant, for routes that filter what they answer (lists, lookups by external id)."""
