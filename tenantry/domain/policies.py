"""The host application's own policies, and the rule that makes an organization's policies
*effective*: an organization may tighten what the application allows, never loosen it.

- Session policy, field by field: the absolute timeout is the shorter of the application's and
  the organization's; the idle timeout is on if either has it on, and then the shorter of those
  that are on, never longer than the effective absolute timeout. An organization whose policy is
  ``APPLICATION`` (inherit) gets the application's policy.
- Sign-in methods: the methods both allow (the organization's set intersected with the
  application's); an organization that sets none gets the application's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict, field_validator

from tenantry.domain import values
from tenantry.domain.errors import InvalidField
from tenantry.domain.values import SessionPolicy, SignInMethod, TimeUnit

DEFAULT_RESTORE_PERIOD: Final = timedelta(days=30)
DEFAULT_SESSION_POLICY: Final = SessionPolicy(
    policy_source="CUSTOM", absolute_session_timeout=30, absolute_session_timeout_unit=TimeUnit.DAYS
)
_MINUTES: Final = {TimeUnit.MINUTES: 1, TimeUnit.HOURS: 60, TimeUnit.DAYS: 1440}


class ApplicationPolicy(BaseModel):
    """What the host application configures for every organization (``tenantry.connect(...,
    policy=ApplicationPolicy(...))``, or the server's environment).

    ``restore_period``: how long a deleted organization can be restored (default 30 days).
    ``session_policy``: the application's session policy (``CUSTOM``, default: 30 days absolute,
    no idle timeout). ``sign_in_methods``: the methods the application offers (default: all)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    restore_period: timedelta = DEFAULT_RESTORE_PERIOD
    session_policy: SessionPolicy = DEFAULT_SESSION_POLICY
    sign_in_methods: tuple[str, ...] = tuple(m.value for m in SignInMethod)

    @field_validator("restore_period")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be positive")
        return value

    @field_validator("session_policy")
    @classmethod
    def _custom(cls, value: SessionPolicy) -> SessionPolicy:
        if value.policy_source != "CUSTOM":
            raise ValueError(
                "the application's own policy must be CUSTOM (it has no one to inherit from)"
            )
        return values.session_policy(value)

    @field_validator("sign_in_methods")
    @classmethod
    def _methods(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(values.sign_in_methods(value, "policy.sign_in_methods"))


def application_policy(
    *,
    restore_period: timedelta | None = None,
    session_policy: SessionPolicy | None = None,
    sign_in_methods: tuple[str, ...] | list[str] | None = None,
) -> ApplicationPolicy:
    """An :class:`ApplicationPolicy` from the given fields (the others default), or
    :class:`InvalidField` naming the field that breaks its rule."""
    given = {
        "restore_period": restore_period,
        "session_policy": session_policy,
        "sign_in_methods": None if sign_in_methods is None else tuple(sign_in_methods),
    }
    try:
        return ApplicationPolicy(**{k: v for k, v in given.items() if v is not None})
    except InvalidField:
        raise
    except ValueError as e:
        errors = getattr(e, "errors", None)
        if callable(errors):
            err = errors()[0]
            field = ".".join(str(p) for p in ("policy", *err["loc"]))
            raise InvalidField(field, str(err["msg"]).removeprefix("Value error, ")) from None
        raise InvalidField("policy", str(e)) from None


def _minutes(amount: int | None, unit: TimeUnit | None) -> int | None:
    if amount is None or unit is None:
        return None
    return amount * _MINUTES[unit]


def _shorter(
    a: tuple[int | None, TimeUnit | None], b: tuple[int | None, TimeUnit | None]
) -> tuple[int | None, TimeUnit | None]:
    """The shorter of two timeouts, in the unit it was given in (``None``: no timeout)."""
    ma, mb = _minutes(*a), _minutes(*b)
    if ma is None:
        return b
    if mb is None:
        return a
    return a if ma <= mb else b


def effective_session_policy(app: SessionPolicy, org: SessionPolicy) -> SessionPolicy:
    """The session policy that applies to an organization's members (see the module's rule)."""
    if org.policy_source == "APPLICATION":
        return app
    absolute = _shorter(
        (app.absolute_session_timeout, app.absolute_session_timeout_unit),
        (org.absolute_session_timeout, org.absolute_session_timeout_unit),
    )
    idles = [
        (p.idle_session_timeout, p.idle_session_timeout_unit)
        for p in (app, org)
        if p.idle_session_timeout_enabled
    ]
    idle: tuple[int | None, TimeUnit | None] = (None, None)
    for one in idles:
        idle = _shorter(idle, one) if idle[0] is not None else one
    if idles:
        idle = _shorter(idle, absolute)
    return SessionPolicy(
        policy_source="CUSTOM",
        absolute_session_timeout=absolute[0],
        absolute_session_timeout_unit=absolute[1],
        idle_session_timeout_enabled=bool(idles),
        idle_session_timeout=idle[0],
        idle_session_timeout_unit=idle[1],
    )


def effective_sign_in_methods(app: tuple[str, ...], org: list[str] | None) -> list[str]:
    """The sign-in methods an organization's members may use: both allow them."""
    if org is None:
        return sorted(app)
    return sorted(set(app) & set(org))


def check_sign_in_methods(app: tuple[str, ...], org: list[str] | None) -> None:
    """Refuses an organization's methods that leave its members no way to sign in: at least one
    must be a method the application offers."""
    if org is not None and not effective_sign_in_methods(app, org):
        raise InvalidField(
            "allowed_sign_in_methods",
            f"must include a method the application offers ({', '.join(sorted(app))})",
        )
