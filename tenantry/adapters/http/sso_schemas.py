"""Request and response bodies of the SSO connection and domain routes (hosted field names:
``saml_config``, ``oidc_config``, ``connections``, ``domains``). Request bodies are strict and
forbid unknown fields; the domain checks its own rules behind the schema's limits."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tenantry.application import connection_dto as dto

NAME_MAX: Final = 1024
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
Pem = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
ProviderName = Literal[
    "OKTA",
    "GOOGLE",
    "MICROSOFT_AD",
    "JUMPCLOUD",
    "ONELOGIN",
    "PING_IDENTITY",
    "CUSTOM",
    "ENTRA_ID",
    "AZURE_AD",
    "PING",
]
"""Every :class:`Provider` and accepted alias (a test keeps them in step)."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CreateConnection(_Body):
    type: Literal["SAML", "OIDC"]
    provider: ProviderName = Field("CUSTOM", description="The IdP: a label for people.")


class SamlConfigBody(_Body):
    """Each field present replaces the IdP's setting; ``idp_metadata_xml`` fills the entity ID,
    SSO URL and certificates from the IdP's metadata first."""

    idp_entity_id: Name | None = None
    idp_sso_url: Name | None = Field(None, description="https:// only.")
    idp_certificates: list[Pem] | None = Field(
        None, max_length=10, description="X.509 signing certificates in PEM."
    )
    idp_metadata_xml: Annotated[str, StringConstraints(max_length=1_000_000)] | None = None
    idp_initiated_login: bool | None = None


class OidcConfigBody(_Body):
    issuer: Name | None = Field(None, description="https:// only; the discovery document's base.")
    client_id: Name | None = None
    client_secret: Name | None = Field(None, description="Stored encrypted; never returned.")
    scopes: list[Name] | None = Field(None, min_length=1, max_length=30)
    token_auth_type: Literal["client_secret_basic", "client_secret_post"] | None = None


class AttributeMappingBody(_Body):
    attributes: dict[str, Name] | None = Field(
        None,
        max_length=4,
        description="User field (email, given_name, family_name, groups) -> the IdP's "
        "attribute name.",
    )
    group_roles: dict[Name, Name] | None = Field(
        None, max_length=100, description="The IdP's group name -> a role name."
    )


class UpdateConnection(_Body):
    """Only the parts present change."""

    provider: ProviderName | None = None
    saml_config: SamlConfigBody | None = None
    oidc_config: OidcConfigBody | None = None
    attribute_mapping: AttributeMappingBody | None = None


class ConnectionResponse(BaseModel):
    connection: dto.Connection


class ConnectionList(BaseModel):
    connections: list[dto.Connection]


class CreateDomain(_Body):
    domain: Annotated[str, StringConstraints(min_length=3, max_length=253)]


class VerifyDomain(_Body):
    method: Literal["DNS", "ADMIN"] = Field(
        "DNS", description="DNS: look the TXT record up; ADMIN: take the caller's word."
    )


class DomainResponse(BaseModel):
    domain: dto.OrganizationDomain


class DomainList(BaseModel):
    domains: list[dto.OrganizationDomain]
