"""The admin-portal link routes on SQLite and PostgreSQL, in the hosted API's shape: ``PUT
…/portal_links?features=…`` answers ``{"link": {"id", "location", "expire_time"}}`` (the
location under the public base URL, answered once and never stored), ``GET`` the live links
(never a secret), ``DELETE`` all or one ``{}``; errors name the field; the ``portal_links``
scopes guard them; the link's secret stays out of the server's logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tenantry.application.app import Tenantry
from tests.contract.test_hosted_shapes import EMPTY, TIME, check
from tests.contract.test_sso_http import _scoped
from tests.integration.http_support import ORGS, Api, assert_error, authorized
from tests.support import database
from tests.unit.helpers import stored

BASE = "https://portal.example.com"
LINK_ID = {"type": "string", "pattern": "^lnk_[0-9a-z]{26}$"}
NEW = {
    "type": "object",
    "required": ["link"],
    "additionalProperties": False,
    "properties": {
        "link": {
            "type": "object",
            "required": ["id", "location", "expire_time"],
            "additionalProperties": False,
            "properties": {
                "id": LINK_ID,
                "location": {
                    "type": "string",
                    "pattern": f"^{BASE}/portal/open\\?token=[0-9a-f]{{32}}\\.[-_0-9A-Za-z]{{43}}$",
                },
                "expire_time": TIME,
            },
        }
    },
}
LISTED = {
    "type": "object",
    "required": ["links"],
    "properties": {
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "organization_id", "features", "status", "expire_time"],
                "properties": {"id": LINK_ID, "status": {"enum": ["ACTIVE", "USED"]}},
                "not": {"required": ["location"]},
            },
        }
    },
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Api, Tenantry]]:
    tmp: Path = tmp_path_factory.mktemp("portal")
    with database(request.param, tmp) as url:
        app = create_app(url)
        t: Tenantry = app.state.tenantry
        t.configure_sso(base_url=BASE)
        with TestClient(app) as client:
            yield authorized(app, client), t


def _ok(r: Any, schema: dict[str, Any], status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    check(schema, r.json())
    body: dict[str, Any] = r.json()
    return body


def test_a_link_is_generated_listed_opened_and_revoked(
    served: tuple[Api, Tenantry], caplog: pytest.LogCaptureFixture
) -> None:
    api, t = served
    org = api.create_org(display_name="Portal")["id"]
    path = f"{ORGS}/{org}/portal_links"
    with caplog.at_level(logging.INFO):
        new = _ok(
            api.call("PUT", path, params=[("features", "sso"), ("features", "dir_sync")]), NEW
        )
    link = new["link"]
    token = link["location"].partition("?token=")[2]
    assert token not in caplog.text
    assert token.rpartition(".")[2] not in json.dumps(stored(t))
    listed = _ok(api.call("GET", path), LISTED)["links"]
    assert [(x["id"], x["features"], x["status"]) for x in listed] == [
        (link["id"], ["sso", "dir_sync"], "ACTIVE")
    ]
    opened = t.open_portal_link(token)
    assert opened.session.features == ("sso", "dir_sync")
    shared = _ok(api.call("PUT", path, params={"shareable": "true"}), NEW)["link"]
    assert [x["status"] for x in _ok(api.call("GET", path), LISTED)["links"]] == ["USED", "ACTIVE"]
    _ok(api.call("DELETE", f"{path}/{shared['id']}"), EMPTY)
    _ok(api.call("DELETE", f"{path}/{shared['id']}"), EMPTY)  # revoked already: the same
    assert [x["id"] for x in _ok(api.call("GET", path), LISTED)["links"]] == [link["id"]]
    _ok(api.call("DELETE", path), EMPTY)
    assert _ok(api.call("GET", path), LISTED)["links"] == []
    events = [(h.event, h.actor.partition(":")[0]) for h in t.list_history(org)]
    assert events[1:] == [
        ("PortalLinkGenerated", "client"),
        ("PortalLinkOpened", "portal"),
        ("PortalLinkGenerated", "client"),
        ("PortalLinkRevoked", "client"),
        ("PortalLinkRevoked", "client"),
    ]


def test_refusals_name_the_field_and_record_nothing(served: tuple[Api, Tenantry]) -> None:
    api, t = served
    org = api.create_org(display_name="Refusals")["id"]
    path = f"{ORGS}/{org}/portal_links"
    before = len(stored(t))
    bad = assert_error(api.call("PUT", path, params={"features": "billing"}), 400, "invalid_field")
    assert bad["details"]["field"] == "features"
    keyed = api.call("PUT", path, headers={"Idempotency-Key": "k-1"})
    assert assert_error(keyed, 400, "invalid_field")["details"]["field"] == "Idempotency-Key"
    unknown = f"{path}/lnk_01m8xaakcnfhk8g6z0q4fnwrx0"
    assert_error(api.call("DELETE", unknown), 404, "portal_link_not_found")
    assert_error(api.call("DELETE", f"{path}/nope"), 400, "invalid_field")
    missing = f"{ORGS}/org_01m8xaakcnfhk8g6z0q4fnwrx0/portal_links"
    assert_error(api.call("PUT", missing), 404, "organization_not_found")
    assert len(stored(t)) == before


def test_the_portal_links_scopes_guard_the_routes(served: tuple[Api, Tenantry]) -> None:
    api, _ = served
    org = api.create_org(display_name="Scoped")["id"]
    path = f"{ORGS}/{org}/portal_links"
    admin_of_orgs = _scoped(api, "orgs-writer", ["organizations:write"])
    assert_error(api.call("PUT", path, headers=admin_of_orgs), 403, "permission_denied")
    reader = _scoped(api, "portal-reader", ["portal_links:read"])
    assert api.call("GET", path, headers=reader).status_code == 200
    assert_error(api.call("DELETE", path, headers=reader), 403, "permission_denied")
    writer = _scoped(api, "portal-writer", ["portal_links:write"], organizations=[org])
    _ok(api.call("PUT", path, headers=writer), NEW)
    other = api.create_org(display_name="Other")["id"]
    refused = api.call("PUT", f"{ORGS}/{other}/portal_links", headers=writer)
    assert_error(refused, 404, "organization_not_found")
