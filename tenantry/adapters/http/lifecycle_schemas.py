"""Request and response bodies of the organization lifecycle routes that are tenantry's own:
restore a deleted organization, and sign-up (an organization with its first admin)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenantry.adapters.http import schemas
from tenantry.application import dto


class RestoreOrganization(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    release_taken_keys: bool = Field(
        False,
        description="Restore without the external id or slug another organization took "
        "meanwhile (else 409 restore_key_taken).",
    )


class Founder(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    email: schemas.Email


class SignUpBody(BaseModel):
    """The new organization (as ``POST /api/v1/organizations`` takes it) and its founder."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    organization: schemas.CreateOrganization
    user: Founder


class SignUpResponse(BaseModel):
    """The organization and its first admin, a user with their membership of it."""

    organization: dto.Organization
    user: schemas.User

    @classmethod
    def of(cls, signed: dto.SignUp) -> SignUpResponse:
        org, m = signed.organization, signed.membership
        member = schemas.Membership.of(m, org.display_name)
        return cls(
            organization=org, user=schemas.User(id=m.user_id, email=m.email, memberships=[member])
        )
