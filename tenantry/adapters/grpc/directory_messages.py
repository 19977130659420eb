"""tenantry's SCIM directories, their tokens, users and groups as the hosted API's protobuf
messages (``scalekit.v1.directories``), and the request fields tenantry reads back.

The hosted API names more providers and kinds of directory than tenantry has: tenantry's
``CUSTOM`` is the hosted ``DIRECTORY_PROVIDER_UNSPECIFIED``, its ``MICROSOFT_ENTRA_ID`` the hosted
``MICROSOFT_AD``; a provider or a type tenantry does not have is refused, naming the field."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from google.protobuf.timestamp_pb2 import Timestamp
from scalekit.v1.directories import directories_pb2 as pb

from tenantry.application.directory_dto import Directory, DirectorySecret
from tenantry.application.provisioning_dto import DirectoryGroupSummary, DirectoryUserSummary
from tenantry.domain.errors import InvalidField

CUSTOM: Final = "CUSTOM"
_UNSPECIFIED_PROVIDER: Final = pb.DirectoryProvider.Name(pb.DIRECTORY_PROVIDER_UNSPECIFIED)
PROVIDERS_IN: Final = {
    _UNSPECIFIED_PROVIDER: CUSTOM,
    "OKTA": "OKTA",
    "GOOGLE": "GOOGLE",
    "MICROSOFT_AD": "MICROSOFT_ENTRA_ID",
    "ONELOGIN": "ONELOGIN",
    "JUMPCLOUD": "JUMPCLOUD",
}
"""Hosted provider → tenantry's provider label, for the providers both have."""
PROVIDERS_OUT: Final = {label: name for name, label in PROVIDERS_IN.items()}
SCIM_TYPES: Final = frozenset({pb.DIRECTORY_TYPE_UNSPECIFIED, pb.SCIM})
"""tenantry's directories are SCIM directories: no LDAP, no polling."""


def _name(enum: Any, value: int) -> str:
    """The name of an enum's ``value``, or the number of one this SDK's descriptor lacks (a
    proto3 enum is open: a newer client may send it)."""
    try:
        return str(enum.Name(value))
    except ValueError:
        return str(value)


def provider(value: int, field: str) -> str:
    """tenantry's provider label for the hosted ``DirectoryProvider`` ``value``."""
    name = _name(pb.DirectoryProvider, value)
    if name not in PROVIDERS_IN:
        known = ", ".join(PROVIDERS_IN)
        raise InvalidField(field, f"{name} is not a provider tenantry has; one of {known}")
    return PROVIDERS_IN[name]


def scim_type(value: int, field: str) -> None:
    """Refuses a ``DirectoryType`` other than SCIM (or unspecified)."""
    if value not in SCIM_TYPES:
        name = _name(pb.DirectoryType, value)
        raise InvalidField(field, f"tenantry's directories are SCIM directories, not {name}")


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def secret(record: DirectorySecret, directory_id: str) -> pb.Secret:
    """A token's record (never the token): ``ACTIVE``, or ``INACTIVE`` once expired or revoked."""
    message = pb.Secret(
        id=record.id,
        secret_suffix=record.secret_suffix,
        status=pb.ACTIVE if record.status == "ACTIVE" else pb.INACTIVE,
        directory_id=directory_id,
        create_time=_timestamp(record.create_time),
    )
    if record.expire_time is not None:
        message.expire_time.CopyFrom(_timestamp(record.expire_time))
    return message


def directory(found: Directory) -> pb.Directory:
    """``found`` (its ``directory_endpoint`` already the public SCIM base URL) as a message."""
    return pb.Directory(
        id=found.id,
        name=found.name or "",
        directory_type=pb.SCIM,
        organization_id=found.organization_id,
        enabled=found.enabled,
        directory_provider=PROVIDERS_OUT.get(found.directory_provider, _UNSPECIFIED_PROVIDER),
        directory_endpoint=found.directory_endpoint,
        total_users=found.total_users,
        total_groups=found.total_groups,
        secrets=[secret(s, found.id) for s in found.secrets],
        stats=pb.Stats(total_users=found.total_users, total_groups=found.total_groups),
    )


def group(found: DirectoryGroupSummary) -> pb.DirectoryGroup:
    return pb.DirectoryGroup(
        id=found.id,
        display_name=found.display_name,
        total_users=found.total_users,
        updated_at=_timestamp(found.update_time),
    )


def user(found: DirectoryUserSummary) -> pb.DirectoryUser:
    return pb.DirectoryUser(
        id=found.id,
        email=found.email,
        preferred_username=found.user_name,
        given_name=found.given_name or "",
        family_name=found.family_name or "",
        updated_at=_timestamp(found.update_time),
        emails=[found.email],
        groups=[pb.DirectoryGroup(id=g.id, display_name=g.display_name) for g in found.groups],
    )
