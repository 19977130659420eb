"""Progress bars on stderr, drawn only on a terminal so that pipes and ``--json`` stay clean."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from tenantry.adapters.cli.rendering import err_console
from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry


def bar(total: int | None, *, console_: Console = err_console, always: bool = False) -> Progress:
    """A progress bar, on stderr and only on a terminal unless ``always``."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total is not None else TextColumn("{task.completed}"),
        console=console_,
        transient=not always,
        disable=not (always or console_.is_terminal),
    )


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)``; the bar is drawn on stderr on a terminal, so pipes stay clean."""
    with bar(total) as shown:
        task = shown.add_task(description, total=total)
        yield lambda n: shown.advance(task, n)


def tracker(shown: Progress, description: str) -> Callable[[int, int], None]:
    """A projection's ``progress(position, head)`` drawn on ``shown``."""
    task = shown.add_task(description, total=None)
    return lambda at, head: shown.update(task, completed=at, total=head)


@contextmanager
def caught_up(
    t: Tenantry,
    database_url: str,
    *names: str,
    console_: Console = err_console,
    always: bool = False,
) -> Iterator[ProjectionStore]:
    """The projections, with ``names`` brought up to the head of the log first (a bar shows
    how far), so a query in this short-lived process sees every recorded event."""
    store = ProjectionStore(t)
    try:
        for name in names:
            with bar(store.head(), console_=console_, always=always) as shown:
                store.catch_up(name, progress=tracker(shown, f"catching up {name}"))
        yield store
    finally:
        store.close()
