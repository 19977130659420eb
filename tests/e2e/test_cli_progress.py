"""Progress bars of the installed ``tenantry``: drawn on stderr and only when stderr is a
terminal, so that stdout carries only the data and a captured stderr gets no bars."""

from __future__ import annotations

import os
import pty
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import tenantry
from tests.e2e.test_cli import COMMAND
from tests.support import FakeClock

BAR = "━"  # what rich draws a bar with (tables on stdout use it too)

# command -> the description its bar shows
BARS = {
    ("projections", "rebuild", "organizations"): "rebuild organizations",
    ("projections", "catch-up"): "audit",
    ("demo",): "rebuild organizations",
    ("sweep",): "expiring invitations",
    ("orgs", "list"): "catching up organizations",
}


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A database with an organization and an expired invitation to sweep."""
    url = f"sqlite:///{tmp_path / 'tenantry.db'}"
    t = tenantry.connect(url, clock=FakeClock(datetime(2020, 1, 1, tzinfo=UTC)))
    try:
        org = t.create_organization("Acme")
        t.invite_member(org.id, "late@acme.example", expires_in=timedelta(days=1))
    finally:
        t.close()
    return url


def _bars(text: str, description: str) -> list[str]:
    """The lines of ``text`` that draw a bar with ``description``."""
    return [line for line in text.splitlines() if description in line and BAR in line]


def _env(url: str) -> dict[str, str]:
    # Variables that would make rich treat any stream as a terminal are left out.
    ignored = ("TENANTRY_", "FORCE_COLOR", "FORCE_TERMINAL", "TTY_", "NO_COLOR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ignored)}
    return {**env, "TENANTRY_DATABASE_URL": url, "TERM": "xterm-256color", "COLUMNS": "120"}


def _on_a_terminal(args: tuple[str, ...], url: str, cwd: Path) -> tuple[str, str]:
    """Runs ``tenantry ARGS`` with stderr on a pseudo-terminal and stdout piped; returns
    (stdout, what the terminal received)."""
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [*COMMAND, *args],
            stdout=subprocess.PIPE,
            stderr=terminal,
            stdin=subprocess.DEVNULL,
            env=_env(url),
            cwd=cwd,
            timeout=120,
        )
    finally:
        os.close(terminal)
    received = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal side is closed: everything has been read
            break
        if not chunk:
            break
        received += chunk
    os.close(controller)
    assert done.returncode == 0, received.decode(errors="replace")
    return done.stdout.decode(), received.decode(errors="replace")


@pytest.mark.parametrize("args", list(BARS), ids=" ".join)
def test_a_bar_is_drawn_on_stderr_when_it_is_a_terminal(
    args: tuple[str, ...], url: str, tmp_path: Path
) -> None:
    out, terminal = _on_a_terminal(args, url, tmp_path)
    assert _bars(terminal, BARS[args])
    assert not _bars(out, BARS[args])


@pytest.mark.parametrize("args", list(BARS), ids=" ".join)
def test_no_bar_is_drawn_when_stderr_is_not_a_terminal(
    args: tuple[str, ...], url: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, env=_env(url), cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert not _bars(done.stdout, BARS[args])
    assert BAR not in done.stderr
    assert BARS[args] not in done.stderr
