"""Request and response bodies of the SCIM directory routes (hosted field names: ``directory``,
``directories``, ``directory_provider``, ``directory_endpoint``, ``plain_secret``, ``secret``).
Request bodies are strict and forbid unknown fields; the domain checks its own rules (sources,
roles) behind the schema's limits. A token is answered once, as ``plain_secret``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tenantry.application import directory_dto as dto
from tenantry.domain.directory import GRACE_PERIOD_MAX

Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
ProviderName = Literal[
    "OKTA",
    "MICROSOFT_ENTRA_ID",
    "GOOGLE",
    "JUMPCLOUD",
    "ONELOGIN",
    "CUSTOM",
    "AZURE_AD",
    "ENTRA_ID",
    "MICROSOFT_AD",
]
"""Every :class:`DirectoryProvider` and accepted alias (a test keeps them in step)."""
EmailSource = Literal["auto", "userName", "emails.primary", "emails.work"]
"""Every e-mail source (:data:`EMAIL_SOURCES`; a test keeps them in step)."""
Source = Literal[
    "userName",
    "emails.primary",
    "emails.work",
    "name.givenName",
    "name.familyName",
    "displayName",
    "externalId",
    "title",
    "enterprise.department",
    "enterprise.employeeNumber",
    "enterprise.costCenter",
    "enterprise.organization",
    "enterprise.division",
    "enterprise.manager",
]
"""Every source a mapping may name (:data:`SOURCES`; a test keeps them in step)."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CreateDirectory(_Body):
    directory_type: Literal["SCIM"] = Field("SCIM", description="SCIM 2.0: the only type.")
    directory_provider: ProviderName = Field("CUSTOM", description="The directory: a label.")
    name: Annotated[str, StringConstraints(max_length=255)] | None = None


class DirectoryMappingBody(_Body):
    """Each field present replaces its value (``metadata`` and ``group_roles`` whole)."""

    email: EmailSource | None = Field(
        None,
        description="Where the user's e-mail comes from. auto: userName if it is an e-mail "
        "address, else the primary e-mail, else the work e-mail.",
    )
    given_name: Source | None = Field(None, description="The source of it; null: none.")
    family_name: Source | None = Field(None, description="The source of it; null: none.")
    metadata: dict[Name, Source] | None = Field(
        None, max_length=25, description="Membership metadata key -> source."
    )
    group_roles: dict[Name, Name] | None = Field(
        None,
        max_length=100,
        description="Group displayName (case-insensitive) -> role name of its members.",
    )


class UpdateDirectory(_Body):
    """Only the parts present change; ``name`` null or empty clears it."""

    directory_provider: ProviderName | None = None
    name: Annotated[str, StringConstraints(max_length=255)] | None = None
    mapping: DirectoryMappingBody | None = None


class CreateSecret(_Body):
    grace_period_seconds: int | None = Field(
        None,
        ge=0,
        le=int(GRACE_PERIOD_MAX.total_seconds()),
        description="How long the older live tokens keep working (default 0: they stop now).",
    )


class DirectoryResponse(BaseModel):
    directory: dto.Directory


class DirectoryList(BaseModel):
    directories: list[dto.Directory]


class SecretResponse(BaseModel):
    secret: dto.DirectorySecret
