"""tenantry's organizations as the hosted API's protobuf messages, and back."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from scalekit.v1.commons.commons_pb2 import RegionCode
from scalekit.v1.organizations import organizations_pb2 as pb

from tenantry.application import dto
from tenantry.application.app import UNSET
from tenantry.application.sdk_shapes import UPDATABLE, organization_update
from tenantry.domain.errors import InvalidField

_UNSPECIFIED = RegionCode.Name(RegionCode.REGION_CODE_UNSPECIFIED)
_REGIONS = frozenset(RegionCode.keys())


def organization(org: dto.Organization) -> pb.Organization:
    message = pb.Organization(
        id=org.id,
        display_name=org.display_name,
        metadata=org.metadata,
        region_code=org.region_code if org.region_code in _REGIONS else None,
        settings=pb.OrganizationSettings(
            features=[
                pb.OrganizationSettingsFeature(name=f.name, enabled=f.enabled)
                for f in org.settings.features
            ]
        ),
    )
    for name in ("external_id", "slug", "logo_url"):
        value = getattr(org, name)
        if value is not None:
            setattr(message, name, value)
    message.create_time.FromDatetime(org.create_time)
    message.update_time.FromDatetime(org.update_time)
    return message


def new_organization(message: pb.CreateOrganization) -> dict[str, Any]:
    """The keyword arguments of ``create_organization`` a ``CreateOrganization`` gives."""
    region = RegionCode.Name(message.region_code)
    return {
        "display_name": message.display_name,
        "metadata": dict(message.metadata),
        "region_code": None if region == _UNSPECIFIED else region,
        **{
            name: getattr(message, name)
            for name in ("external_id", "slug", "logo_url")
            if message.HasField(name)
        },
    }


def organization_changes(message: pb.UpdateOrganization) -> dict[str, Any]:
    """The keyword arguments of ``update_organization`` an ``UpdateOrganization`` gives: the
    fields it sets (``UNSET`` for the others); ``display_name`` cannot be cleared."""
    given = organization_update(message, {})
    if "display_name" in given and not given["display_name"]:
        raise InvalidField("organization.display_name", "must not be empty")
    return {name: given.get(name, UNSET) for name in UPDATABLE if name != "region_code"}


def identity(request: Message) -> tuple[str, str]:
    """``("id", …)`` or ``("external_id", …)``: which of the ``identities`` oneof is set."""
    which = request.WhichOneof("identities")
    if which is None:
        raise InvalidField("id", "give the organization's id or external_id")
    value: str = getattr(request, which)
    if not value:
        raise InvalidField(which, "must not be empty")
    return which, value
