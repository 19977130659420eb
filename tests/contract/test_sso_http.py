"""The SSO connection and domain routes on SQLite and PostgreSQL: their JSON shapes (schemas
written from the hosted names: ``connection``, ``saml_config``, ``oidc_config``, ``connections``,
``domain``, ``domains``), their errors, the SP metadata download, and no client secret in any
response or stored event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import fromstring

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tenantry.application.app import Tenantry
from tests.contract.test_hosted_shapes import EMPTY, ERROR, TIME, check
from tests.integration.http_support import ORGS, Api, authorized
from tests.sso_support import TableResolver, fingerprint, idp_metadata_xml, make_certificate, pem
from tests.support import database

SECRET = "oidc-client-secret-never-shown"
NULLABLE_STR = {"type": ["string", "null"]}
CERTIFICATE = {
    "type": "object",
    "required": ["pem", "subject", "fingerprint_sha256", "not_before", "not_after", "status"],
    "properties": {
        "subject": {"type": "string"},
        "fingerprint_sha256": {"type": "string", "pattern": "^([0-9A-F]{2}:){31}[0-9A-F]{2}$"},
        "not_after": TIME,
        "status": {"enum": ["VALID", "EXPIRING", "EXPIRED"]},
    },
}
CONNECTION = {
    "type": "object",
    "required": [
        "id",
        "organization_id",
        "type",
        "provider",
        "enabled",
        "attribute_mapping",
        "saml_config",
        "oidc_config",
        "test_connection",
        "create_time",
        "update_time",
    ],
    "properties": {
        "id": {"type": "string", "pattern": "^conn_[0-9a-z]{26}$"},
        "organization_id": {"type": "string", "pattern": "^org_"},
        "type": {"enum": ["SAML", "OIDC"]},
        "provider": {"type": "string"},
        "enabled": {"type": "boolean"},
        "active": {"type": "boolean"},
        "saml_config": {
            "type": ["object", "null"],
            "required": ["idp_entity_id", "idp_sso_url", "idp_certificates", "sp_entity_id"],
            "properties": {
                "idp_certificates": {"type": "array", "items": CERTIFICATE},
                "sp_entity_id": {"type": "string"},
                "sp_acs_url": {"type": "string"},
            },
        },
        "oidc_config": {
            "type": ["object", "null"],
            "required": ["issuer", "client_id", "scopes", "token_auth_type"],
            "properties": {
                "client_secret": False,
                "issuer": NULLABLE_STR,
                "client_id": NULLABLE_STR,
                "client_secret_set": {"type": "boolean"},
                "scopes": {"type": "array", "items": {"type": "string"}},
                "token_auth_type": {"enum": ["client_secret_basic", "client_secret_post"]},
            },
        },
        "test_connection": {
            "type": "object",
            "required": ["result"],
            "properties": {"result": {"enum": ["NOT_TESTED", "SUCCESS", "FAILURE"]}},
        },
        "create_time": TIME,
        "update_time": TIME,
    },
}
ONE_CONNECTION = {
    "type": "object",
    "required": ["connection"],
    "properties": {"connection": CONNECTION},
}
CONNECTIONS = {
    "type": "object",
    "required": ["connections"],
    "properties": {"connections": {"type": "array", "items": CONNECTION}},
}
DOMAIN = {
    "type": "object",
    "required": ["id", "organization_id", "domain", "verification_status", "create_time"],
    "properties": {
        "id": {"type": "string", "pattern": "^dom_[0-9a-z]{26}$"},
        "domain": {"type": "string"},
        "verification_status": {"enum": ["PENDING", "VERIFIED"]},
        "verification": {
            "type": "object",
            "required": ["txt_record_name", "txt_record_value"],
        },
    },
}
ONE_DOMAIN = {"type": "object", "required": ["domain"], "properties": {"domain": DOMAIN}}
DOMAINS = {
    "type": "object",
    "required": ["domains"],
    "properties": {"domains": {"type": "array", "items": DOMAIN}},
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Api, Tenantry, TableResolver]]:
    tmp: Path = tmp_path_factory.mktemp("sso")
    with database(request.param, tmp) as url:
        app = create_app(url)
        t: Tenantry = app.state.tenantry
        resolver = TableResolver()
        t.configure_sso(
            base_url="https://auth.example.com",
            secret_keys=[Fernet.generate_key().decode()],
            resolver=resolver,
        )
        with TestClient(app) as client:
            yield authorized(app, client), t, resolver


def _org(api: Api, sso: bool = True) -> str:
    org_id: str = api.create_org(display_name="SSO")["id"]
    if sso:
        r = api.call(
            "PATCH",
            f"{ORGS}/{org_id}/settings",
            json={"features": [{"name": "sso", "enabled": True}]},
        )
        assert r.status_code == 200, r.text
    return org_id


def _scoped(
    api: Api, name: str, scopes: list[str], organizations: list[str] | None = None
) -> dict[str, str]:
    """The bearer header of a new client with ``scopes`` (and only ``organizations``)."""
    clients = api.client.app.state.clients  # type: ignore[attr-defined]
    new = clients.create_client(name, scopes=scopes, organizations=organizations)
    form = {"client_id": new.client_id, "client_secret": new.client_secret}
    r = api.client.post("/oauth/token", data={"grant_type": "client_credentials", **form})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _new_connection(api: Api, org_id: str, kind: str) -> str:
    r = api.call("POST", f"{ORGS}/{org_id}/connections", json={"type": kind})
    assert r.status_code == 201, r.text
    conn_id: str = r.json()["connection"]["id"]
    return conn_id


def _ok(r: Any, schema: dict[str, Any], status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    check(schema, r.json())
    body: dict[str, Any] = r.json()
    return body


def test_a_saml_connection_is_created_configured_from_metadata_enabled_and_listed(
    served: tuple[Api, Tenantry, TableResolver],
) -> None:
    api, _, _ = served
    org_id = _org(api)
    path = f"{ORGS}/{org_id}/connections"
    created = _ok(
        api.call("POST", path, json={"type": "SAML", "provider": "OKTA"}), ONE_CONNECTION, 201
    )
    conn_id = created["connection"]["id"]
    assert created["connection"]["enabled"] is False
    cert = make_certificate("okta.acme.test")
    body = {"saml_config": {"idp_metadata_xml": idp_metadata_xml(cert)}}
    configured = _ok(api.call("PATCH", f"{path}/{conn_id}", json=body), ONE_CONNECTION)
    saml = configured["connection"]["saml_config"]
    assert saml["idp_sso_url"] == "https://idp.example.com/sso"
    assert [c["fingerprint_sha256"] for c in saml["idp_certificates"]] == [fingerprint(cert)]
    enabled = _ok(api.call("PATCH", f"{path}/{conn_id}:enable"), ONE_CONNECTION)
    assert (enabled["connection"]["enabled"], enabled["connection"]["active"]) == (True, True)
    again = _ok(api.call("PATCH", f"{path}/{conn_id}:enable"), ONE_CONNECTION)  # idempotent
    assert again["connection"]["enabled"] is True
    listed = _ok(api.call("GET", path), CONNECTIONS)
    assert [c["id"] for c in listed["connections"]] == [conn_id]
    disabled = _ok(api.call("PATCH", f"{path}/{conn_id}:disable"), ONE_CONNECTION)
    assert disabled["connection"]["enabled"] is False
    assert disabled["connection"]["saml_config"]["idp_certificates"] == saml["idp_certificates"]


def test_the_sp_metadata_is_served_as_saml_metadata_xml(
    served: tuple[Api, Tenantry, TableResolver],
) -> None:
    api, _, _ = served
    org_id = _org(api)
    conn_id = _new_connection(api, org_id, "SAML")
    r = api.call("GET", f"{ORGS}/{org_id}/connections/{conn_id}/saml/metadata")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/samlmetadata+xml")
    root = fromstring(r.text)
    assert root.get("entityID") == f"https://auth.example.com/sso/v1/saml/{conn_id}"
    md = "{urn:oasis:names:tc:SAML:2.0:metadata}"
    acs = root.find(f"{md}SPSSODescriptor/{md}AssertionConsumerService")
    assert acs is not None
    assert acs.get("Location") == f"https://auth.example.com/sso/v1/saml/{conn_id}/acs"


def test_an_oidc_secret_is_accepted_but_never_answered_nor_stored_in_clear(
    served: tuple[Api, Tenantry, TableResolver],
) -> None:
    api, t, _ = served
    org_id = _org(api)
    path = f"{ORGS}/{org_id}/connections"
    conn_id = api.call("POST", path, json={"type": "OIDC", "provider": "ENTRA_ID"}).json()[
        "connection"
    ]["id"]
    body = {
        "oidc_config": {
            "issuer": "https://login.microsoftonline.test/tenant/v2.0",
            "client_id": "app-1",
            "client_secret": SECRET,
            "token_auth_type": "client_secret_post",
        },
        "attribute_mapping": {"group_roles": {"Admins": "admin"}},
    }
    r = api.call("PATCH", f"{path}/{conn_id}", json=body)
    got = _ok(r, ONE_CONNECTION)["connection"]
    assert got["provider"] == "MICROSOFT_AD"
    assert got["oidc_config"]["client_secret_set"] is True
    assert got["attribute_mapping"]["group_roles"] == {"Admins": "admin"}
    assert SECRET not in r.text
    assert SECRET not in api.call("GET", f"{path}/{conn_id}").text
    stored = [n.state.decode() for n in t.recorder.select_notifications(start=None, limit=100_000)]
    assert not [s for s in stored if SECRET in s]


def test_refusals_are_answered_with_the_error_shape(
    served: tuple[Api, Tenantry, TableResolver],
) -> None:
    api, _, _ = served
    org_id = _org(api, sso=False)
    path = f"{ORGS}/{org_id}/connections"
    conn_id = api.call("POST", path, json={"type": "SAML"}).json()["connection"]["id"]
    incomplete = api.call("PATCH", f"{path}/{conn_id}:enable")
    assert incomplete.status_code == 422, incomplete.text
    check(ERROR, incomplete.json())
    assert incomplete.json()["error_code"] == "connection_incomplete"
    cert = make_certificate()
    body = {
        "saml_config": {
            "idp_entity_id": "https://idp",
            "idp_sso_url": "https://idp/sso",
            "idp_certificates": [pem(cert)],
        }
    }
    assert api.call("PATCH", f"{path}/{conn_id}", json=body).status_code == 200
    off = api.call("PATCH", f"{path}/{conn_id}:enable")
    check(ERROR, off.json())
    assert (off.json()["error_code"], off.json()["details"]["feature"]) == (
        "feature_disabled",
        "sso",
    )
    bad = api.call("PATCH", f"{path}/{conn_id}", json={"saml_config": {"idp_certificates": ["x"]}})
    assert bad.status_code == 400
    assert bad.json()["error_code"] == "invalid_certificate"
    missing = api.call("GET", f"{path}/conn_01m8xaakcnfhk8g6z0q4fnwrx0")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "connection_not_found"
    deleted = api.call("DELETE", f"{path}/{conn_id}")
    assert deleted.status_code == 200
    check(EMPTY, deleted.json())
    assert api.call("GET", f"{path}/{conn_id}").status_code == 404


def test_a_domain_is_added_verified_by_dns_listed_and_deleted(
    served: tuple[Api, Tenantry, TableResolver],
) -> None:
    api, _, resolver = served
    org_id = _org(api)
    path = f"{ORGS}/{org_id}/domains"
    added = _ok(api.call("POST", path, json={"domain": "Http.Acme.Example"}), ONE_DOMAIN, 201)
    domain = added["domain"]
    assert (domain["domain"], domain["verification_status"]) == ("http.acme.example", "PENDING")
    not_yet = api.call("POST", f"{path}/{domain['id']}:verify")
    check(ERROR, not_yet.json())
    assert not_yet.json()["error_code"] == "domain_not_verified"
    record = domain["verification"]
    resolver.records[record["txt_record_name"]] = [record["txt_record_value"]]
    verified = _ok(api.call("POST", f"{path}/{domain['id']}:verify"), ONE_DOMAIN)
    assert verified["domain"]["verification_method"] == "DNS"
    other = _org(api)
    theirs = api.call("POST", f"{ORGS}/{other}/domains", json={"domain": "http.acme.example"})
    taken = api.call(
        "POST",
        f"{ORGS}/{other}/domains/{theirs.json()['domain']['id']}:verify",
        json={"method": "ADMIN"},
    )
    assert taken.status_code == 409
    assert taken.json()["error_code"] == "domain_taken"
    assert [d["id"] for d in _ok(api.call("GET", path), DOMAINS)["domains"]] == [domain["id"]]
    check(EMPTY, api.call("DELETE", f"{path}/{domain['id']}").json())
    assert _ok(api.call("GET", path), DOMAINS)["domains"] == []


def test_a_client_without_the_connections_scope_is_refused(
    served: tuple[Api, Tenantry, TableResolver],
) -> None:
    api, _, _ = served
    org_id = _org(api)
    headers = _scoped(api, "orgs-only", ["organizations:write"])
    refused = api.client.get(f"{ORGS}/{org_id}/connections", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["details"] == {"scope": "connections:read"}


def test_a_patch_refused_in_one_part_changes_no_part(
    served: tuple[Api, Tenantry, TableResolver],
) -> None:
    api, _, _ = served
    org_id = _org(api)
    path = f"{ORGS}/{org_id}/connections"
    conn_id = api.call("POST", path, json={"type": "SAML"}).json()["connection"]["id"]
    body = {
        "provider": "JUMPCLOUD",
        "attribute_mapping": {"group_roles": {"Ops": "admin"}},
        "saml_config": {"idp_certificates": ["not a certificate"]},
    }
    refused = api.call("PATCH", f"{path}/{conn_id}", json=body)
    assert refused.status_code == 400
    assert refused.json()["details"]["field"] == "saml.certificates"
    after = api.call("GET", f"{path}/{conn_id}").json()["connection"]
    assert (after["provider"], after["attribute_mapping"]["group_roles"]) == ("CUSTOM", {})


def test_connections_are_listed_by_domain_for_the_clients_organizations_only(
    served: tuple[Api, Tenantry, TableResolver],
) -> None:
    api, _, _ = served
    org_id = _org(api)
    conn_id = _new_connection(api, org_id, "OIDC")
    dom = api.call("POST", f"{ORGS}/{org_id}/domains", json={"domain": "bydomain.example"})
    api.call(
        "POST",
        f"{ORGS}/{org_id}/domains/{dom.json()['domain']['id']}:verify",
        json={"method": "ADMIN"},
    )
    found = _ok(
        api.call("GET", "/api/v1/connections", params={"domain": "bydomain.example"}), CONNECTIONS
    )
    assert [c["id"] for c in found["connections"]] == [conn_id]
    other = _org(api)
    headers = _scoped(api, "elsewhere", ["connections:read"], [other])
    hidden = api.client.get(
        "/api/v1/connections", params={"domain": "bydomain.example"}, headers=headers
    )
    assert hidden.status_code == 200
    assert hidden.json() == {"connections": []}
