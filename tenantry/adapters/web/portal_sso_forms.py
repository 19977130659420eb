"""What the SSO pages read from their forms and show back: a SAML or OIDC form turned into the
keywords of the application's ``configure_*_connection``, a refusal turned into a message next
to the form field it names, and what the connection's page says about it (its SP values, its
certificates' expiry, the last step of the setup it completed).

A client secret is never shown back: a form re-shown after a refusal leaves its field empty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from starlette.datastructures import FormData

from tenantry.adapters.web.csrf import text_of
from tenantry.application.connection_dto import CertificateView, Connection
from tenantry.application.saml_documents import METADATA_MAX, PEM_MAX
from tenantry.domain.errors import InvalidField, TenantryError

SAML_FIELDS: Final = ("metadata_xml", "idp_entity_id", "sso_url", "certificate_pem")
OIDC_FIELDS: Final = ("issuer", "client_id", "scopes")
"""The fields a refused form shows again as they were typed (never the client secret)."""

_FIELD_OF: Final = {
    "saml.metadata_xml": "metadata_xml",
    "saml.idp_entity_id": "idp_entity_id",
    "saml.sso_url": "sso_url",
    "oidc.issuer": "issuer",
    "oidc.client_id": "client_id",
    "oidc.client_secret": "client_secret",
    "oidc.scopes": "scopes",
}
"""The application's field names (``InvalidField.field``) → this page's form fields."""


@dataclass(frozen=True)
class SamlForm:
    """A posted SAML form: the settings for ``configure_saml_connection`` (``None``: not
    given) and where each came from (a pasted text or an uploaded file), so that a refusal
    lands next to the right one."""

    metadata_xml: str | None
    idp_entity_id: str | None
    sso_url: str | None
    certificates: list[str] | None
    metadata_from: str = "metadata_xml"
    certificate_from: str = "certificate_pem"

    @property
    def empty(self) -> bool:
        given = (self.metadata_xml, self.idp_entity_id, self.sso_url, self.certificates)
        return all(v is None for v in given)

    def field_of(self, error_field: str) -> str:
        """The form field an application refusal of ``error_field`` is about."""
        if error_field.startswith("saml.certificates"):  # also `saml.certificates[0]`
            return self.certificate_from if self.certificates else self.metadata_from
        if error_field == "saml.metadata_xml":
            return self.metadata_from
        return _FIELD_OF.get(error_field, "")


async def saml_form(form: FormData) -> SamlForm:
    """The SAML settings of ``form``: pasted or uploaded metadata, the entity ID, the SSO URL
    and a pasted or uploaded certificate. A file wins over text pasted beside it."""
    metadata_file = await _upload(form, "metadata_file", METADATA_MAX)
    certificate_file = await _upload(form, "certificate_file", PEM_MAX)
    pasted_certificate = text_of(form, "certificate_pem")
    certificate = certificate_file or pasted_certificate
    found = SamlForm(
        metadata_xml=metadata_file or text_of(form, "metadata_xml"),
        idp_entity_id=text_of(form, "idp_entity_id"),
        sso_url=text_of(form, "sso_url"),
        certificates=None if certificate is None else [certificate],
        metadata_from="metadata_file" if metadata_file else "metadata_xml",
        certificate_from="certificate_file" if certificate_file else "certificate_pem",
    )
    if found.empty:
        raise InvalidField(
            "metadata_xml",
            "give the identity provider's metadata, or its entity ID, SSO URL or certificate",
        )
    return found


async def _upload(form: FormData, name: str, limit: int) -> str | None:
    """An uploaded file's text (``None`` when none was chosen), read no further than ``limit``
    bytes: a bigger one is not an IdP's metadata or certificate."""
    upload = form.get(name)
    if upload is None or isinstance(upload, str):
        return None
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidField(name, f"must be at most {limit} bytes")
    if not data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidField(name, "must be a text file (PEM or XML, UTF-8)") from None


@dataclass(frozen=True)
class OidcForm:
    issuer: str | None
    client_id: str | None
    client_secret: str | None
    scopes: list[str] | None

    @property
    def empty(self) -> bool:
        return all(
            v is None for v in (self.issuer, self.client_id, self.client_secret, self.scopes)
        )

    @staticmethod
    def field_of(error_field: str) -> str:
        return _FIELD_OF.get(error_field, "")


def oidc_form(form: FormData) -> OidcForm:
    """The OIDC settings of ``form``; an empty client secret keeps the one set before."""
    scopes = text_of(form, "scopes")
    secret = form.get("client_secret")
    found = OidcForm(
        issuer=text_of(form, "issuer"),
        client_id=text_of(form, "client_id"),
        client_secret=secret if isinstance(secret, str) and secret else None,
        scopes=None if scopes is None else scopes.split(),
    )
    if found.empty:
        raise InvalidField("issuer", "give the issuer, client ID or client secret")
    return found


def errors_of(error: TenantryError, field: str) -> dict[str, str]:
    """``error`` as the page shows it: its rule next to the form's ``field``, or (no field of
    the form: ``""``) the whole message above the form."""
    if field:
        rule = error.rule if isinstance(error, InvalidField) else error.message
        return {field: rule, "": "Nothing was saved: correct the field marked below."}
    return {"": f"Nothing was saved: {error.message}"}


def typed_values(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    """The text fields ``names`` as typed, to fill a refused form again."""
    return {n: v for n in names if isinstance(v := form.get(n), str)}


COMPLETED_STEPS: Final = ("sso.configured", "sso.tested", "sso.enabled")

_SETTING_NAMES: Final = {
    "saml.idp_entity_id": "IdP entity ID",
    "saml.sso_url": "IdP SSO URL",
    "saml.certificates": "signing certificate",
    "oidc.issuer": "issuer",
    "oidc.client_id": "client ID",
    "oidc.client_secret": "client secret",
}


def missing_settings(conn: Connection) -> list[str]:
    """What enabling ``conn`` still needs, as the form's labels name it."""
    return [_SETTING_NAMES.get(name, name) for name in conn.missing]


def completed_step(conn: Connection) -> str | None:
    """The furthest step of the setup ``conn`` has reached (announced to a framing page):
    enabled, else tested with success, else configured completely; ``None`` before."""
    if conn.enabled:
        return "sso.enabled"
    if conn.test_connection.result == "SUCCESS":
        return "sso.tested"
    return None if conn.missing else "sso.configured"


@dataclass(frozen=True)
class CertificateLine:
    """A signing certificate as the page lists it, with the days left before it expires."""

    certificate: CertificateView
    days_left: int

    @property
    def tone(self) -> str:
        return {"EXPIRED": "danger", "EXPIRING": "warn"}.get(self.certificate.status, "ok")


def certificate_lines(conn: Connection, now: datetime) -> list[CertificateLine]:
    saml = conn.saml_config
    if saml is None:
        return []
    return [CertificateLine(c, max(0, (c.not_after - now).days)) for c in saml.idp_certificates]


def sp_values(conn: Connection) -> dict[str, str]:
    """What the identity provider's admin copies from this page, by the guides' names."""
    if conn.saml_config is not None:
        return {
            "acs_url": conn.saml_config.sp_acs_url,
            "sp_entity_id": conn.saml_config.sp_entity_id,
        }
    if conn.oidc_config is not None:
        return {"redirect_uri": conn.oidc_config.redirect_uri}
    return {}
