"""Progress bars: on stderr and only when stderr is a terminal, so that stdout carries nothing
but the data (pipes and ``--json`` stay clean) and logs or captured stderr get no bars."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from tenantry.adapters.cli.rendering import err_console
from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry


def bar(total: int | None) -> Progress:
    """A progress bar on stderr, drawn only on a terminal and cleared when done."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total is not None else TextColumn("{task.completed}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)`` for counted work."""
    with bar(total) as shown:
        task = shown.add_task(description, total=total)
        yield lambda n: shown.advance(task, n)


@contextmanager
def tracker(description: str, total: int | None) -> Iterator[Callable[[int, int], None]]:
    """Yields a projection's ``progress(position, head)``."""
    with bar(total) as shown:
        task = shown.add_task(description, total=total)
        yield lambda at, head: shown.update(task, completed=at, total=head)


@contextmanager
def caught_up(t: Tenantry, *names: str) -> Iterator[ProjectionStore]:
    """The projections, with ``names`` brought up to the head of the log first (a bar shows
    how far), so a query in this short-lived process sees every recorded event."""
    store = ProjectionStore(t)
    try:
        for name in names:
            with tracker(f"catching up {name}", store.head()) as advance:
                store.catch_up(name, progress=advance)
        yield store
    finally:
        store.close()
