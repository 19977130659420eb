"""``tenantry export | import``: a tenant's whole history out as JSON lines, and back in."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import CLI_ACTOR, ActorOpt, JsonOpt, OrgArg
from tenantry.adapters.cli.progress import progress
from tenantry.adapters.cli.rendering import emit
from tenantry.application import transfer
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField

commands = typer.Typer()


@operation(commands, "export")
def export(
    t: Tenantry,
    organization_id: OrgArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Write an organization's full history (with its memberships' and users') as JSON lines.
    The summary goes to stdout with -o, else to stderr."""
    with progress("exporting events") as advance:
        records, summary = transfer.export_organization(t, organization_id, progress=advance)
    lines = "".join(transfer.dump_line(r) + "\n" for r in records)
    if output is None:
        sys.stdout.write(lines)
        sys.stdout.flush()
    else:
        output.write_text(lines, encoding="utf-8")
    emit(summary, as_json=json_output, err=output is None)


@operation(commands, "import")
def import_(
    t: Tenantry,
    path: Annotated[str, typer.Argument(help="An export file (- for stdin).", metavar="FILE")],
    actor: ActorOpt = CLI_ACTOR,
) -> transfer.TransferSummary:
    """Replay an export into this database with its ids, in one transaction. Refused if the
    organization is here already, or its external id or slug is held by a live organization."""
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise InvalidField("FILE", f"cannot read {path}: {e.strerror}") from None
    lines = _text(data, "stdin" if path == "-" else path).splitlines()
    with progress("importing events", total=len(lines)) as advance:
        records = transfer.parse_lines(lines, progress=advance)
        return transfer.import_organization(t, records, actor=actor)


def _text(data: bytes, name: str) -> str:
    """An export is UTF-8 text: anything else is bad input, named by its file and line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InvalidField("FILE", f"{name} line {line}: not UTF-8 text") from None
