"""Public import path for tenantry's errors (defined in :mod:`tenantry.domain.errors`)."""

from tenantry.domain.errors import *  # noqa: F403
from tenantry.domain.errors import __all__ as __all__
from tenantry.domain.feature_errors import *  # noqa: F403
from tenantry.domain.feature_errors import __all__ as _feature_errors
from tenantry.domain.restore_errors import *  # noqa: F403
from tenantry.domain.restore_errors import __all__ as _restore_errors

__all__ = [*__all__, *_restore_errors]
__all__ = [*__all__, *_feature_errors]
