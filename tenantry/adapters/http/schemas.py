"""Request and response bodies of the REST API, with the hosted API's field names.

Request bodies are strict (no type coercion) and forbid unknown fields; responses reuse the
application's frozen DTOs, so timestamps are RFC 3339 (``2026-01-01T12:00:00Z``).

Every request field carries the domain's limits in the schema (lengths, patterns, ranges, sizes),
so that generated clients know them; the domain still checks its own rules behind them (a name
of spaces only, an idle timeout longer than the absolute one). The patterns repeat the domain's
rules (``tenantry.domain.values``) in a dialect that JSON Schema, pydantic and Python share.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, model_validator

from tenantry.application import dto
from tenantry.domain import values
from tenantry.domain.values import SessionPolicy, SignInMethod, TimeUnit
from tenantry.projections import dto as pdto

_LABEL: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
SLUG_PATTERN: Final = rf"^(?:{_LABEL}(?:\.{_LABEL})*)?$"
"""One DNS label or a hostname; empty clears the slug."""
LOGO_URL_PATTERN: Final = r"^(?:https://[^/\s?#]+\S*)?$"
"""An https:// URL; empty clears the logo."""
EMAIL_PATTERN: Final = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ROLE_PATTERN: Final = r"^[a-z0-9][a-z0-9_:.-]*$"
SEATS_MAX: Final = 10_000_000
"""The largest seat limit the domain accepts (``values.max_allowed_users``)."""
LIST_MAX: Final = 16
"""The most features or sign-in methods one request may name."""

DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=values.DISPLAY_NAME_MAX)]
ExternalId = Annotated[str, StringConstraints(max_length=values.EXTERNAL_ID_MAX)]
Slug = Annotated[str, StringConstraints(max_length=values.SLUG_MAX, pattern=SLUG_PATTERN)]
LogoUrl = Annotated[
    str, StringConstraints(max_length=values.LOGO_URL_MAX, pattern=LOGO_URL_PATTERN)
]
Email = Annotated[str, StringConstraints(max_length=values.EMAIL_MAX, pattern=EMAIL_PATTERN)]
Role = Annotated[
    str, StringConstraints(min_length=1, max_length=values.ROLE_MAX, pattern=ROLE_PATTERN)
]
MetadataKey = Annotated[
    str, StringConstraints(min_length=values.METADATA_KEY_MIN, max_length=values.METADATA_KEY_MAX)
]
MetadataValue = Annotated[
    str,
    StringConstraints(min_length=values.METADATA_VALUE_MIN, max_length=values.METADATA_VALUE_MAX),
]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=values.METADATA_MAX_PAIRS)]
Roles = Annotated[list[Role], Field(min_length=1, max_length=values.ROLES_MAX)]
SessionAmount = Annotated[int, Field(ge=1, le=values.MAX_SESSION_MINUTES)]
FeatureName = Annotated[
    str, StringConstraints(min_length=1, max_length=max(map(len, values.KNOWN_FEATURES)))
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- organizations ------------------------------------------------------------------------------


class CreateOrganization(_Body):
    display_name: DisplayName = Field(description="Counted after trimming surrounding spaces.")
    external_id: ExternalId | None = Field(None, description="Your id; unique among live orgs.")
    metadata: Metadata | None = Field(None, description="Your key-value pairs.")
    slug: Slug | None = Field(None, description="One DNS label or a hostname, lowercase.")
    logo_url: LogoUrl | None = Field(None, description="https:// only.")
    region_code: Literal["US", "EU"] | None = None


class UpdateOrganization(_Body):
    """Only the fields present change; ``null`` or ``""`` clears an optional field."""

    display_name: DisplayName | None = None
    external_id: ExternalId | None = None
    metadata: Metadata | None = None
    slug: Slug | None = None
    logo_url: LogoUrl | None = None


class OrganizationResponse(BaseModel):
    organization: dto.Organization


class FeatureToggle(_Body):
    name: FeatureName = Field(description="sso, dir_sync, domain_verification or session_policy.")
    enabled: bool


class UpdateFeatures(_Body):
    features: list[FeatureToggle] = Field(min_length=1, max_length=LIST_MAX)


# --- seat limit, policies -----------------------------------------------------------------------


class UserManagement(_Body):
    max_allowed_users: int | None = Field(
        ge=0, le=SEATS_MAX, description="null: feature off; 0: no limit; n > 0: at most n seats."
    )


class UserManagementBody(_Body):
    settings: UserManagement


class UserManagementResponse(BaseModel):
    settings: dto.UserManagementSettings


class SessionPolicyBody(SessionPolicy):
    """The policy's fields, at the top level or wrapped as the hosted API answers them
    (``{"policy": {...}}``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _unwrapped(cls, data: Any) -> Any:
        if isinstance(data, dict) and set(data) == {"policy"} and isinstance(data["policy"], dict):
            return data["policy"]
        return data

    absolute_session_timeout: SessionAmount | None = Field(
        None, description="With its unit; at most a year."
    )
    idle_session_timeout: SessionAmount | None = Field(
        None, description="With its unit, at most the absolute timeout."
    )
    # Strict mode takes enums only as instances; the units arrive as JSON strings.
    absolute_session_timeout_unit: TimeUnit | None = Field(None, strict=False)
    idle_session_timeout_unit: TimeUnit | None = Field(None, strict=False)


class SessionPolicyResponse(BaseModel):
    policy: dto.SessionPolicyView


class SignInMethodsBody(_Body):
    allowed_sign_in_methods: list[Annotated[SignInMethod, Strict(False)]] | None = Field(
        description='e.g. ["sso"]; null inherits the application\'s methods.',
        min_length=1,
        max_length=LIST_MAX,
    )


# --- members --------------------------------------------------------------------------------


class MembershipFields(_Body):
    roles: Roles | None = Field(None, description='Role names; default ["member"].')
    metadata: Metadata | None = None
    inviter_email: Email | None = None


class CreateUser(_Body):
    email: Email
    membership: MembershipFields | None = None


MembershipStatusChange = Literal["ACTIVE", "INACTIVE"]


class UpdateMembership(_Body):
    roles: Roles | None = None
    metadata: Metadata | None = None
    membership_status: MembershipStatusChange | None = Field(
        None,
        description="INACTIVE suspends an active member; ACTIVE reactivates an inactive one "
        "or accepts a pending invitation.",
    )
    status: MembershipStatusChange | None = Field(
        None, description="The same as membership_status (kept for earlier clients)."
    )


class RoleRef(BaseModel):
    """A role held by a member: its definition's ``role_`` id, name and display name (a role
    named before any role was defined reads with its name as display name)."""

    id: str | None = None
    name: str
    display_name: str


class Membership(BaseModel):
    """A membership in the hosted API's shape, with tenantry's ``user_id``, ``email`` and
    ``invitation`` beside it."""

    organization_id: str
    user_id: str
    email: str
    membership_status: str = Field(
        description="ACTIVE, INACTIVE, PENDING_INVITE, INVITE_EXPIRED or REMOVED."
    )
    roles: list[RoleRef]
    permissions: list[str] = Field(
        description="The effective permissions: those of the roles held and of every role "
        "they extend."
    )
    display_name: str = Field(description="The organization's display name.")
    name: str = Field(description="The organization's name: its display name.")
    inviter_email: str | None
    metadata: dict[str, str]
    provisioning_method: str
    created_at: datetime
    join_time: datetime | None
    accepted_at: datetime | None
    expires_at: datetime | None
    invitation: dto.Invitation | None

    @classmethod
    def of(cls, m: dto.Membership, organization_name: str) -> Membership:
        return cls(
            organization_id=m.organization_id,
            user_id=m.user_id,
            email=m.email,
            membership_status=m.status,
            roles=[
                RoleRef(id=r.id, name=r.name, display_name=r.display_name) for r in m.role_details
            ]
            or [RoleRef(name=r, display_name=r) for r in m.roles],
            permissions=m.permissions,
            display_name=organization_name,
            name=organization_name,
            inviter_email=m.inviter_email,
            metadata=m.metadata,
            provisioning_method=m.provisioning_method,
            created_at=m.created_at,
            join_time=m.join_time,
            accepted_at=m.accepted_at,
            expires_at=m.expires_at,
            invitation=m.invitation,
        )


class User(BaseModel):
    id: str
    email: str
    memberships: list[Membership]


class UserResponse(BaseModel):
    user: User


class UserPage(BaseModel):
    """A page of an organization's members, each a user with their membership of it."""

    users: list[User]
    next_page_token: str
    prev_page_token: str
    total_size: int

    @classmethod
    def of(cls, page: pdto.MemberPage, organization_name: str) -> UserPage:
        users = [
            User(id=m.user_id, email=m.email, memberships=[Membership.of(m, organization_name)])
            for m in page.members
        ]
        return cls(
            users=users,
            next_page_token=page.next_page_token,
            prev_page_token=page.prev_page_token,
            total_size=page.total_size,
        )


class Invite(dto.Invite):
    """An invitation as the hosted API answers a resend."""

    status: str = Field(description="pending, accepted, expired or revoked.")


class InviteResponse(BaseModel):
    invite: Invite


class Empty(BaseModel):
    """The answer to a DELETE: 200 ``{}``, as the hosted API answers."""

    model_config = ConfigDict(extra="forbid")


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class TokenError(BaseModel):
    """RFC 6749 section 5.2, plus this API's error fields."""

    error: str
    error_description: str
    error_code: str
    code: str
    message: str
    details: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok"]
