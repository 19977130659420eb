"""Public import path for tenantry's errors (defined in :mod:`tenantry.domain.errors` and, per
capability, in the domain's ``*_errors`` modules)."""

from tenantry.domain.connection_errors import *  # noqa: F403
from tenantry.domain.connection_errors import __all__ as _connection_errors
from tenantry.domain.directory_errors import *  # noqa: F403
from tenantry.domain.directory_errors import __all__ as _directory_errors
from tenantry.domain.errors import *  # noqa: F403
from tenantry.domain.errors import __all__ as _core_errors
from tenantry.domain.feature_errors import *  # noqa: F403
from tenantry.domain.feature_errors import __all__ as _feature_errors
from tenantry.domain.portal_link_errors import *  # noqa: F403
from tenantry.domain.portal_link_errors import __all__ as _portal_link_errors
from tenantry.domain.provisioning_errors import *  # noqa: F403
from tenantry.domain.provisioning_errors import __all__ as _provisioning_errors
from tenantry.domain.restore_errors import *  # noqa: F403
from tenantry.domain.restore_errors import __all__ as _restore_errors
from tenantry.domain.role_errors import *  # noqa: F403
from tenantry.domain.role_errors import __all__ as _role_errors
from tenantry.domain.sign_in_errors import *  # noqa: F403
from tenantry.domain.sign_in_errors import __all__ as _sign_in_errors
from tenantry.domain.sso_errors import *  # noqa: F403
from tenantry.domain.sso_errors import __all__ as _sso_errors
from tenantry.domain.user_errors import *  # noqa: F403
from tenantry.domain.user_errors import __all__ as _user_errors

__all__ = [
    *_core_errors,
    *_feature_errors,
    *_restore_errors,
    *_role_errors,
    *_sso_errors,
    *_user_errors,
    *_connection_errors,
    *_sign_in_errors,
    *_directory_errors,
    *_provisioning_errors,
    *_portal_link_errors,
]
