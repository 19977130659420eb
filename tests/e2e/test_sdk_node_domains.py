"""The official Node SDK's domain and connection calls against a real ``tenantry serve --http2``
in plain text (h2c). The test prepares, over REST, an organization with SSO on, an enabled SAML
connection configured from IdP metadata, and a domain verified by an admin's word;
``sdk_node/domains.js`` then creates, gets, lists and deletes a domain, lists the connections by
organization and by that domain, and creates a connection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.e2e.http_support import Server, serve
from tests.e2e.sdk_support import run_node
from tests.sso_support import idp_metadata_xml, make_certificate

DOMAIN = "node-sso.example"


def _prepared(server: Server) -> tuple[str, str]:
    """An organization with an enabled SAML connection and the verified domain ``DOMAIN``."""
    now = datetime.now(UTC)
    cert = make_certificate(not_before=now - timedelta(days=1), not_after=now + timedelta(days=90))
    with server.client() as api:
        org_id = api.post("/api/v1/organizations", json={"display_name": "Node SSO"}).json()[
            "organization"
        ]["id"]
        base = f"/api/v1/organizations/{org_id}"
        steps = [
            api.patch(f"{base}/settings", json={"features": [{"name": "sso", "enabled": True}]}),
            conn := api.post(f"{base}/connections", json={"type": "SAML", "provider": "OKTA"}),
        ]
        conn_id = conn.json()["connection"]["id"]
        domain = api.post(f"{base}/domains", json={"domain": DOMAIN})
        steps += [
            api.patch(
                f"{base}/connections/{conn_id}",
                json={"saml_config": {"idp_metadata_xml": idp_metadata_xml(cert)}},
            ),
            api.patch(f"{base}/connections/{conn_id}:enable"),
            domain,
            api.post(
                f"{base}/domains/{domain.json()['domain']['id']}:verify", json={"method": "ADMIN"}
            ),
        ]
    for step in steps:
        assert step.is_success, step.text
    return org_id, conn_id


def test_the_node_sdk_manages_domains_and_lists_connections_over_h2c(
    node_sdk: Path, tmp_path: Path
) -> None:
    with serve(f"sqlite:///{tmp_path / 'node-sso.db'}", args=("--http2",)) as server:
        org_id, conn_id = _prepared(server)
        env = {"SSO_ORGANIZATION_ID": org_id, "SSO_DOMAIN": DOMAIN}
        out = run_node(node_sdk, "domains.js", server, env=env)
    assert out.returncode == 0, out.stderr
    seen: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])

    assert seen["created"]["domain"] == "node.example"
    assert seen["created"]["id"].startswith("dom_")
    assert seen["created"]["status"] == 1  # PENDING
    assert seen["got"] == "node.example"
    assert seen["listed"] == [DOMAIN, "node.example"]
    refused = {
        "taken": ("ScalekitConflictException", "domain_already_added", 6),
        "deleted": ("ScalekitNotFoundException", "domain_not_found", 5),
    }
    for key, expected in refused.items():
        assert seen[key] is not None, key
        assert (seen[key]["name"], seen[key]["errorCode"], seen[key]["grpcStatus"]) == expected

    assert seen["byOrg"] == [{"id": conn_id, "enabled": True}]
    assert seen["byDomain"] == [{"id": conn_id, "organizationId": org_id}]
    assert seen["made"] == {"type": "OIDC", "enabled": False}
