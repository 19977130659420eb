"""The official Node SDK's user calls against a real ``tenantry serve --http2`` in plain text
(h2c): ``sdk_node/users.js`` creates users and memberships, lists the organization's users page
by page and meets the seat limit, whose refusal arrives as the SDK's exception with tenantry's
``errorCode`` and gRPC status FAILED_PRECONDITION."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.http_support import serve
from tests.e2e.sdk_support import run_node

FAILED_PRECONDITION = 9


def test_the_node_sdk_creates_and_lists_users_and_meets_the_seat_limit(
    node_sdk: Path, tmp_path: Path
) -> None:
    with serve(f"sqlite:///{tmp_path / 'node-users.db'}", args=("--http2",)) as server:
        with server.client() as api:
            made = api.post("/api/v1/organizations", json={"display_name": "Two seats"})
            assert made.status_code == 201, made.text
            org_id = made.json()["organization"]["id"]
            limit = api.patch(
                f"/api/v1/organizations/{org_id}/settings/usermanagement",
                json={"settings": {"max_allowed_users": 2}},
            )
            assert limit.status_code == 200, limit.text
        out = run_node(node_sdk, "users.js", server, env={"ORGANIZATION_ID": org_id})
    assert out.returncode == 0, out.stderr
    seen: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])

    created = seen["created"]
    assert created["id"].startswith("usr_")
    assert (created["email"], created["externalId"]) == ("ada@example.com", "ada")
    assert created["metadata"] == {"team": "math"}
    # The SDK sends the hosted profile's firstName/lastName: tenantry's given and family name.
    assert (created["firstName"], created["givenName"], created["familyName"]) == (
        "Ada",
        "Ada",
        "Lovelace",
    )
    assert created["organizationId"] == org_id
    assert created["status"] == 1  # ACTIVE: sendInvitationEmail false adds the member at once

    assert seen["list"] == {
        "pages": 2,
        "total": 2,
        "emails": ["ada@example.com", "grace@example.com"],
    }

    refused = seen["seatLimit"]
    assert refused is not None
    assert refused["errorCode"] == "seat_limit_reached"
    assert refused["grpcStatus"] == FAILED_PRECONDITION
    assert refused["name"] == "ScalekitBadRequestException"
    assert "2 of 2 seats" in refused["message"]
    assert seen["afterRefusal"] == 2  # nothing recorded
