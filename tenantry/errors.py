"""Public import path for tenantry's errors (defined in :mod:`tenantry.domain.errors`)."""

from tenantry.domain.connection_errors import *  # noqa: F403
from tenantry.domain.connection_errors import __all__ as _connection
from tenantry.domain.errors import *  # noqa: F403
from tenantry.domain.errors import __all__ as _core

__all__ = [*_core, *_connection]
