"""The SCIM 2.0 service provider of the organizations' directories (RFC 7643, 7644).

Built on scim2-server's protocol steps and scim2-models' resources, filters and PATCH:
:mod:`~tenantry.adapters.scim.provider` (what is served and announced),
:mod:`~tenantry.adapters.scim.quirks` (the identity providers' deviations, straightened),
:mod:`~tenantry.adapters.scim.storage` (resources over the application's provisioning verbs),
:mod:`~tenantry.adapters.scim.errors` (tenantry's refusals as SCIM errors) and
:mod:`~tenantry.adapters.scim.endpoint` (one request in, one response out). It knows no web
framework: :mod:`tenantry.adapters.http.scim` mounts it.
"""
