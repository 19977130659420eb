"""An organization's SSO connections: create, configure (SAML or OIDC settings, attribute
mapping), enable, disable, delete, record a test's outcome; read them and the service
provider's SAML metadata.

A client secret is encrypted with the host's key (:class:`SsoConfig`) before it reaches an
event, and never returned: the connection shows only ``client_secret_set``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from tenantry.application import saml_documents
from tenantry.application.connection_dto import Connection, connection_of
from tenantry.application.kernel import command
from tenantry.application.sso_config import SsoKernel
from tenantry.domain import arguments, ids, values
from tenantry.domain import connection_values as cv
from tenantry.domain.base import Act
from tenantry.domain.connection import Connection as ConnectionAggregate
from tenantry.domain.connection_errors import ConnectionNotFound, WrongConnectionType
from tenantry.domain.connection_values import ConnectionType, TestResult
from tenantry.domain.errors import InvalidField
from tenantry.domain.organization import Organization

SECRET_MAX: Final = 1024
Change = Callable[[ConnectionAggregate, Act], None]


class Connections(SsoKernel):
    """SSO connections' use cases (see the module's docstring)."""

    @command
    def create_connection(
        self,
        organization_id: str,
        type: str,
        provider: str = "CUSTOM",
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Connection:
        """A new, disabled connection of ``type`` (``SAML`` or ``OIDC``) to ``provider``."""
        kind, label = cv.connection_type(type), cv.provider(provider)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> Connection:
            org = self._org(organization_id)
            act = Act(self.now(org), who, why)
            conn = ConnectionAggregate.create(self._new_id(), org.id, kind, label, act)
            registry = self._registry(org.id, act)
            registry.list_connection(conn.id, act)
            self._save(conn, registry)
            return self._view(conn, org)

        return self.run_command(command)

    @command
    def configure_saml_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        idp_entity_id: str | None = None,
        sso_url: str | None = None,
        certificates: Iterable[str] | None = None,
        metadata_xml: str | None = None,
        idp_initiated_login: bool | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Connection:
        """Sets the IdP's settings: each given one replaces the old; ``metadata_xml`` (the
        IdP's metadata) fills the entity ID, SSO URL and certificates it holds first.
        Certificates are PEM; an expired one is refused."""
        given = self._saml_given(
            idp_entity_id, sso_url, certificates, metadata_xml, idp_initiated_login
        )
        return self._change_connection(
            organization_id,
            connection_id,
            lambda conn, act: conn.update(act, saml=given),
            actor,
            reason,
        )

    @command
    def configure_oidc_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        issuer: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Iterable[str] | None = None,
        token_endpoint_auth_method: str | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Connection:
        """Sets the IdP's settings: each given one replaces the old. ``issuer`` is the URL
        whose ``/.well-known/openid-configuration`` is the discovery document. The client secret
        is stored encrypted and never returned."""
        given = self._oidc_given(
            issuer, client_id, client_secret, scopes, token_endpoint_auth_method
        )
        return self._change_connection(
            organization_id,
            connection_id,
            lambda conn, act: conn.update(act, oidc=given),
            actor,
            reason,
        )

    @command
    def update_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        provider: str | None = None,
        attribute_mapping: Mapping[str, str] | None = None,
        group_roles: Mapping[str, str] | None = None,
        saml: Mapping[str, Any] | None = None,
        oidc: Mapping[str, Any] | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Connection:
        """Changes any of a connection's settings at once (one event, or none if a part is
        refused): the provider label; the attribute mapping (``attribute_mapping``: user fields
        ``email``, ``given_name``, ``family_name``, ``groups`` to the IdP's attribute names;
        ``group_roles``: the IdP's group names to roles); ``saml`` or ``oidc``, the keywords of
        :meth:`configure_saml_connection` or :meth:`configure_oidc_connection`."""
        label = None if provider is None else cv.provider(provider)
        given = cv.attribute_mapping(attribute_mapping or {}, group_roles or {})
        mapping: dict[str, object] = {}
        if attribute_mapping is not None:
            mapping["attributes"] = given.attributes
        if group_roles is not None:
            mapping["group_roles"] = given.group_roles
        saml_given = None if saml is None else self._saml_given(**_settings(saml, "saml", _SAML))
        oidc_given = None if oidc is None else self._oidc_given(**_settings(oidc, "oidc", _OIDC))

        def change(conn: ConnectionAggregate, act: Act) -> None:
            conn.update(
                act, provider=label, saml=saml_given, oidc=oidc_given, mapping=mapping or None
            )

        return self._change_connection(organization_id, connection_id, change, actor, reason)

    @command
    def enable_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Connection:
        """Enables sign-in through the connection: needs a complete configuration
        (:class:`ConnectionIncomplete`) and the organization's ``sso`` feature on
        (:class:`FeatureDisabled`)."""
        return self._change_connection(
            organization_id,
            connection_id,
            lambda conn, act: conn.enable(self._sso_on(self._org(organization_id)), act),
            actor,
            reason,
        )

    @command
    def disable_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Connection:
        return self._change_connection(
            organization_id, connection_id, lambda c, act: c.disable(act), actor, reason
        )

    @command
    def delete_connection(
        self,
        organization_id: str,
        connection_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            org = self._org(organization_id)
            conn = self._connection(org, connection_id)
            act = Act(self.now(org, conn), who, why)
            conn.delete(act)
            registry = self._registry(org.id, act)
            registry.unlist_connection(conn.id, act)
            self._save(conn, registry)

        self.run_command(command)

    @command
    def record_connection_test(
        self,
        organization_id: str,
        connection_id: str,
        *,
        success: bool,
        failure_reason: str | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Connection:
        """Records a test login's outcome: success, or the exact reason it failed."""
        arguments.flag(success, "success")
        why_failed = values.reason(failure_reason, "failure_reason")
        if success == bool(why_failed):
            rule = "only a failed test has one" if success else "a failed test says why"
            raise InvalidField("failure_reason", rule)
        result = TestResult.SUCCESS if success else TestResult.FAILURE
        return self._change_connection(
            organization_id,
            connection_id,
            lambda conn, act: conn.record_test(result, why_failed, act),
            actor,
            reason,
        )

    def get_connection(self, organization_id: str, connection_id: str) -> Connection:
        org = self._org(organization_id, for_update=False)
        return self._view(self._connection(org, connection_id, for_update=False), org)

    def find_connection(self, connection_id: str) -> Connection:
        """A connection found by its id alone (as a sign-in endpoint such as the SAML ACS knows
        it); :class:`ConnectionNotFound` if it or its organization is gone."""
        uid = ids.decode(ids.CONNECTION, connection_id, "connection_id")
        conn = self._get(uid, ConnectionAggregate, for_update=False)
        org = (
            None
            if conn is None
            else self._get(conn.state.organization_id, Organization, for_update=False)
        )
        if conn is None or conn.state.deleted or org is None or org.is_deleted:
            raise ConnectionNotFound(connection_id)
        return self._view(conn, org)

    def list_connections(self, organization_id: str) -> list[Connection]:
        """The organization's connections, oldest first."""
        org = self._org(organization_id, for_update=False)
        found = []
        for uid in self._listed(org.id).connections:
            conn = self._get(uid, ConnectionAggregate, for_update=False)
            if conn is not None and not conn.state.deleted:
                found.append(self._view(conn, org))
        return found

    def get_saml_sp_metadata(self, organization_id: str, connection_id: str) -> str:
        """The service provider's SAML metadata XML for the IdP's admin to upload."""
        view = self.get_connection(organization_id, connection_id)
        if view.saml_config is None:
            raise WrongConnectionType(view.type, ConnectionType.SAML)
        return saml_documents.sp_metadata(
            view.saml_config.sp_entity_id, view.saml_config.sp_acs_url
        )

    def oidc_client_secret(self, organization_id: str, connection_id: str) -> str | None:
        """The OIDC client secret in clear, for the relying party's token request only."""
        org = self._org(organization_id, for_update=False)
        oidc = self._connection(org, connection_id, for_update=False).state.oidc
        if oidc is None or oidc.client_secret_encrypted is None:
            return None
        return self.sso_config.decrypt(oidc.client_secret_encrypted)

    def _saml_given(
        self,
        idp_entity_id: str | None = None,
        sso_url: str | None = None,
        certificates: Iterable[str] | None = None,
        metadata_xml: str | None = None,
        idp_initiated_login: bool | None = None,
    ) -> dict[str, object]:
        """The SAML settings given, checked (see :meth:`configure_saml_connection`)."""
        given: dict[str, object] = {}
        if metadata_xml is not None:
            meta = saml_documents.idp_metadata(metadata_xml)
            given = {"idp_entity_id": meta.entity_id, "certificates": meta.certificates}
            if meta.sso_url is not None:
                given["sso_url"] = cv.url(meta.sso_url, "saml.sso_url")
        if idp_entity_id is not None:
            given["idp_entity_id"] = cv.identifier(idp_entity_id, "saml.idp_entity_id")
        if sso_url is not None:
            given["sso_url"] = cv.url(sso_url, "saml.sso_url")
        if certificates is not None:
            pems = cv.strings(certificates, "saml.certificates")
            given["certificates"] = tuple(saml_documents.certificate(pem) for pem in pems)
        if idp_initiated_login is not None:
            flag = arguments.flag(idp_initiated_login, "saml.idp_initiated_login")
            given["idp_initiated_login"] = flag
        return given

    def _oidc_given(
        self,
        issuer: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Iterable[str] | None = None,
        token_endpoint_auth_method: str | None = None,
    ) -> dict[str, object]:
        """The OIDC settings given, checked; the secret encrypted."""
        given: dict[str, object] = {}
        if issuer is not None:
            given["issuer"] = cv.url(issuer, "oidc.issuer").rstrip("/")
        if client_id is not None:
            given["client_id"] = cv.identifier(client_id, "oidc.client_id")
        if client_secret is not None:
            given["client_secret_encrypted"] = self.sso_config.encrypt(_secret(client_secret))
        if scopes is not None:
            given["scopes"] = cv.scopes(scopes)
        if token_endpoint_auth_method is not None:
            given["token_endpoint_auth_method"] = cv.token_auth_method(token_endpoint_auth_method)
        return given

    def _change_connection(
        self, organization_id: str, connection_id: str, change: Change, actor: str, why: str | None
    ) -> Connection:
        who, why = values.actor(actor), values.reason(why)

        def command() -> Connection:
            org = self._org(organization_id)
            conn = self._connection(org, connection_id)
            change(conn, Act(self.now(org, conn), who, why))
            self._save(conn)
            return self._view(conn, org)

        return self.run_command(command)

    def _connection(
        self, org: Organization, connection_id: str, *, for_update: bool = True
    ) -> ConnectionAggregate:
        uid = ids.decode(ids.CONNECTION, connection_id, "connection_id")
        conn = self._get(uid, ConnectionAggregate, for_update=for_update)
        if conn is None or conn.state.deleted or conn.state.organization_id != org.id:
            raise ConnectionNotFound(connection_id)
        return conn

    def _view(self, conn: ConnectionAggregate, org: Organization) -> Connection:
        return connection_of(conn, self._sso_on(org), self.sso_config, self.now())


_SAML: Final = ("idp_entity_id", "sso_url", "certificates", "metadata_xml", "idp_initiated_login")
_OIDC: Final = ("issuer", "client_id", "client_secret", "scopes", "token_endpoint_auth_method")


def _settings(given: Mapping[str, Any], field: str, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(given, Mapping):
        raise InvalidField(field, "must be a mapping of settings")
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InvalidField(field, f"unknown setting {unknown[0]!r}; known: {', '.join(known)}")
    return dict(given)


def _secret(value: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= SECRET_MAX:
        raise InvalidField("oidc.client_secret", f"must be 1-{SECRET_MAX} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise InvalidField("oidc.client_secret", "must not contain control characters")
    return value
