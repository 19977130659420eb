"""Request and response bodies of the REST API, with the hosted API's field names.

Request bodies are strict (no type coercion) and forbid unknown fields; responses reuse the
application's frozen DTOs, so timestamps are RFC 3339 (``2026-01-01T12:00:00Z``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tenantry.application import dto
from tenantry.domain.values import SessionPolicy, TimeUnit


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- organizations ------------------------------------------------------------------------------


class CreateOrganization(_Body):
    display_name: str = Field(description="1-200 characters after trimming.")
    external_id: str | None = Field(None, description="Your id; unique among live orgs.")
    metadata: dict[str, str] | None = Field(None, description="At most 10 pairs.")
    slug: str | None = None
    logo_url: str | None = Field(None, description="https:// only.")
    region_code: Literal["US", "EU"] | None = None


class UpdateOrganization(_Body):
    """Only the fields present change; ``null`` or ``""`` clears an optional field."""

    display_name: str | None = None
    external_id: str | None = None
    metadata: dict[str, str] | None = None
    slug: str | None = None
    logo_url: str | None = None


class OrganizationResponse(BaseModel):
    organization: dto.Organization


class FeatureToggle(_Body):
    name: str = Field(description="sso, dir_sync, domain_verification or session_policy.")
    enabled: bool


class UpdateFeatures(_Body):
    features: list[FeatureToggle] = Field(min_length=1, max_length=16)


# --- seat limit, policies -----------------------------------------------------------------------


class UserManagement(_Body):
    max_allowed_users: int | None = Field(
        description="null: feature off; 0: no limit; n > 0: at most n seats."
    )


class UserManagementBody(_Body):
    settings: UserManagement


class UserManagementResponse(BaseModel):
    settings: dto.UserManagementSettings


class SessionPolicyBody(SessionPolicy):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # Strict mode takes enums only as instances; the units arrive as JSON strings.
    absolute_session_timeout_unit: TimeUnit | None = Field(None, strict=False)
    idle_session_timeout_unit: TimeUnit | None = Field(None, strict=False)


class SignInMethodsBody(_Body):
    allowed_sign_in_methods: list[str] | None = Field(
        description='e.g. ["sso"]; null inherits the application\'s methods.', max_length=16
    )


# --- members --------------------------------------------------------------------------------


class MembershipFields(_Body):
    roles: list[str] | None = Field(None, description='Role names; default ["member"].')
    metadata: dict[str, str] | None = None
    inviter_email: str | None = None


class CreateUser(_Body):
    email: str
    membership: MembershipFields | None = None


class UpdateMembership(_Body):
    roles: list[str] | None = None
    metadata: dict[str, str] | None = None
    status: Literal["ACTIVE", "INACTIVE"] | None = Field(
        None,
        description="INACTIVE suspends an active member; ACTIVE reactivates an inactive one "
        "or accepts a pending invitation.",
    )


class User(BaseModel):
    id: str
    email: str
    memberships: list[dto.Membership]


class UserResponse(BaseModel):
    user: User


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class TokenError(BaseModel):
    """RFC 6749 section 5.2, plus this API's error fields."""

    error: str
    error_description: str
    code: str
    message: str
    details: dict[str, Any]
