"""The official Node SDK (@scalekit-sdk/node, installed with npm into a temporary folder) against
a real ``tenantry serve --http2`` in plain text: an ``http://`` URL makes the SDK speak h2c with
prior knowledge. Its first call carries no token, is answered UNAUTHENTICATED, and the SDK then
fetches one from ``/oauth/token`` (HTTP/1.1, same port) and retries.

``sdk_node/organizations.js`` runs the guide's Node samples as printed (only the URL, the
credentials and the placeholder organization id are this server's), then each supported call
and its refusals, and prints what it saw; ``sdk_node/organization_settings.js`` does the same
for features, admin-portal links, the seat limit and the session policy. With an ``https://``
URL the SDK speaks TLS with ALPN ``h2``, trusting a private certificate through
``NODE_EXTRA_CA_CERTS``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx

import tenantry
from tests.e2e.http_support import Server, free_port, serve
from tests.e2e.sdk_support import run_node


def test_the_node_sdk_runs_the_guide_and_each_call_over_h2c(node_sdk: Path, tmp_path: Path) -> None:
    with serve(f"sqlite:///{tmp_path / 'node.db'}", args=("--http2",)) as server:
        assert server.base_url.startswith("http://")
        out = run_node(node_sdk, "organizations.js", server)
    _check_organizations(out)


def test_the_node_sdk_speaks_tls_with_alpn_h2(
    node_sdk: Path, sdk_server: Server, sdk_certificate: tuple[Path, Path]
) -> None:
    """An ``https://`` URL: the SDK trusts the server's certificate through
    ``NODE_EXTRA_CA_CERTS`` and calls gRPC over HTTP/2 negotiated by ALPN."""
    assert sdk_server.base_url.startswith("https://")
    out = run_node(
        node_sdk,
        "organizations.js",
        sdk_server,
        env={"NODE_EXTRA_CA_CERTS": str(sdk_certificate[0])},
    )
    _check_organizations(out)


def _check_organizations(out: subprocess.CompletedProcess[str]) -> None:
    assert out.returncode == 0, out.stderr
    printed, document = out.stdout.strip().splitlines()[0], out.stdout.strip().splitlines()[-1]
    # The guide prints `organization.id`; the SDK answers a response holding `organization`.
    assert printed == "Organization created: undefined"
    seen: dict[str, Any] = json.loads(document)

    assert seen["created"]["displayName"] == "Acme Corporation"
    assert seen["created"]["externalId"] == "acme-corp-123"
    assert seen["updated"] == {
        "displayName": "Acme Corporation Ltd",
        "metadata": {
            "plan": "enterprise",
            "paymentMethod": "stripe",
            "customField": "custom-value",
        },
    }
    assert seen["byExternalId"] == seen["created"]["id"]
    assert seen["renamed"] == "Acme by external id"
    assert seen["list"] == {"pages": 2, "total": 12, "ids": 12, "distinct": 12}

    expected = {
        "taken": ("ScalekitConflictException", "external_id_taken", 6),
        "invalid": ("ScalekitBadRequestException", "invalid_field", 3),
        "unimplemented": ("ScalekitNotImplementedException", "unimplemented", 12),
        "notFound": ("ScalekitNotFoundException", "organization_not_found", 5),
    }
    for key, (name, error_code, status) in expected.items():
        assert seen[key] is not None, key
        assert (seen[key]["name"], seen[key]["errorCode"], seen[key]["grpcStatus"]) == (
            name,
            error_code,
            status,
        ), key
    assert "ClientService.ListOrganizationClients" in seen["unimplemented"]["message"]
    assert "display_name" in seen["invalid"]["message"]


def test_the_node_sdk_runs_the_guides_feature_and_portal_samples(
    node_sdk: Path, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"  # the server's public base URL: links point there
    with serve(
        f"sqlite:///{tmp_path / 'settings.db'}",
        port=port,
        args=("--http2",),
        env={"TENANTRY_SSO_BASE_URL": base},
    ) as server:
        out = run_node(node_sdk, "organization_settings.js", server)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.strip().splitlines()
        seen: dict[str, Any] = json.loads(lines[-1])
        location = seen["portalLink"]["location"]
        assert lines[0] == f"Admin Portal URL: {location}"
        assert location.startswith(f"{base}/portal/open?token=")
        assert seen["portalLink"]["id"].startswith("lnk_")
        with httpx.Client(base_url=base, timeout=10) as browser:
            token = location.partition("token=")[2]
            assert f'value="{token}"' in browser.get(location).text  # the page posts it
            opened = browser.post("/portal/open", data={"token": token})
            assert opened.status_code == 303, opened.text
            home = browser.get("/portal")
            assert home.status_code == 200
            assert "Node Settings Co" in home.text

    org_id = seen["id"]
    t = tenantry.connect(server.database_url)
    org = t.get_organization(org_id)
    assert {f.name for f in org.settings.features if f.enabled} == {"sso", "dir_sync"}
    assert seen["features"] == ["dir_sync", "sso"]
    assert t.get_user_management_settings(org_id).max_allowed_users == 12
    assert seen["seats"] == {"set": 7, "read": 7, "cleared": True}
    policy = t.get_session_policy(org_id)
    assert (policy.policy_source, policy.absolute_session_timeout) == ("CUSTOM", 360)
    assert (policy.idle_session_timeout, policy.idle_session_timeout_unit) == (84, "MINUTES")
    assert seen["policy"] == {
        "source": 2,  # SessionPolicyType.CUSTOM
        "absolute": 360,
        "idle": 84,
        "idleEnabled": True,
        "readAbsolute": 360,
    }
    actors = {e.event: e.actor for e in t.list_history(org_id)}
    for event in ("FeatureToggled", "PortalLinkGenerated", "LimitSet", "SessionPolicySet"):
        assert actors[event] == f"client:{server.client_id}", event

    expected = {
        "unknownFeature": ("ScalekitBadRequestException", "unknown_feature", 3),
        "negativeSeats": ("ScalekitBadRequestException", "invalid_field", 3),
        "notFound": ("ScalekitNotFoundException", "organization_not_found", 5),
    }
    for key, (name, error_code, status) in expected.items():
        assert seen[key] is not None, key
        got = (seen[key]["name"], seen[key]["errorCode"], seen[key]["grpcStatus"])
        assert got == (name, error_code, status), key
    assert "max_allowed_users" in seen["negativeSeats"]["message"]
