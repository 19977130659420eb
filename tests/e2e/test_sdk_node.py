"""The official Node SDK (@scalekit-sdk/node, installed with npm into a temporary folder) against
a real ``tenantry serve --http2`` in plain text: an ``http://`` URL makes the SDK speak h2c with
prior knowledge. Its first call carries no token, is answered UNAUTHENTICATED, and the SDK then
fetches one from ``/oauth/token`` (HTTP/1.1, same port) and retries.

``sdk_node/organizations.js`` runs the guide's Node samples as printed (only the URL, the
credentials and the placeholder organization id are this server's), then each supported call
and its refusals, and prints what it saw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.http_support import serve
from tests.e2e.sdk_support import run_node


def test_the_node_sdk_runs_the_guide_and_each_call_over_h2c(node_sdk: Path, tmp_path: Path) -> None:
    with serve(f"sqlite:///{tmp_path / 'node.db'}", args=("--http2",)) as server:
        assert server.base_url.startswith("http://")
        out = run_node(node_sdk, "organizations.js", server)
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
    assert "GeneratePortalLink" in seen["unimplemented"]["message"]
    assert "display_name" in seen["invalid"]["message"]
