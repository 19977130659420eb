"""The JSON of the users routes, in the hosted API's shape: a user with ``external_id``,
``metadata``, ``user_profile``, times and memberships; the hosted ``CreateUser`` body."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, WithJsonSchema

from tenantry.adapters.http.schemas import (
    ROLE_PATTERN,
    Email,
    ExternalId,
    Membership,
    Metadata,
    Roles,
    _Body,
)
from tenantry.application import dto
from tenantry.domain import user_values, values

ProfileName = Annotated[str, StringConstraints(max_length=user_values.PROFILE_NAME_MAX)]
Locale = Annotated[str, StringConstraints(max_length=user_values.LOCALE_MAX)]
Phone = Annotated[str, StringConstraints(max_length=16)]
Picture = Annotated[str, StringConstraints(max_length=user_values.PICTURE_MAX)]


class UserProfileBody(_Body):
    """Only the fields present change; ``null`` or ``""`` clears one."""

    given_name: ProfileName | None = None
    family_name: ProfileName | None = None
    name: ProfileName | None = None
    locale: Locale | None = Field(None, description="A BCP 47 tag such as en or pt-BR.")
    phone_number: Phone | None = Field(None, description="E.164: + and 2-15 digits.")
    picture: Picture | None = Field(None, description="https:// only.")

    def given(self) -> dict[str, str | None]:
        return {k: getattr(self, k) for k in self.model_fields_set}


def _role_names(value: Any) -> Any:
    """``[{"name": "admin"}]`` (the hosted form) as ``["admin"]``; anything else as sent."""
    if isinstance(value, list):
        return [v["name"] if isinstance(v, dict) and set(v) == {"name"} else v for v in value]
    return value


_ROLE_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": values.ROLE_MAX,
    "pattern": ROLE_PATTERN,
}
HostedRoles = Annotated[
    Roles,
    BeforeValidator(_role_names),
    WithJsonSchema(
        {
            "type": "array",
            "minItems": 1,
            "maxItems": values.ROLES_MAX,
            "items": {
                "anyOf": [
                    {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {"name": _ROLE_SCHEMA},
                    },
                    _ROLE_SCHEMA,
                ]
            },
        }
    ),
]
"""Role names as the hosted API sends them, ``[{"name": ...}]``, or as plain names."""


class MembershipBody(_Body):
    roles: HostedRoles | None = Field(None, description='[{"name": "admin"}]; default member.')
    metadata: Metadata | None = None
    inviter_email: Email | None = None

    def terms(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set}


class CreateUser(_Body):
    """The hosted ``CreateUser`` body."""

    email: Email
    external_id: ExternalId | None = Field(None, description="Your id; unique among live users.")
    metadata: Metadata | None = None
    user_profile: UserProfileBody | None = None
    membership: MembershipBody | None = None


class UpdateUser(_Body):
    """Only the fields present change; ``external_id`` ``null`` or ``""`` clears it."""

    external_id: ExternalId | None = None
    metadata: Metadata | None = None
    user_profile: UserProfileBody | None = None


class User(BaseModel):
    """A user in the hosted API's shape (``last_login_time``: tenantry records no sign-ins
    yet, so it is ``null``)."""

    id: str
    email: str
    external_id: str | None
    metadata: dict[str, str]
    user_profile: dto.UserProfile
    create_time: datetime
    update_time: datetime
    last_login_time: datetime | None = None
    memberships: list[Membership]

    @classmethod
    def of(cls, user: dto.User, memberships: Sequence[Membership]) -> User:
        return cls(
            id=user.id,
            email=user.email,
            external_id=user.external_id,
            metadata=user.metadata,
            user_profile=user.user_profile,
            create_time=user.create_time,
            update_time=user.update_time,
            memberships=list(memberships),
        )


class UserResponse(BaseModel):
    user: User


class UserPage(BaseModel):
    users: list[User]
    next_page_token: str
    prev_page_token: str
    total_size: int


class UserHistory(BaseModel):
    """A user's events and their memberships', oldest first."""

    entries: list[dto.UserHistoryEntry]
