"""tenantry's SSO connections as the hosted API's protobuf messages, and the parts of its
connection requests tenantry supports.

A connection is SAML or OIDC. Of a ``CreateConnection`` tenantry takes the type and the
provider; of an ``UpdateConnection`` the provider, the attribute mapping and the IdP's settings
(SAML: entity ID, SSO URL, signing certificate; OIDC: issuer or discovery endpoint, client ID,
client secret, scopes, token authentication). A field it does not support is refused, naming
it, rather than dropped. The OIDC client secret is never answered (tenantry keeps it encrypted
and shows only that one is set)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from google.protobuf.message import Message
from google.protobuf.wrappers_pb2 import BoolValue
from scalekit.v1.connections import connections_pb2 as pb

from tenantry.application.connection_dto import Connection
from tenantry.domain import connection_values as cv
from tenantry.domain.errors import InvalidField

_TYPES: Final = {"SAML": pb.SAML, "OIDC": pb.OIDC}
_TOKEN_AUTH: Final = {"client_secret_post": pb.URL_PARAMS, "client_secret_basic": pb.BASIC_AUTH}
_TOKEN_AUTH_METHOD: Final = {value: name for name, value in _TOKEN_AUTH.items()}
_OIDC_SCOPES: Final = frozenset(pb.OIDCScope.keys()) - {"OIDC_SCOPE_UNSPECIFIED"}
DISCOVERY: Final = "/.well-known/openid-configuration"

_UPDATABLE: Final = frozenset(
    {"provider", "type", "attribute_mapping", "saml_config", "oidc_config"}
)
_SAML_FIELDS: Final = frozenset({"idp_entity_id", "idp_sso_url", "idp_certificate"})
_OIDC_FIELDS: Final = frozenset(
    {"issuer", "discovery_endpoint", "client_id", "client_secret", "scopes", "token_auth_type"}
)


def _status(conn: Connection) -> str:
    if not conn.missing:
        return "COMPLETED"
    saml, oidc = conn.saml_config, conn.oidc_config
    started = (saml is not None and bool(saml.idp_entity_id or saml.idp_sso_url)) or (
        oidc is not None and bool(oidc.issuer or oidc.client_id)
    )
    return "IN_PROGRESS" if started else "DRAFT"


def _saml(conn: Connection) -> pb.SAMLConnectionConfigResponse | None:
    s = conn.saml_config
    if s is None:
        return None
    message = pb.SAMLConnectionConfigResponse(
        sp_entity_id=s.sp_entity_id,
        sp_assertion_url=s.sp_acs_url,
        sp_metadata_url=s.sp_metadata_url,
        allow_idp_initiated_login=BoolValue(value=s.idp_initiated_login),
    )
    if s.idp_entity_id is not None:
        message.idp_entity_id.value = s.idp_entity_id
    if s.idp_sso_url is not None:
        message.idp_sso_url.value = s.idp_sso_url
    for cert in s.idp_certificates:
        added = message.idp_certificates.add(
            certificate=cert.pem, id=cert.fingerprint_sha256, issuer=cert.subject
        )
        added.create_time.FromDatetime(cert.not_before)
        added.expiry_time.FromDatetime(cert.not_after)
    return message


def _oidc(conn: Connection) -> pb.OIDCConnectionConfig | None:
    o = conn.oidc_config
    if o is None:
        return None
    message = pb.OIDCConnectionConfig(
        # Scopes outside the hosted enum (offline_access, say) cannot be shown in this field.
        scopes=[s for s in o.scopes if s in _OIDC_SCOPES],
        token_auth_type=_TOKEN_AUTH[o.token_auth_type],
        redirect_uri=o.redirect_uri,
    )
    for name in ("issuer", "discovery_endpoint", "client_id"):
        value = getattr(o, name)
        if value is not None:
            getattr(message, name).value = value
    return message  # never the client secret


def _summary(conn: Connection) -> dict[str, Any]:
    """The fields a connection and a listed one share."""
    return {
        "id": conn.id,
        "provider": conn.provider,
        "type": _TYPES[conn.type],
        "status": _status(conn),
        "enabled": conn.enabled,
        "organization_id": conn.organization_id,
    }


def connection(conn: Connection) -> pb.Connection:
    message = pb.Connection(
        **_summary(conn),
        configuration_type="DISCOVERY" if conn.type == "OIDC" else None,
        attribute_mapping=conn.attribute_mapping.attributes,
        saml_config=_saml(conn),
        oidc_config=_oidc(conn),
    )
    message.create_time.FromDatetime(conn.create_time)
    message.update_time.FromDatetime(conn.update_time)
    return message


def listed(conn: Connection) -> pb.ListConnection:
    message = pb.ListConnection(**_summary(conn))
    message.created_at.FromDatetime(conn.create_time)
    return message


def _name(enum: Any, value: int, field: str) -> str:
    """An enum value's name; an unknown number (proto3 keeps them) is refused."""
    if value not in enum.values():
        raise InvalidField(field, f"unknown value {value}")
    name: str = enum.Name(value)
    return name


def _refuse_unsupported(message: Message, supported: Iterable[str], prefix: str) -> None:
    allowed = frozenset(supported)
    for field, _ in message.ListFields():
        if field.name not in allowed:
            raise InvalidField(f"{prefix}{field.name}", "tenantry does not support this setting")


def new_connection(message: pb.CreateConnection) -> tuple[str, str]:
    """The type and provider a ``CreateConnection`` names."""
    _refuse_unsupported(message, ("type", "provider"), "connection.")
    kind = _name(pb.ConnectionType, message.type, "connection.type")
    if kind not in _TYPES:
        raise InvalidField("connection.type", "tenantry's connections are SAML or OIDC")
    return kind, provider(message.provider) or "CUSTOM"


def provider(value: int) -> str | None:
    """The provider named, checked; ``None`` if unspecified."""
    if value == pb.CONNECTION_PROVIDER_UNSPECIFIED:
        return None
    name = _name(pb.ConnectionProvider, value, "connection.provider")
    return cv.provider(name, "connection.provider").value


def connection_changes(message: pb.UpdateConnection, current_type: str) -> dict[str, Any]:
    """The keyword arguments of ``update_connection`` an ``UpdateConnection`` gives."""
    _refuse_unsupported(message, _UPDATABLE, "connection.")
    if (
        message.type != pb.INVALID
        and _name(pb.ConnectionType, message.type, "connection.type") != current_type
    ):
        raise InvalidField("connection.type", "a connection's type cannot change")
    changes: dict[str, Any] = {}
    if (label := provider(message.provider)) is not None:
        changes["provider"] = label
    if message.attribute_mapping:
        changes["attribute_mapping"] = dict(message.attribute_mapping)
    if message.HasField("saml_config"):
        changes["saml"] = _saml_settings(message.saml_config)
    if message.HasField("oidc_config"):
        changes["oidc"] = _oidc_settings(message.oidc_config)
    return changes


def _saml_settings(given: pb.SAMLConnectionConfigRequest) -> dict[str, Any]:
    _refuse_unsupported(given, _SAML_FIELDS, "connection.saml_config.")
    settings: dict[str, Any] = {}
    if given.HasField("idp_entity_id"):
        settings["idp_entity_id"] = given.idp_entity_id.value
    if given.HasField("idp_sso_url"):
        settings["sso_url"] = given.idp_sso_url.value
    if given.HasField("idp_certificate"):
        settings["certificates"] = [given.idp_certificate.value]
    return settings


def _oidc_settings(given: pb.OIDCConnectionConfig) -> dict[str, Any]:
    _refuse_unsupported(given, _OIDC_FIELDS, "connection.oidc_config.")
    settings: dict[str, Any] = {}
    if given.HasField("discovery_endpoint"):
        endpoint = given.discovery_endpoint.value
        if not endpoint.endswith(DISCOVERY):
            raise InvalidField(
                "connection.oidc_config.discovery_endpoint", f"must end with {DISCOVERY}"
            )
        settings["issuer"] = endpoint.removesuffix(DISCOVERY)
    if given.HasField("issuer"):
        settings["issuer"] = given.issuer.value
    if given.HasField("client_id"):
        settings["client_id"] = given.client_id.value
    if given.HasField("client_secret"):
        settings["client_secret"] = given.client_secret.value
    if given.scopes:
        field = "connection.oidc_config.scopes"
        scopes = [_name(pb.OIDCScope, s, field) for s in given.scopes]
        if not _OIDC_SCOPES.issuperset(scopes):
            raise InvalidField(field, "OIDC_SCOPE_UNSPECIFIED is not a scope")
        settings["scopes"] = scopes
    if given.token_auth_type != pb.TOKEN_AUTH_TYPE_UNSPECIFIED:
        field = "connection.oidc_config.token_auth_type"
        _name(pb.TokenAuthType, given.token_auth_type, field)
        settings["token_endpoint_auth_method"] = _TOKEN_AUTH_METHOD[given.token_auth_type]
    return settings
