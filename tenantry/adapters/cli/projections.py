"""``tenantry projections status | catch-up | rebuild NAME | follow``: the read models."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict
from rich.console import RenderableType
from rich.table import Table

from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import JsonOpt
from tenantry.adapters.cli.progress import tracker
from tenantry.adapters.cli.rendering import console, emit, err_console
from tenantry.adapters.projections import ProjectionStore
from tenantry.adapters.projections.supervision import follow_supervised
from tenantry.application.app import Tenantry
from tenantry.projections import dto as pdto

projections_app = typer.Typer(help="Read models: status, catch-up, rebuild, follow.")

BatchSizeOpt = Annotated[
    int, typer.Option("--batch-size", min=1, max=100_000, help="Events per transaction.")
]


class ProjectionRun(BaseModel):
    """What a catch-up, a rebuild or a follow did: the projections it ran and how many log
    positions they processed (summed over projections, as the Python API counts them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    projections: list[str]
    processed: int


@contextmanager
def _store(t: Tenantry, batch_size: int = 1000) -> Iterator[ProjectionStore]:
    store = ProjectionStore(t, batch_size=batch_size)
    try:
        yield store
    finally:
        store.close()


def _status_view(statuses: list[pdto.ProjectionStatus]) -> RenderableType:
    table = Table(title="projections")
    for col in ("name", "version", "generation", "position", "head", "lag", "rebuild", "failed"):
        table.add_column(col)
    for s in statuses:
        rebuild = f"at {s.rebuild_position}" if s.rebuilding else ""
        failed = ""
        if s.failure is not None:
            failed = f"at {s.failure.position} ({s.failure.attempts}x): {s.failure.error}"
        table.add_row(
            s.name,
            str(s.version),
            str(s.generation or "-"),
            str(s.position),
            str(s.head),
            str(s.lag),
            rebuild,
            failed,
        )
    return table


@operation(projections_app, "status", view=_status_view)
def status(t: Tenantry) -> list[pdto.ProjectionStatus]:
    """Position and lag of every projection, and the event that stopped a failed one."""
    with _store(t) as store:
        return store.status()


@operation(projections_app, "catch-up", view=lambda r: f"caught up: {', '.join(r.projections)}")
def catch_up(
    t: Tenantry,
    name: Annotated[str | None, typer.Argument(help="One projection (default: all).")] = None,
    batch_size: BatchSizeOpt = 1000,
) -> ProjectionRun:
    """Brings projections up to the head of the log (a failed one is tried again from the
    event it stopped at)."""
    with _store(t, batch_size) as store:
        names = [store.view(name).name] if name else list(store.views)
        processed = 0
        for n in names:
            with tracker(n, store.head()) as advance:
                processed += store.catch_up(n, progress=advance)
        return ProjectionRun(projections=names, processed=processed)


@operation(projections_app, "rebuild", view=lambda r: f"rebuilt {r.projections[0]}")
def rebuild(
    t: Tenantry,
    name: Annotated[str, typer.Argument(help="The projection to rebuild.")],
    batch_size: BatchSizeOpt = 1000,
) -> ProjectionRun:
    """Replays the whole log into fresh tables beside the live ones, then swaps (resumable)."""
    with _store(t, batch_size) as store:
        store.view(name)  # an unknown name is refused before any work
        with tracker(f"rebuild {name}", store.head()) as advance:
            processed = store.rebuild(name, progress=advance)
        return ProjectionRun(projections=[name], processed=processed)


@operation(projections_app, "follow")
def follow(
    t: Tenantry,
    interval: Annotated[
        float, typer.Option("--interval", min=0.01, help="Seconds between polls.")
    ] = 0.5,
    batch_size: BatchSizeOpt = 1000,
    json_output: JsonOpt = False,
) -> None:
    """Keeps every projection caught up until interrupted (Ctrl-C or SIGTERM). A follower that
    stops on an error (a database restart, a held lock) is restarted after a backoff of 0.5 s
    doubling to 30 s, and its heartbeat and restarts are recorded as the server's are (`/readyz`
    shows them). With --json the messages go to stderr, and what was processed is printed when
    it stops."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    say = err_console if json_output else console
    processed = 0

    def on_progress(n: int) -> None:
        nonlocal processed
        processed += n
        say.print(f"processed {n} log positions")

    with _store(t, batch_size) as store:
        say.print("following the log; Ctrl-C to stop")
        follow_supervised(store, stop, interval=interval, on_progress=on_progress)
        run = ProjectionRun(projections=list(store.views), processed=processed)
    if json_output:
        emit(run, as_json=True)
