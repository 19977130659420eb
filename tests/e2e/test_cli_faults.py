"""Expected faults of the installed ``tenantry`` are one ``error [code]: message`` line with the
exit code of their kind (README's table), never a traceback: a missing extra, bad input to
``import``, and the API clients' refusals."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tenantry.adapters.cli import EXIT_CODES
from tenantry.domain.errors import ErrorKind
from tests.e2e.test_cli import COMMAND, Cli, Result, _refusal


def _without(modules: list[str], *args: str, cwd: Path) -> Result:
    """``tenantry ARGS`` in a Python where ``modules`` cannot be imported (as if an extra were
    not installed)."""
    hide = "; ".join(f"sys.modules[{m!r}] = None" for m in modules)
    code = f"import sys; {hide}; from tenantry.adapters.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize(
    "args",
    [("serve",), ("clients", "list")],
    ids=" ".join,
)
def test_a_missing_http_extra_names_the_pip_command(args: tuple[str, ...], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'tenantry.db'}"
    result = _without(["fastapi", "uvicorn"], *args, "-d", db, cwd=tmp_path)
    _refusal(result, "extra_missing", ErrorKind.FAILED_PRECONDITION)
    assert "missing fastapi, uvicorn" in result.err
    assert "pip install 'tenantry[http]'" in result.err  # [http] is not eaten as markup


def test_a_postgresql_url_without_its_driver_names_the_pip_command(tmp_path: Path) -> None:
    # Refused before any connection is tried: nothing listens on this port.
    url = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"
    result = _without(["psycopg"], "orgs", "list", "-d", url, cwd=tmp_path)
    _refusal(result, "extra_missing", ErrorKind.FAILED_PRECONDITION)
    assert "pip install 'tenantry[postgres]'" in result.err


def test_importing_a_binary_file_is_an_invalid_argument_naming_the_file_and_line(
    tmp_path: Path,
) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'tenantry.db'}", tmp_path)
    picture = tmp_path / "logo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    result = cli("import", str(picture), expect=EXIT_CODES[ErrorKind.INVALID_ARGUMENT])
    _refusal(result, "invalid_field", ErrorKind.INVALID_ARGUMENT)
    assert f"{picture} line 1: not UTF-8 text" in result.err

    piped = subprocess.run(
        [*COMMAND, "import", "-", "--json", "-d", cli.database_url],
        input=b'{"a": 1}\n{"b": 2}\n\xc3\x28\n',
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert piped.returncode == EXIT_CODES[ErrorKind.INVALID_ARGUMENT]
    error = json.loads(piped.stderr)["error"]
    assert (error["code"], error["message"]) == (
        "invalid_field", "FILE: stdin line 3: not UTF-8 text",
    )  # fmt: skip


def test_deleting_an_unknown_api_client_is_not_found(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'tenantry.db'}", tmp_path)
    _refusal(
        cli("clients", "delete", "cli_nobody", expect=4), "client_not_found", ErrorKind.NOT_FOUND
    )
    _refusal(
        cli("clients", "rotate", "cli_nobody", expect=4), "client_not_found", ErrorKind.NOT_FOUND
    )


def test_api_clients_cannot_be_kept_in_memory(tmp_path: Path) -> None:
    cli = Cli("memory://", tmp_path)
    _refusal(cli("clients", "create", "ci", expect=3), "invalid_field", ErrorKind.INVALID_ARGUMENT)
    _refusal(cli("serve", "--workers", "2", expect=3), "invalid_field", ErrorKind.INVALID_ARGUMENT)


def test_a_catch_up_on_a_locked_database_is_one_line_with_the_unavailable_code(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tenantry.db"
    cli = Cli(f"sqlite:///{path}?timeout=1", tmp_path)
    cli("orgs", "create", "Hooli")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        plain = cli("projections", "catch-up", expect=EXIT_CODES["unavailable"])
        as_json = cli("projections", "catch-up", "--json", expect=EXIT_CODES["unavailable"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (
        plain.err.strip() == "error [unavailable]: the database is unavailable: database is locked"
    )
    assert json.loads(as_json.err)["error"]["code"] == "unavailable"
    cli("projections", "catch-up")  # and once the lock is gone, it resumes
