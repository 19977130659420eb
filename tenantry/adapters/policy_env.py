"""The host application's policies (:class:`~tenantry.domain.policies.ApplicationPolicy`) from
the environment, for ``tenantry serve`` and the command line:

- ``TENANTRY_RESTORE_DAYS``: the restore period of deleted organizations, in days (default 30);
- ``TENANTRY_SESSION_POLICY``: the application's session policy as JSON, e.g.
  ``{"policy_source": "CUSTOM", "absolute_session_timeout": 12, "absolute_session_timeout_unit":
  "HOURS"}`` (default: 30 days, no idle timeout);
- ``TENANTRY_SIGN_IN_METHODS``: the sign-in methods the application offers, comma-separated
  (default: all).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Final

from pydantic import ValidationError

from tenantry.domain.errors import InvalidField
from tenantry.domain.policies import ApplicationPolicy, application_policy
from tenantry.domain.values import SessionPolicy

RESTORE_DAYS_ENV: Final = "TENANTRY_RESTORE_DAYS"
SESSION_POLICY_ENV: Final = "TENANTRY_SESSION_POLICY"
SIGN_IN_METHODS_ENV: Final = "TENANTRY_SIGN_IN_METHODS"


def policy_from_env(env: Mapping[str, str] | None = None) -> ApplicationPolicy:
    """The policy the environment configures; an unset variable keeps its default."""
    env = os.environ if env is None else env
    days, session, methods = (
        env.get(name, "").strip()
        for name in (RESTORE_DAYS_ENV, SESSION_POLICY_ENV, SIGN_IN_METHODS_ENV)
    )
    return application_policy(
        restore_period=_days(days) if days else None,
        session_policy=_session_policy(session) if session else None,
        sign_in_methods=[m.strip() for m in methods.split(",")] if methods else None,
    )


def _days(text: str) -> timedelta:
    try:
        return timedelta(days=float(text))
    except (ValueError, OverflowError):
        raise InvalidField(RESTORE_DAYS_ENV, f"must be a number of days; got {text!r}") from None


def _session_policy(text: str) -> SessionPolicy:
    try:
        return SessionPolicy.model_validate(json.loads(text))
    except (ValueError, ValidationError) as e:
        raise InvalidField(SESSION_POLICY_ENV, f"must be a session policy as JSON: {e}") from None
