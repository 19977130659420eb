"""Secrets never reach the server's logs: the access log's request line has the values of
credential query parameters (:data:`SECRET_PARAMETERS`: ``client_secret``, ``access_token``,
``password``, …) replaced by ``[redacted]``. ``tenantry serve`` installs :class:`RedactSecrets`
on uvicorn's loggers; a host application running the router under its own server can install it
the same way."""

from __future__ import annotations

import logging
import re
from typing import Final

SECRET_PARAMETERS: Final = (
    "client_secret",
    "secret",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "client_assertion",
    "assertion",
)
"""Query parameters whose values are redacted (case-insensitive)."""
_SECRET_PARAMETER: Final = re.compile(
    rf"(?P<name>(?:^|[?&;\s])(?:{'|'.join(SECRET_PARAMETERS)})=)(?P<value>[^&;#\s\"]*)",
    re.IGNORECASE,
)
REDACTED: Final = "[redacted]"


def redact(text: str) -> str:
    """``text`` (a path with its query, a log line) with every secret parameter's value hidden."""
    return _SECRET_PARAMETER.sub(lambda m: m["name"] + REDACTED, text)


class RedactSecrets(logging.Filter):
    """Redacts credential-like query parameters in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
