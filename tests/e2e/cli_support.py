"""Runs the ``tenantry`` command as an operator would: its own environment (no stray
``TENANTRY_*`` of the test run), a database URL, a public base URL and an actor."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from tests.e2e.test_cli import COMMAND


def run_cli(
    url: str, base: str, *args: str, expect: int = 0, as_json: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env.update(TENANTRY_DATABASE_URL=url, TENANTRY_SSO_BASE_URL=base, TENANTRY_ACTOR="cli:ops")
    done = subprocess.run(
        [*COMMAND, *args, *(["--json"] if as_json else [])],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == expect, f"{args} exited {done.returncode}: {done.stderr}"
    return done


def cli_json(url: str, base: str, *args: str) -> Any:
    return json.loads(run_cli(url, base, *args).stdout)
