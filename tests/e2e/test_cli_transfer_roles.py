"""``tenantry export | import`` carry an organization's roles; a tampered role book is refused
with exit 3, naming the event's field."""

from __future__ import annotations

import json
from pathlib import Path

from tenantry.domain.errors import ErrorKind
from tests.e2e.test_cli import Cli, _refusal


def test_an_organizations_roles_cross_databases_and_a_cycle_is_refused(tmp_path: Path) -> None:
    source = Cli(f"sqlite:///{tmp_path / 'source.db'}", tmp_path)
    target = Cli(f"sqlite:///{tmp_path / 'target.db'}", tmp_path)
    org = source.json("orgs", "create", "Megasoft")["id"]
    source("roles", "create", "billing", "--org", org, "-p", "invoices:read")
    source("roles", "create", "billing-admin", "--org", org, "--extends", "billing")
    source("members", "add", org, "ada@megasoft.example", "--role", "billing-admin")
    exported = source("export", org).out
    lines = exported.splitlines()
    tampered, defined = [], {}
    for n, line in enumerate(lines, start=1):
        record = json.loads(line)
        if record["topic"].endswith("RoleBook.Defined"):
            defined[record["state"]["role"]["name"]] = n
            if record["state"]["role"]["name"] == "billing":
                record["state"]["role"]["extends"] = "billing-admin"
        tampered.append(json.dumps(record))
    refused = target("import", "-", stdin="\n".join(tampered), expect=3)
    _refusal(refused, "role_inheritance_cycle", ErrorKind.INVALID_ARGUMENT)
    # the definition that closes the cycle is named
    assert f"event {defined['billing-admin']}.role.extends" in refused.err
    assert "billing-admin -> billing -> billing-admin" in refused.err
    target("import", "-", stdin=exported)
    assert target.json("roles", "list", "--org", org) == source.json("roles", "list", "--org", org)
    ada = ("members", "get", org, "ada@megasoft.example")
    assert target.json(*ada)["permissions"] == ["invoices:read"]
