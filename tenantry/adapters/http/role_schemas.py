"""Request and response bodies of the role routes, in the hosted API's shape (``{role: …}``,
``{roles: […]}``); the limits are the domain's (:mod:`tenantry.domain.role_values`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Final

from pydantic import BaseModel, Field, StringConstraints

from tenantry.adapters.http.schemas import DisplayName, Role, _Body
from tenantry.application import dto
from tenantry.domain import role_values

PERMISSION_PATTERN: Final = r"^[a-z][a-z0-9_-]*(?::[a-z*][a-z0-9_*-]*)+$"
Permission = Annotated[
    str, StringConstraints(max_length=role_values.PERMISSION_MAX, pattern=PERMISSION_PATTERN)
]
Permissions = Annotated[list[Permission], Field(max_length=role_values.PERMISSIONS_MAX)]
Description = Annotated[str, StringConstraints(max_length=role_values.DESCRIPTION_MAX)]


class CreateRole(_Body):
    name: Role = Field(description="Lowercase letters, digits and _:.-; unique in its scope.")
    display_name: DisplayName | None = Field(None, description="Defaults to the name.")
    description: Description | None = None
    extends: Role | None = Field(None, description="The role whose permissions it inherits.")
    permissions: Permissions | None = Field(None, description='e.g. ["users:read"]')

    def fields(self) -> dict[str, Any]:
        return self.model_dump(exclude={"name"})


class UpdateRole(_Body):
    """Only the fields sent change; ``"extends": null`` makes the role extend none."""

    display_name: DisplayName | None = None
    description: Description | None = None
    extends: Role | None = None
    permissions: Permissions | None = None

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class SetDefaultRole(_Body):
    default_member_role: Role = Field(description="The role new members get without roles.")


class RoleResponse(BaseModel):
    role: dto.Role


class RoleList(BaseModel):
    roles: list[dto.Role]

    @classmethod
    def of(cls, roles: Iterable[dto.Role]) -> RoleList:
        return cls(roles=list(roles))


class PermissionList(BaseModel):
    permissions: list[str]
