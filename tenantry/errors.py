"""Public import path for tenantry's errors (defined in :mod:`tenantry.domain.errors`)."""

from tenantry.domain.errors import *  # noqa: F403
from tenantry.domain.errors import __all__ as __all__
from tenantry.domain.user_errors import *  # noqa: F403
from tenantry.domain.user_errors import __all__ as _user_errors

__all__ = [*__all__, *_user_errors]
