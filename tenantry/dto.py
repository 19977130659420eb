"""Public import path for the query results (defined in :mod:`tenantry.application.dto`)."""

from tenantry.application.dto import *  # noqa: F403
from tenantry.application.dto import __all__ as __all__
