"""The identity providers the SSO pages walk an admin through: for each, the protocol (SAML or
OIDC), the steps in the provider's own console, and which of tenantry's values goes where.

A step names the service provider's values it needs (``acs_url``, ``sp_entity_id``,
``sp_metadata``, ``redirect_uri``); the page shows each one under the step with a copy button
(or, for the metadata, a download). ``{vendor}`` in a step is the vendor's name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from tenantry.domain.connection_values import ConnectionType, Provider
from tenantry.domain.errors import InvalidField

SpValue = Literal["acs_url", "sp_entity_id", "sp_metadata", "redirect_uri"]


@dataclass(frozen=True)
class Step:
    """One thing to do in the provider's console, and the values of ours it asks for."""

    text: str
    values: tuple[SpValue, ...] = ()

    def said(self, vendor: str) -> str:
        return self.text.replace("{vendor}", vendor)


@dataclass(frozen=True)
class Guide:
    """How to connect one provider over one protocol (``key``: ``okta-saml``, …)."""

    key: str
    name: str
    provider: Provider
    type: ConnectionType
    steps: tuple[Step, ...]

    @property
    def protocol(self) -> str:
        return "SAML 2.0" if self.type is ConnectionType.SAML else "OpenID Connect"


SAML, OIDC = ConnectionType.SAML, ConnectionType.OIDC

_OKTA_SAML = Guide(
    "okta-saml",
    "Okta",
    Provider.OKTA,
    SAML,
    (
        Step(
            "In the Okta Admin Console, open Applications → Applications, choose Create App "
            "Integration, pick SAML 2.0 and select Next."
        ),
        Step("Name the app (for example “{vendor}”) and select Next."),
        Step(
            "Single sign-on URL: paste the ACS URL, and keep “Use this for Recipient URL and "
            "Destination URL” checked.",
            ("acs_url",),
        ),
        Step("Audience URI (SP Entity ID): paste the SP entity ID.", ("sp_entity_id",)),
        Step("Name ID format: EmailAddress. Application username: Email."),
        Step(
            "Attribute Statements (optional): email → user.email, given_name → user.firstName, "
            "family_name → user.lastName. For groups, add a Group Attribute Statement named "
            "groups (filter: Matches regex .*). Then select Next and Finish."
        ),
        Step(
            "On the app's Sign On tab, open the Metadata URL, save the XML it shows and upload "
            "it below (or paste it)."
        ),
        Step("On the Assignments tab, assign the people or groups who sign in."),
    ),
)

_ENTRA_SAML = Guide(
    "entra-saml",
    "Microsoft Entra ID",
    Provider.MICROSOFT_AD,
    SAML,
    (
        Step(
            "In the Microsoft Entra admin center, open Enterprise applications, choose New "
            "application → Create your own application, name it “{vendor}”, pick “Integrate any "
            "other application you don't find in the gallery” and select Create."
        ),
        Step("Open Single sign-on and choose SAML."),
        Step(
            "Basic SAML Configuration → Edit: Identifier (Entity ID) is the SP entity ID; Reply "
            "URL (Assertion Consumer Service URL) is the ACS URL. Save. (Or choose Upload "
            "metadata file and give it the SP metadata.)",
            ("sp_entity_id", "acs_url", "sp_metadata"),
        ),
        Step(
            "Attributes & Claims: the defaults send the e-mail address, given name and surname. "
            "To send groups, choose Add a group claim."
        ),
        Step("SAML Certificates: download Federation Metadata XML and upload it below."),
        Step("Users and groups: assign who signs in."),
    ),
)

_GOOGLE_SAML = Guide(
    "google-saml",
    "Google Workspace",
    Provider.GOOGLE,
    SAML,
    (
        Step(
            "In the Google Admin console, open Apps → Web and mobile apps, choose Add app → Add "
            "custom SAML app, name it “{vendor}” and select Continue."
        ),
        Step(
            "Google Identity Provider details: choose Download metadata (upload that file "
            "below), then Continue."
        ),
        Step(
            "Service provider details: ACS URL is the ACS URL; Entity ID is the SP entity ID. "
            "Name ID format: EMAIL; Name ID: Basic Information > Primary email. Continue.",
            ("acs_url", "sp_entity_id"),
        ),
        Step(
            "Attribute mapping (optional): First name → given_name, Last name → family_name; "
            "for groups, add Group membership → groups. Finish."
        ),
        Step(
            "Open the app's User access and turn it ON for everyone or for the organizational "
            "units who sign in (Google may take a few minutes to apply it)."
        ),
    ),
)

_JUMPCLOUD_SAML = Guide(
    "jumpcloud-saml",
    "JumpCloud",
    Provider.JUMPCLOUD,
    SAML,
    (
        Step(
            "In the JumpCloud Admin Portal, open SSO Applications, choose Add New Application → "
            "Custom Application, select Manage Single Sign-On (SSO) with SAML and name it "
            "“{vendor}”."
        ),
        Step(
            "On the SSO tab: IdP Entity ID — any unique name (e.g. jumpcloud-{vendor}); SP "
            "Entity ID — the SP entity ID; ACS URL — the ACS URL.",
            ("sp_entity_id", "acs_url"),
        ),
        Step(
            "SAMLSubject NameID: email; NameID format: "
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress; Signature Algorithm: "
            "RSA-SHA256; check Sign Assertion."
        ),
        Step(
            "User attributes (optional): email → email, given_name → firstname, family_name → "
            "lastname; for groups, check Include group attribute, named groups."
        ),
        Step("Activate, open the application again, choose Export Metadata and upload it below."),
        Step("User Groups: bind the groups who sign in."),
    ),
)

_ONELOGIN_SAML = Guide(
    "onelogin-saml",
    "OneLogin",
    Provider.ONELOGIN,
    SAML,
    (
        Step(
            "In OneLogin, open Applications → Applications → Add App, find “SAML Custom "
            "Connector (Advanced)”, name it “{vendor}” and Save."
        ),
        Step(
            "Configuration tab: Audience (EntityID) is the SP entity ID; Recipient and ACS "
            "(Consumer) URL are the ACS URL; ACS (Consumer) URL Validator is ^ followed by the "
            "ACS URL and $. SAML signature element: Assertion. Save.",
            ("sp_entity_id", "acs_url"),
        ),
        Step(
            "Parameters tab (optional): add email (Email), given_name (First Name), family_name "
            "(Last Name), each included in the SAML assertion; groups if you map groups."
        ),
        Step("More Actions → SAML Metadata: save the XML and upload it below."),
        Step("Users or Roles: give the people who sign in access to the app."),
    ),
)

_GENERIC_SAML = Guide(
    "custom-saml",
    "Other SAML 2.0 provider",
    Provider.CUSTOM,
    SAML,
    (
        Step("In your identity provider, add a SAML 2.0 application for “{vendor}”."),
        Step(
            "Give it our ACS URL (Assertion Consumer Service, HTTP-POST binding) and our SP "
            "entity ID (the audience) — or the SP metadata file if it reads one.",
            ("acs_url", "sp_entity_id", "sp_metadata"),
        ),
        Step(
            "Send the user's e-mail address as the NameID (format emailAddress) or in an "
            "attribute named email; optionally given_name, family_name and groups. Sign the "
            "assertion (or the whole response) with RSA-SHA256."
        ),
        Step(
            "Upload its metadata XML below, or enter its entity ID, single sign-on URL and "
            "signing certificate."
        ),
    ),
)

_OKTA_OIDC = Guide(
    "okta-oidc",
    "Okta",
    Provider.OKTA,
    OIDC,
    (
        Step(
            "In the Okta Admin Console, open Applications → Applications, choose Create App "
            "Integration, pick OIDC - OpenID Connect and Web Application, then Next; name the "
            "app “{vendor}”."
        ),
        Step(
            "Sign-in redirect URIs: paste the redirect URI. Grant type: Authorization Code. Save.",
            ("redirect_uri",),
        ),
        Step(
            "From the General tab, copy the Client ID and a client secret into the form below. "
            "The issuer is your Okta domain, e.g. https://yourcompany.okta.com."
        ),
        Step("On the Assignments tab, assign the people or groups who sign in."),
    ),
)

_ENTRA_OIDC = Guide(
    "entra-oidc",
    "Microsoft Entra ID",
    Provider.MICROSOFT_AD,
    OIDC,
    (
        Step(
            "In the Microsoft Entra admin center, open App registrations → New registration and "
            "name it “{vendor}”. Redirect URI: platform Web, the redirect URI. Register.",
            ("redirect_uri",),
        ),
        Step("From Overview, copy the Application (client) ID and the Directory (tenant) ID."),
        Step("Certificates & secrets → New client secret: copy its Value (shown once)."),
        Step(
            "Below, the issuer is https://login.microsoftonline.com/<Directory (tenant) "
            "ID>/v2.0, with the client ID and the secret's value. To send groups, add a groups "
            "claim under Token configuration."
        ),
    ),
)

_ONELOGIN_OIDC = Guide(
    "onelogin-oidc",
    "OneLogin",
    Provider.ONELOGIN,
    OIDC,
    (
        Step(
            "In OneLogin, open Applications → Applications → Add App, find “OpenId Connect "
            "(OIDC)”, name it “{vendor}” and Save."
        ),
        Step("Configuration tab: Redirect URIs — the redirect URI. Save.", ("redirect_uri",)),
        Step(
            "SSO tab: copy the Client ID and Client Secret into the form below; the issuer is "
            "https://<your subdomain>.onelogin.com/oidc/2."
        ),
        Step("Users or Roles: give the people who sign in access to the app."),
    ),
)

_GENERIC_OIDC = Guide(
    "custom-oidc",
    "Other OpenID Connect provider",
    Provider.CUSTOM,
    OIDC,
    (
        Step(
            "In your OpenID provider, register a web application (a confidential client) for "
            "“{vendor}” with the redirect URI, using the authorization code flow.",
            ("redirect_uri",),
        ),
        Step("Allow the scopes openid, email and profile."),
        Step(
            "Enter below the issuer (the URL whose /.well-known/openid-configuration is the "
            "discovery document), the client ID and the client secret."
        ),
    ),
)

GUIDES: Final = (
    _OKTA_SAML,
    _OKTA_OIDC,
    _ENTRA_SAML,
    _ENTRA_OIDC,
    _GOOGLE_SAML,
    _JUMPCLOUD_SAML,
    _ONELOGIN_SAML,
    _ONELOGIN_OIDC,
    _GENERIC_SAML,
    _GENERIC_OIDC,
)
"""Every guide, in the order the "new connection" page offers them."""

_BY_KEY: Final = {g.key: g for g in GUIDES}


def providers() -> list[tuple[str, list[Guide]]]:
    """The guides grouped by provider name, in :data:`GUIDES`' order."""
    grouped: dict[str, list[Guide]] = {}
    for guide in GUIDES:
        grouped.setdefault(guide.name, []).append(guide)
    return list(grouped.items())


def guide_by_key(key: str | None) -> Guide:
    """The guide ``key`` names (the "new connection" form's ``guide`` field)."""
    found = _BY_KEY.get(key or "")
    if found is None:
        raise InvalidField("guide", "pick one of the identity providers listed")
    return found


def guide_for(provider: str, type: str) -> Guide:
    """The guide of a connection: its provider's for its protocol, else the generic one (a
    provider set through the API, such as Ping Identity, has no guide of its own here)."""
    for guide in GUIDES:
        if guide.provider == provider and guide.type == type:
            return guide
    return _GENERIC_OIDC if type == OIDC else _GENERIC_SAML
