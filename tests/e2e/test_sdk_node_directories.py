"""The official Node SDK's directory calls over h2c against a real ``tenantry serve --http2``:
``sdk_node/directories.js`` lists an organization's directories and its primary one, then the
users a real SCIM client provisioned into the directory, a page at a time, then those it changed
after a time (``updatedAfter``), and sees a time past what a Timestamp holds refused."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.http_support import serve
from tests.e2e.scim_support import SCIM_JSON, new_directory, user_body
from tests.e2e.sdk_support import run_node

EMAILS = ("ada.lovelace@acme.example", "grace.hopper@acme.example")


def test_the_node_sdk_lists_directories_and_their_users_over_h2c(
    node_sdk: Path, tmp_path: Path
) -> None:
    with serve(f"sqlite:///{tmp_path / 'node-dirs.db'}", args=("--http2",)) as server:
        directory = new_directory(server)
        with httpx.Client(
            base_url=directory.base_url,
            headers={"Authorization": f"Bearer {directory.token}", "Content-Type": SCIM_JSON},
            timeout=30,
        ) as idp:
            made = [idp.post("/Users", json=user_body(email)) for email in EMAILS]
            assert [m.status_code for m in made] == [201, 201], made[-1].text
            since = _next_second(made[-1].json()["meta"]["lastModified"])
            time.sleep(max(0.0, (since - datetime.now(since.tzinfo)).total_seconds()) + 0.05)
            off = idp.put(f"/Users/{made[0].json()['id']}", json=user_body(EMAILS[0], active=False))
            assert off.status_code == 200, off.text
        out = run_node(
            node_sdk,
            "directories.js",
            server,
            env={
                "ORGANIZATION_ID": directory.organization_id,
                "DIRECTORY_ID": directory.directory_id,
                "UPDATED_AFTER": since.isoformat().replace("+00:00", "Z"),
            },
        )
    assert out.returncode == 0, out.stderr
    seen: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])

    [listed] = seen["directories"]
    assert listed["id"] == directory.directory_id
    assert listed["enabled"] is True
    assert listed["endpoint"].endswith(f"/scim/v2/{directory.directory_id}")
    assert seen["primary"] == directory.directory_id
    assert seen["pages"] == [
        {"total": 2, "emails": [EMAILS[0]]},
        {"total": 2, "emails": [EMAILS[1]]},
    ]
    assert seen["changed"] == {"total": 1, "emails": [EMAILS[0]]}  # deactivated since
    assert seen["refused"]["name"] == "ScalekitBadRequestException"
    assert seen["refused"]["errorCode"] == "invalid_field"
    assert "updated_after" in seen["refused"]["message"]


def _next_second(moment: str) -> datetime:
    """The whole second after ``moment``: a time the SDK sends exactly (a JavaScript ``Date``
    keeps milliseconds), after the last create and before the change that follows it."""
    at = datetime.fromisoformat(moment).replace(microsecond=0)
    return at + timedelta(seconds=1)
