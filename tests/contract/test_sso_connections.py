"""SSO connections behave the same on every backend: created disabled, configured (SAML with real
certificates or IdP metadata, OIDC with an encrypted secret), enabled only when complete and the
organization's ``sso`` feature is on, active only while both hold; nothing is recorded when a
command is refused, and no client secret reaches an event."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from tenantry.application.app import Tenantry
from tenantry.errors import (
    CertificateExpired,
    ClientSecretUnreadable,
    ConnectionIncomplete,
    ConnectionNotFound,
    FeatureDisabled,
    InvalidCertificate,
    InvalidField,
    InvalidSamlMetadata,
    NothingChanged,
    SsoSecretKeyMissing,
    WrongConnectionType,
)
from tests.sso_support import T0, fingerprint, idp_metadata_xml, make_certificate, pem
from tests.support import FakeClock

SECRET = "s3cr3t-client-value-that-must-never-leak"


@pytest.fixture
def sso_app(make_app: Callable[..., Tenantry], database_url: str) -> Tenantry:
    app = make_app(database_url)
    app.configure_sso(
        base_url="https://auth.example.com", secret_keys=[Fernet.generate_key().decode()]
    )
    return app


def _org(app: Tenantry, sso: bool = True) -> str:
    org_id = app.create_organization("Acme").id
    if sso:
        app.update_organization_settings(org_id, [("sso", True)])
    return org_id


def _stored_json(app: Tenantry) -> str:
    return "\n".join(
        n.state.decode() for n in app.recorder.select_notifications(start=None, limit=10_000)
    )


def test_a_saml_connection_is_created_disabled_with_its_service_provider_urls(
    sso_app: Tenantry,
) -> None:
    org_id = _org(sso_app)
    conn = sso_app.create_connection(org_id, "SAML", "OKTA")
    assert conn.id.startswith("conn_")
    assert len(conn.id) == 31
    assert (conn.type, conn.provider, conn.enabled, conn.active) == ("SAML", "OKTA", False, False)
    assert conn.missing == ["saml.idp_entity_id", "saml.sso_url", "saml.certificates"]
    assert conn.saml_config is not None
    assert conn.oidc_config is None
    assert conn.saml_config.sp_entity_id == f"https://auth.example.com/sso/v1/saml/{conn.id}"
    assert conn.saml_config.sp_acs_url == f"https://auth.example.com/sso/v1/saml/{conn.id}/acs"
    assert sso_app.get_connection(org_id, conn.id) == conn
    assert [c.id for c in sso_app.list_connections(org_id)] == [conn.id]


def test_a_saml_connection_takes_certificates_and_reports_their_facts(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    good = make_certificate("idp.acme.test")
    soon = make_certificate("old.acme.test", not_after=T0 + timedelta(days=10))
    conn = sso_app.configure_saml_connection(
        org_id,
        conn_id,
        idp_entity_id="https://idp.acme.test",
        sso_url="https://idp.acme.test/sso",
        certificates=[pem(good), pem(soon)],
    )
    assert conn.saml_config is not None
    certs = conn.saml_config.idp_certificates
    assert [c.subject for c in certs] == ["CN=idp.acme.test", "CN=old.acme.test"]
    assert [c.fingerprint_sha256 for c in certs] == [fingerprint(good), fingerprint(soon)]
    assert [c.status for c in certs] == ["VALID", "EXPIRING"]
    assert certs[0].not_after == good.not_valid_after_utc
    assert conn.missing == []


def test_an_expired_or_unreadable_certificate_is_refused_and_nothing_is_recorded(
    sso_app: Tenantry,
) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    expired = make_certificate(not_after=T0 - timedelta(seconds=1))
    with pytest.raises(CertificateExpired) as caught:
        sso_app.configure_saml_connection(org_id, conn_id, certificates=[pem(expired)])
    assert caught.value.field == "saml.certificates[0]"
    assert sso_app.last_position is None
    with pytest.raises(InvalidCertificate):
        sso_app.configure_saml_connection(org_id, conn_id, certificates=["not a certificate"])
    assert sso_app.get_connection(org_id, conn_id).saml_config.idp_certificates == []  # type: ignore[union-attr]


def test_idp_metadata_fills_entity_id_sso_url_and_certificates(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML", "ENTRA_ID").id
    cert = make_certificate("login.microsoftonline.test")
    conn = sso_app.configure_saml_connection(
        org_id, conn_id, metadata_xml=idp_metadata_xml(cert, "https://sts.test/x", "https://s.test")
    )
    saml = conn.saml_config
    assert saml is not None
    assert conn.provider == "MICROSOFT_AD"
    assert (saml.idp_entity_id, saml.idp_sso_url) == ("https://sts.test/x", "https://s.test")
    assert [c.fingerprint_sha256 for c in saml.idp_certificates] == [fingerprint(cert)]


def test_idp_metadata_with_an_external_entity_is_refused(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&x;"/>'
    )
    with pytest.raises(InvalidSamlMetadata) as caught:
        sso_app.configure_saml_connection(org_id, conn_id, metadata_xml=xxe)
    assert "DTD" in caught.value.rule
    with pytest.raises(InvalidSamlMetadata):
        sso_app.configure_saml_connection(org_id, conn_id, metadata_xml="<not-closed>")


def test_enabling_needs_a_complete_configuration_and_the_sso_feature(sso_app: Tenantry) -> None:
    org_id = _org(sso_app, sso=False)
    conn_id = sso_app.create_connection(org_id, "OIDC", "GOOGLE").id
    with pytest.raises(ConnectionIncomplete) as caught:
        sso_app.enable_connection(org_id, conn_id)
    assert caught.value.missing == ["oidc.issuer", "oidc.client_id", "oidc.client_secret"]
    sso_app.configure_oidc_connection(
        org_id,
        conn_id,
        issuer="https://accounts.google.test/",
        client_id="client-1",
        client_secret=SECRET,
    )
    with pytest.raises(FeatureDisabled) as off:
        sso_app.enable_connection(org_id, conn_id)
    assert off.value.feature == "sso"
    assert sso_app.last_position is None
    sso_app.update_organization_settings(org_id, [("sso", True)])
    conn = sso_app.enable_connection(org_id, conn_id)
    assert (conn.enabled, conn.active) == (True, True)
    with pytest.raises(NothingChanged):
        sso_app.enable_connection(org_id, conn_id)


def test_turning_the_feature_off_stops_sign_in_but_keeps_the_configuration(
    sso_app: Tenantry,
) -> None:
    org_id = _org(sso_app)
    conn_id = _complete_oidc(sso_app, org_id)
    sso_app.enable_connection(org_id, conn_id)
    before = sso_app.get_connection(org_id, conn_id)
    sso_app.update_organization_settings(org_id, [("sso", False)])
    off = sso_app.get_connection(org_id, conn_id)
    assert (off.enabled, off.active) == (True, False)
    assert off.oidc_config == before.oidc_config
    sso_app.update_organization_settings(org_id, [("sso", True)])
    assert sso_app.get_connection(org_id, conn_id).active


def test_the_client_secret_is_encrypted_never_returned_and_never_in_an_event(
    sso_app: Tenantry,
) -> None:
    org_id = _org(sso_app)
    conn_id = _complete_oidc(sso_app, org_id)
    conn = sso_app.get_connection(org_id, conn_id)
    assert conn.oidc_config is not None
    assert conn.oidc_config.client_secret_set
    assert SECRET not in conn.model_dump_json()
    stored = _stored_json(sso_app)
    assert "client_secret_encrypted" in stored
    assert SECRET not in stored
    assert sso_app.oidc_client_secret(org_id, conn_id) == SECRET


def test_a_client_secret_without_a_configured_key_is_refused(
    make_app: Callable[..., Tenantry], clock: FakeClock
) -> None:
    app = make_app("memory://")
    org_id = _org(app)
    conn_id = app.create_connection(org_id, "OIDC").id
    with pytest.raises(SsoSecretKeyMissing):
        app.configure_oidc_connection(org_id, conn_id, client_secret=SECRET)
    assert app.get_connection(org_id, conn_id).oidc_config.client_secret_set is False  # type: ignore[union-attr]


def test_settings_of_the_other_type_are_refused(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    saml_id = sso_app.create_connection(org_id, "SAML").id
    with pytest.raises(WrongConnectionType):
        sso_app.configure_oidc_connection(org_id, saml_id, client_id="x")
    with pytest.raises(InvalidField) as caught:
        sso_app.configure_saml_connection(org_id, saml_id, sso_url="ftp://idp.test/sso")
    assert caught.value.field == "saml.sso_url"


def test_attribute_mapping_and_group_roles_are_kept(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    conn = sso_app.update_connection(
        org_id,
        conn_id,
        attribute_mapping={"email": "http://schemas.xmlsoap.org/claims/EmailAddress"},
        group_roles={"Engineering": "admin"},
    )
    assert conn.attribute_mapping.attributes["email"].endswith("EmailAddress")
    assert conn.attribute_mapping.attributes["given_name"] == "given_name"
    assert conn.attribute_mapping.group_roles == {"Engineering": "admin"}
    with pytest.raises(InvalidField):
        sso_app.update_connection(org_id, conn_id, attribute_mapping={"password": "p"})


def test_a_test_outcome_is_recorded_with_its_reason(sso_app: Tenantry, clock: FakeClock) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    conn = sso_app.record_connection_test(
        org_id, conn_id, success=False, failure_reason="wrong audience"
    )
    assert (conn.test_connection.result, conn.test_connection.reason) == (
        "FAILURE",
        "wrong audience",
    )
    assert conn.test_connection.tested_at == clock()
    conn = sso_app.record_connection_test(org_id, conn_id, success=True)
    assert (conn.test_connection.result, conn.test_connection.reason) == ("SUCCESS", None)


def test_a_deleted_connection_is_gone_and_another_organization_cannot_see_one(
    sso_app: Tenantry,
) -> None:
    org_id, other = _org(sso_app), _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    with pytest.raises(ConnectionNotFound):
        sso_app.get_connection(other, conn_id)
    sso_app.delete_connection(org_id, conn_id)
    with pytest.raises(ConnectionNotFound):
        sso_app.get_connection(org_id, conn_id)
    assert sso_app.list_connections(org_id) == []


def test_sp_metadata_names_the_entity_id_and_the_post_acs(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    xml = sso_app.get_saml_sp_metadata(org_id, conn_id)
    assert f'entityID="https://auth.example.com/sso/v1/saml/{conn_id}"' in xml
    assert 'WantAssertionsSigned="true"' in xml
    assert f'Location="https://auth.example.com/sso/v1/saml/{conn_id}/acs"' in xml


def _complete_oidc(app: Tenantry, org_id: str) -> str:
    conn_id = app.create_connection(org_id, "OIDC", "OKTA").id
    app.configure_oidc_connection(
        org_id,
        conn_id,
        issuer="https://acme.okta.test",
        client_id="0oa123",
        client_secret=SECRET,
        scopes=["openid", "email"],
        token_endpoint_auth_method="client_secret_post",
    )
    return conn_id


def test_stored_connection_events_are_readable_json(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    _complete_oidc(sso_app, org_id)
    records = [
        json.loads(n.state)
        for n in sso_app.recorder.select_notifications(start=None, limit=10_000)
        if n.topic.startswith("tenantry.domain.connection:")
    ]
    assert [r["actor"] for r in records] == ["system", "system"]
    assert records[1]["oidc"]["token_endpoint_auth_method"] == "client_secret_post"


def test_a_rotated_key_still_reads_old_secrets_and_a_dropped_one_does_not(
    sso_app: Tenantry,
) -> None:
    org_id = _org(sso_app)
    conn_id = _complete_oidc(sso_app, org_id)
    old = list(sso_app.sso_config.secret_keys)
    sso_app.configure_sso(secret_keys=[Fernet.generate_key().decode(), *old])
    assert sso_app.oidc_client_secret(org_id, conn_id) == SECRET
    sso_app.configure_sso(secret_keys=[Fernet.generate_key().decode()])
    with pytest.raises(ClientSecretUnreadable):
        sso_app.oidc_client_secret(org_id, conn_id)


def test_one_update_changes_every_part_or_none(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    expired = make_certificate(not_after=T0 - timedelta(days=1))
    with pytest.raises(CertificateExpired):
        sso_app.update_connection(
            org_id,
            conn_id,
            provider="ONELOGIN",
            group_roles={"Ops": "admin"},
            saml={"idp_entity_id": "https://idp.test", "certificates": [pem(expired)]},
        )
    assert sso_app.last_position is None
    unchanged = sso_app.get_connection(org_id, conn_id)
    assert (unchanged.provider, unchanged.attribute_mapping.group_roles) == ("CUSTOM", {})
    with pytest.raises(InvalidField) as unknown:
        sso_app.update_connection(org_id, conn_id, saml={"acs_url": "https://x.test"})
    assert unknown.value.field == "saml"
    done = sso_app.update_connection(
        org_id,
        conn_id,
        provider="ONELOGIN",
        group_roles={"Ops": "admin"},
        saml={"idp_entity_id": "https://idp.test", "sso_url": "https://idp.test/sso"},
    )
    assert (done.provider, done.saml_config.idp_entity_id) == ("ONELOGIN", "https://idp.test")  # type: ignore[union-attr]
    configured = [
        n
        for n in sso_app.recorder.select_notifications(start=None, limit=1000)
        if n.topic.endswith("Connection.Configured")
    ]
    assert len(configured) == 1


def test_a_connection_is_found_by_its_id_alone_while_its_organization_lives(
    sso_app: Tenantry,
) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    assert sso_app.find_connection(conn_id) == sso_app.get_connection(org_id, conn_id)
    sso_app.delete_organization(org_id)
    with pytest.raises(ConnectionNotFound):
        sso_app.find_connection(conn_id)
