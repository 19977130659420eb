"""Public import path for tenantry's errors (defined in :mod:`tenantry.domain.errors`)."""

from tenantry.domain.errors import *  # noqa: F403
from tenantry.domain.errors import __all__ as __all__
