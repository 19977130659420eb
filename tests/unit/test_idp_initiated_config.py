"""The application IdP-initiated SAML logins are handed to: set from the environment or with
``configure_sso``, and only when its redirect URI is an allowed one."""

from __future__ import annotations

import pytest

import tenantry
from tenantry.application.sso_config import SsoConfig
from tenantry.errors import InvalidField

CALLBACK = "https://app.example/callback"


def test_the_environment_names_the_application_of_idp_initiated_logins() -> None:
    env = {
        "TENANTRY_SSO_REDIRECT_URIS": CALLBACK,
        "TENANTRY_SSO_IDP_INITIATED_CLIENT_ID": " cli_1 ",
        "TENANTRY_SSO_IDP_INITIATED_REDIRECT_URI": CALLBACK,
    }
    assert SsoConfig.from_env(env).idp_initiated_app() == ("cli_1", CALLBACK)
    assert SsoConfig.from_env({"TENANTRY_SSO_REDIRECT_URIS": CALLBACK}).idp_initiated_app() is None
    unlisted = {**env, "TENANTRY_SSO_REDIRECT_URIS": "https://app.example/other"}
    assert SsoConfig.from_env(unlisted).idp_initiated_app() is None


def test_configure_sso_sets_checks_and_unsets_the_application() -> None:
    t = tenantry.connect("memory://")
    try:
        t.configure_sso(redirect_uris=[CALLBACK], idp_initiated_app=("cli_1", CALLBACK))
        assert t.sso_config.idp_initiated_app() == ("cli_1", CALLBACK)
        t.configure_sso(base_url="https://sso.example")  # left out: kept
        assert t.sso_config.idp_initiated_app() == ("cli_1", CALLBACK)
        for bad in (("", CALLBACK), ("cli_1", "not a url"), ("cli_1",)):
            with pytest.raises(InvalidField) as refused:
                t.configure_sso(idp_initiated_app=bad)  # type: ignore[arg-type]
            assert refused.value.field == "idp_initiated_app"
        assert t.sso_config.idp_initiated_app() == ("cli_1", CALLBACK)
        t.configure_sso(idp_initiated_app=("", ""))
        assert t.sso_config.idp_initiated_app() is None
    finally:
        t.close()
