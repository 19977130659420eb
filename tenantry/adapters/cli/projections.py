"""``tenantry projections status | catch-up | rebuild NAME | follow`` (typer + rich)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tenantry.adapters.cli.options import DebugOpt
from tenantry.adapters.cli.reporting import reporting
from tenantry.adapters.database import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, connect
from tenantry.adapters.projections import ProjectionStore

projections_app = typer.Typer(help="Read models: status, catch-up, rebuild, follow.")
console = Console()

DatabaseUrl = typer.Option(
    DEFAULT_DATABASE_URL, "--database-url", envvar=DATABASE_URL_ENV, help="Where the events live."
)
BatchSize = typer.Option(1000, "--batch-size", min=1, max=100_000, help="Events per transaction.")


@contextmanager
def _store(database_url: str, debug: bool, batch_size: int = 1000) -> Iterator[ProjectionStore]:
    with reporting(debug=debug, as_json=False):
        app = connect(database_url)
        try:
            store = ProjectionStore(app, batch_size=batch_size)
            try:
                yield store
            finally:
                store.close()
        finally:
            app.close()


@contextmanager
def _bar(store: ProjectionStore, label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(label, total=store.head())

        def update(position: int, head: int) -> None:
            progress.update(task, completed=position, total=head)

        yield update


@projections_app.command()
def status(database_url: str = DatabaseUrl, debug: DebugOpt = False) -> None:
    """Position and lag of every projection."""
    with _store(database_url, debug) as store:
        table = Table(title="projections")
        for col in ("name", "version", "generation", "position", "head", "lag", "rebuild"):
            table.add_column(col)
        for s in store.status():
            rebuild = f"at {s.rebuild_position}" if s.rebuilding else ""
            table.add_row(
                s.name,
                str(s.version),
                str(s.generation or "-"),
                str(s.position),
                str(s.head),
                str(s.lag),
                rebuild,
            )
        console.print(table)


@projections_app.command("catch-up")
def catch_up(
    name: str = typer.Argument(None, help="One projection (default: all)."),
    database_url: str = DatabaseUrl,
    batch_size: int = BatchSize,
    debug: DebugOpt = False,
) -> None:
    """Brings projections up to the head of the log."""
    with _store(database_url, debug, batch_size) as store:
        names = [store.view(name).name] if name else list(store.views)
        for n in names:
            with _bar(store, n) as update:
                store.catch_up(n, progress=update)
        console.print(f"caught up: {', '.join(names)}")


@projections_app.command()
def rebuild(
    name: str = typer.Argument(..., help="The projection to rebuild."),
    database_url: str = DatabaseUrl,
    batch_size: int = BatchSize,
    debug: DebugOpt = False,
) -> None:
    """Replays the whole log into fresh tables beside the live ones, then swaps (resumable)."""
    with _store(database_url, debug, batch_size) as store:
        store.view(name)  # an unknown name is refused before any work
        with _bar(store, f"rebuild {name}") as update:
            store.rebuild(name, progress=update)
        console.print(f"rebuilt {name}")


@projections_app.command()
def follow(
    database_url: str = DatabaseUrl,
    interval: float = typer.Option(0.5, "--interval", min=0.01, help="Seconds between polls."),
    batch_size: int = BatchSize,
    debug: DebugOpt = False,
) -> None:
    """Keeps every projection caught up until interrupted (Ctrl-C or SIGTERM)."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with _store(database_url, debug, batch_size) as store:
        console.print("following the log; Ctrl-C to stop")
        store.follow(
            interval=interval,
            stop=stop,
            on_progress=lambda n: console.print(f"processed {n} log positions"),
        )
