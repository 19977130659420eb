"""Public import path for tenantry's errors (defined in :mod:`tenantry.domain.errors`)."""

from tenantry.domain.errors import *  # noqa: F403
from tenantry.domain.errors import __all__ as __all__
from tenantry.domain.role_errors import *  # noqa: F403
from tenantry.domain.role_errors import __all__ as _role_errors

__all__ = [*__all__, *_role_errors]
