"""``scalekit.v1.organizations.OrganizationService``: the settings calls the hosted SDKs make —
features (``UpdateOrganizationSettings``), the seat limit (``UpsertUserManagementSettings``,
``GetOrganizationUserManagementSetting``) and the session policy
(``GetOrganizationSessionPolicy``, ``UpdateOrganizationSessionPolicy``) — on the application the
REST API serves, with its scopes and per-client organization restrictions.

Asking for what already is answers it (as the REST API does), rather than ``nothing_changed``.
A seat limit not given (the SDKs' ``None``/``null``) turns the limit off; ``0`` means no limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from google.protobuf.wrappers_pb2 import BoolValue, Int32Value
from scalekit.v1.commons.commons_pb2 import TimeUnit
from scalekit.v1.organizations import organizations_pb2 as pb

from tenantry.adapters.grpc import messages
from tenantry.adapters.grpc.calls import Caller, unchanged_ok
from tenantry.adapters.grpc.service import Work
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField

SERVICE: Final = pb.DESCRIPTOR.services_by_name["OrganizationService"]

_SOURCES: Final = ("APPLICATION", "CUSTOM")
_UNITS: Final = ("MINUTES", "HOURS", "DAYS")


class OrganizationSettings:
    """The service's settings handlers over one application."""

    service = SERVICE

    def __init__(self, t: Tenantry) -> None:
        self.t = t

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        return {
            "UpdateOrganizationSettings": ("organizations:write", self.update_features),
            "GetOrganizationUserManagementSetting": ("organizations:read", self.user_management),
            "UpsertUserManagementSettings": ("organizations:write", self.set_user_management),
            "GetOrganizationSessionPolicy": ("organizations:read", self.session_policy),
            "UpdateOrganizationSessionPolicy": ("organizations:write", self.set_session_policy),
        }

    def update_features(
        self, request: pb.UpdateOrganizationSettingsRequest, caller: Caller
    ) -> pb.GetOrganizationResponse:
        org_id = caller.organization(request.id)
        features = [(f.name, f.enabled) for f in request.settings.features]
        org = unchanged_ok(
            lambda: self.t.update_organization_settings(org_id, features, actor=caller.actor),
            lambda: self.t.get_organization(org_id),
        )
        return pb.GetOrganizationResponse(organization=messages.organization(org))

    def user_management(
        self, request: pb.GetOrganizationUserManagementSettingsRequest, caller: Caller
    ) -> pb.GetOrganizationUserManagementSettingsResponse:
        settings = self.t.get_user_management_settings(caller.organization(request.organization_id))
        return pb.GetOrganizationUserManagementSettingsResponse(settings=_seats(settings))

    def set_user_management(
        self, request: pb.UpsertUserManagementSettingsRequest, caller: Caller
    ) -> pb.UpsertUserManagementSettingsResponse:
        org_id = caller.organization(request.organization_id)
        given = request.settings
        limit = given.max_allowed_users.value if given.HasField("max_allowed_users") else None
        settings = unchanged_ok(
            lambda: self.t.upsert_user_management_settings(org_id, limit, actor=caller.actor),
            lambda: self.t.get_user_management_settings(org_id),
        )
        return pb.UpsertUserManagementSettingsResponse(settings=_seats(settings))

    def session_policy(
        self, request: pb.GetOrganizationSessionPolicyRequest, caller: Caller
    ) -> pb.GetOrganizationSessionPolicyResponse:
        policy = self.t.get_session_policy(caller.organization(request.organization_id))
        return pb.GetOrganizationSessionPolicyResponse(policy=_policy(policy))

    def set_session_policy(
        self, request: pb.UpdateOrganizationSessionPolicyRequest, caller: Caller
    ) -> pb.UpdateOrganizationSessionPolicyResponse:
        org_id = caller.organization(request.organization_id)
        wanted = policy_fields(request)
        policy = unchanged_ok(
            lambda: self.t.update_session_policy(org_id, wanted, actor=caller.actor),
            lambda: self.t.get_session_policy(org_id),
        )
        return pb.UpdateOrganizationSessionPolicyResponse(policy=_policy(policy))


def _seats(settings: dto.UserManagementSettings) -> pb.OrganizationUserManagementSettings:
    limit = settings.max_allowed_users
    return pb.OrganizationUserManagementSettings(
        max_allowed_users=None if limit is None else Int32Value(value=limit)
    )


def _policy(policy: dto.SessionPolicyView) -> pb.OrganizationSessionPolicySettings:
    """The organization's own policy (not the effective one: the hosted API answers what the
    organization set)."""
    message = pb.OrganizationSessionPolicySettings(
        policy_source=policy.policy_source,
        idle_session_timeout_enabled=BoolValue(value=policy.idle_session_timeout_enabled),
    )
    for name in ("absolute_session_timeout", "idle_session_timeout"):
        amount = getattr(policy, name)
        if amount is not None:
            getattr(message, name).CopyFrom(Int32Value(value=amount))
        unit = getattr(policy, f"{name}_unit")
        if unit is not None:
            setattr(message, f"{name}_unit", TimeUnit.Value(str(unit)))
    return message


def policy_fields(request: pb.UpdateOrganizationSessionPolicyRequest) -> dict[str, Any]:
    """The session policy an ``UpdateOrganizationSessionPolicyRequest`` asks for, as the
    application's fields (the fields it does not set are left out: their defaults)."""
    source = _enum_name(pb.SessionPolicyType, request.policy_source, "policy_source", _SOURCES)
    fields: dict[str, Any] = {"policy_source": source}
    for name in ("absolute_session_timeout", "idle_session_timeout"):
        if request.HasField(name):
            fields[name] = getattr(request, name).value
        if request.HasField(f"{name}_unit"):
            unit = getattr(request, f"{name}_unit")
            fields[f"{name}_unit"] = _enum_name(TimeUnit, unit, f"{name}_unit", _UNITS)
    if request.HasField("idle_session_timeout_enabled"):
        fields["idle_session_timeout_enabled"] = request.idle_session_timeout_enabled.value
    return fields


def _enum_name(enum: Any, value: int, field: str, allowed: tuple[str, ...]) -> str:
    """The name of ``value`` in the protobuf ``enum``, if it is one of ``allowed``."""
    for name in allowed:
        if enum.Value(name) == value:
            return name
    raise InvalidField(field, f"must be one of {', '.join(allowed)}")
