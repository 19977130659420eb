"""Files tenantry creates that hold secrets (the SQLite database with its hashed client secrets
and signing keys, a new API client's secret): created readable and writable by their owner only
(0600), whatever the umask."""

from __future__ import annotations

import os
from typing import Final

PRIVATE: Final = 0o600


def create_private(path: str) -> bool:
    """Creates ``path`` empty with mode 0600 if it does not exist; ``True`` if it created it.
    An existing file is left as it is (its owner chose its mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def write_private(path: str, text: str) -> None:
    """Writes ``text`` to a new file ``path`` with mode 0600; refuses (``FileExistsError``) to
    overwrite one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
