"""Public import path for tenantry's errors (defined in :mod:`tenantry.domain.errors`)."""

from tenantry.domain.errors import *  # noqa: F403
from tenantry.domain.errors import __all__ as __all__

# Single sign-on (tenantry.domain.sso_errors).
from tenantry.domain.sso_errors import *  # noqa: F403
from tenantry.domain.sso_errors import __all__ as _sso_all

__all__ = [*__all__, *_sso_all]
