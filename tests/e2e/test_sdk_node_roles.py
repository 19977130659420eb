"""The official Node SDK's roles calls (``scalekit.role``) against a real ``tenantry serve
--http2`` in plain text (h2c): ``sdk_node/roles.js`` creates, reads and lists roles of the
environment and of an organization, and meets two refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.http_support import serve
from tests.e2e.sdk_support import run_node


def test_the_node_sdk_creates_lists_and_gets_roles_over_h2c(node_sdk: Path, tmp_path: Path) -> None:
    with serve(f"sqlite:///{tmp_path / 'node-roles.db'}", args=("--http2",)) as server:
        assert server.base_url.startswith("http://")
        out = run_node(node_sdk, "roles.js", server)
    assert out.returncode == 0, out.stderr
    seen: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])

    editor = {
        "name": "content_editor",
        "displayName": "Content Editor",
        "extends": "member",
        "permissions": ["content:read", "content:write"],
        "isOrgRole": False,
    }
    assert seen["created"] == editor
    assert seen["got"] == editor
    assert sorted(seen["listed"]) == ["admin", "content_editor", "member"]
    assert seen["orgListed"] == [
        {
            "name": "billing",
            "displayName": "Billing",
            "permissions": [],
            "isOrgRole": True,
        }
    ]
    expected = {
        "taken": ("ScalekitConflictException", "role_already_exists", 6),
        "notFound": ("ScalekitNotFoundException", "role_not_found", 5),
    }
    for key, (name, error_code, status) in expected.items():
        assert seen[key] is not None, key
        assert (seen[key]["name"], seen[key]["errorCode"], seen[key]["grpcStatus"]) == (
            name,
            error_code,
            status,
        ), key
    assert "content_editor" in seen["taken"]["message"]
