"""The text rule on the command line: an argument that is not valid text (a byte the locale cannot
decode arrives as a lone surrogate), a control character, or an import file that is not an
export, is a refusal (exit 3, one line naming the field), never an internal error."""

from __future__ import annotations

import json
from pathlib import Path

from tenantry.domain.errors import ErrorKind
from tests.e2e.test_cli import Cli, _refusal, cli  # noqa: F401 - cli is a pytest fixture

UNDECODABLE = "\udcff"
"""How Python hands over the argv byte 0xFF (``tenantry orgs create $'\\xff'``)."""


def test_an_argument_that_is_not_valid_text_is_refused(cli: Cli) -> None:  # noqa: F811
    for args in (
        ["orgs", "create", UNDECODABLE],
        ["orgs", "create", "a\x01b"],
        ["orgs", "create", "abc\u202egnp.exe"],
        ["orgs", "create", "Acme", "-m", f"ke{UNDECODABLE}y=value"],
        ["orgs", "create", "Acme", "--external-id", f"x{UNDECODABLE}"],
        ["orgs", "search", f"{UNDECODABLE}abc"],
    ):
        _refusal(cli(*args, expect=3), "invalid_field", ErrorKind.INVALID_ARGUMENT)
    assert cli.json("orgs", "list")["organizations"] == []


def test_an_import_of_a_file_that_is_not_a_valid_export_is_refused(
    cli: Cli,  # noqa: F811
    tmp_path: Path,
) -> None:
    org = cli.json("orgs", "create", "Acme", "--slug", "acme")
    export = tmp_path / "acme.jsonl"
    cli("export", org["id"], "-o", str(export))
    first, *rest = export.read_text().splitlines()
    record = json.loads(first)
    record["state"]["slug"] = "Not A Slug"
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join([json.dumps(record), *rest]) + "\n")
    binary = tmp_path / "binary.dat"
    binary.write_bytes(bytes(range(256)) * 4)
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello\n")
    for path in (edited, binary, not_json):
        _refusal(cli("import", str(path), expect=3), "invalid_field", ErrorKind.INVALID_ARGUMENT)
