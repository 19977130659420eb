"""``tenantry portal …`` and ``tenantry dashboard login``: a link is printed once (under
``$TENANTRY_SSO_BASE_URL``, on one unbroken line), listed without its secret, revoked (one or
all) and swept; a dashboard login link names its operator; every step names the CLI's actor in
the organization's history, and a refusal exits with its kind's code, naming the field."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import tenantry
from tests.e2e.cli_support import cli_json, run_cli

BASE = "https://portal.cli.example"


def _run(
    url: str, *args: str, expect: int = 0, as_json: bool = True
) -> subprocess.CompletedProcess[str]:
    return run_cli(url, BASE, *args, expect=expect, as_json=as_json)


def _json(url: str, *args: str) -> Any:
    return cli_json(url, BASE, *args)


def test_a_portal_link_is_printed_once_listed_revoked_and_in_the_history(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    org = _json(url, "orgs", "create", "Cli Portal")["id"]
    printed = _run(url, "portal", "link", org, "--feature", "sso", as_json=False).stdout
    location, described = printed.splitlines()
    assert location.startswith(f"{BASE}/portal/open?token=")
    link_id = described.split()[1]
    assert described == f"link: {link_id} (sso; opens once, until {described.split()[-1]}"
    shared = _json(url, "portal", "link", org, "--shareable", "--feature", "domain_verification")
    assert (shared["shareable"], shared["features"]) == (True, ["domain_verification"])
    listed = _json(url, "portal", "links", org)
    assert [x["id"] for x in listed] == [link_id, shared["id"]]
    assert "location" not in listed[0]
    assert location.partition("token=")[2] not in json.dumps(listed)
    with tenantry.connect(url) as t:
        opened = t.open_portal_link(location.partition("token=")[2])
        assert opened.session.features == ("sso",)
    assert _json(url, "portal", "revoke", org, shared["id"])["revoked"] == [shared["id"]]
    assert _json(url, "portal", "revoke", org)["revoked"] == [link_id]
    assert _json(url, "portal", "sweep", org) == {"organizations_checked": 1, "links_expired": 0}
    history = _json(url, "history", org)
    assert [(h["event"], h["actor"]) for h in history[1:]] == [
        ("PortalLinkGenerated", "cli:ops"),
        ("PortalLinkGenerated", "cli:ops"),
        ("PortalLinkOpened", f"portal:{link_id}"),
        ("PortalLinkRevoked", "cli:ops"),
        ("PortalLinkRevoked", "cli:ops"),
    ]


def test_refusals_exit_with_their_kinds_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'refused.db'}"
    org = _json(url, "orgs", "create", "Refused")["id"]
    bad = _run(url, "portal", "link", org, "--feature", "billing", expect=3)
    assert json.loads(bad.stderr)["error"]["details"]["field"] == "features"
    missing = _run(url, "portal", "revoke", org, "lnk_01m8xaakcnfhk8g6z0q4fnwrx0", expect=4)
    assert json.loads(missing.stderr)["error"]["code"] == "portal_link_not_found"


def test_dashboard_login_prints_a_one_time_link_for_its_operator(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dashboard.db'}"
    login = _json(url, "dashboard", "login", "--operator", "ann")
    assert login["operator"] == "ann"
    assert login["location"].startswith(f"{BASE}/dashboard/login?token=")
    text = _run(url, "dashboard", "login", as_json=False).stdout.splitlines()
    assert text[0].startswith(f"{BASE}/dashboard/login?token=")
    with tenantry.connect(url) as t:
        opened = t.open_dashboard_login(login["location"].partition("token=")[2])
        assert opened.session.actor == "dashboard:ann"
    audit = _json(url, "audit", "list", "--event-type", "DashboardLogin.Issued")["entries"]
    assert [e["actor"] for e in audit] == ["cli:ops", "cli:ops"]
