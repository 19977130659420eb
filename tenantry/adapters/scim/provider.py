"""What the SCIM endpoint serves and announces: the User (with the enterprise extension) and Group
resource types, the service provider configuration, and the protocol steps tenantry changes.

Announced: PATCH, filters (at most :data:`MAX_RESULTS` resources a page), sorting, ETags and Bulk
(with ``failOnErrors``; each operation is its own transaction, as RFC 7644 §3.7 allows: a bulk
request is not atomic). Not announced: changing passwords (tenantry holds none).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    External,
    Filter,
    Group,
    Patch,
    Reference,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService

MAX_RESULTS: Final = 1000
"""The largest page a search answers (``count`` above it is lowered to it)."""
BULK_MAX_OPERATIONS: Final = 100
BULK_MAX_PAYLOAD_BYTES: Final = 1024 * 1024
MAX_BODY_BYTES: Final = BULK_MAX_PAYLOAD_BYTES
"""The largest request body the endpoint reads (a larger one answers 413)."""

BEARER: Final = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="Bearer token",
    description="The directory's SCIM token, in the header 'Authorization: Bearer <token>'",
    spec_uri=Reference[External]("https://www.rfc-editor.org/rfc/rfc6750"),
    primary=True,
)

CONFIG: Final = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(
        supported=True,
        max_operations=BULK_MAX_OPERATIONS,
        max_payload_size=BULK_MAX_PAYLOAD_BYTES,
    ),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=True),
    etag=ETag(supported=True),
    authentication_schemes=[BEARER],
)

USER_MODEL: Final[type[Resource[Any]]] = User[EnterpriseUser]
GROUP_MODEL: Final[type[Resource[Any]]] = Group


def scim_provider() -> ScimProvider:
    """The resources and the configuration of every directory's endpoint. The resource types'
    endpoints are relative (``/Users``, ``/Groups``): some clients refuse absolute ones."""
    return ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[
            ResourceType.from_resource(USER_MODEL),
            ResourceType.from_resource(GROUP_MODEL),
        ],
        config=CONFIG,
    )


class TenantryScimService(ScimService):
    """scim2-server's protocol steps, with PATCH answering 200 and the resource: RFC 7644 allows
    204, but Okta expects the resource and every known client accepts it."""

    def patch_response(
        self,
        base_url: str,
        resource: Resource[Any],
        response_parameters: ResponseParameters[Any],
    ) -> ScimResponse:
        return self.resource_response(
            self.publish(base_url, resource),
            Context.RESOURCE_REPLACEMENT_RESPONSE,
            response_parameters,
            HTTPStatus.OK,
        )
