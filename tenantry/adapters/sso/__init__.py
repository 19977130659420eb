"""The SSO protocol core: tenantry as a SAML service provider and an OpenID Connect relying party.

Plain inputs in (the IdP's and the SP's settings, the posted message, the browser's outstanding
request), a verified :class:`~tenantry.adapters.sso.identity.SsoIdentity` out, or a
:class:`~tenantry.errors.SamlRejected` / :class:`~tenantry.errors.OidcRejected` naming the failed
check. Connections, routes and user provisioning wire these modules; they know none of them.
"""
