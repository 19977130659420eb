"""Value rules of the domain (DOMAIN.md), each a function that returns the normalized value or
raises :class:`~tenantry.domain.errors.InvalidField` naming the field and the rule."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Final, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict

from tenantry.domain import text
from tenantry.domain.errors import InvalidField, UnknownFeature


class Feature(StrEnum):
    SSO = "sso"
    DIR_SYNC = "dir_sync"
    DOMAIN_VERIFICATION = "domain_verification"
    SESSION_POLICY = "session_policy"


KNOWN_FEATURES: Final = tuple(f.value for f in Feature)


class Region(StrEnum):
    US = "US"
    EU = "EU"


class MembershipStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    PENDING_INVITE = "PENDING_INVITE"
    INVITE_EXPIRED = "INVITE_EXPIRED"


REMOVED: Final = "REMOVED"
"""The status shown for a membership that is over because its invitation was revoked (or
withdrawn by removing the invitee): no longer invited, nor a member. It is not a hosted status:
the invitation's own status, ``revoked``, says what happened."""


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ProvisioningMethod(StrEnum):
    ORG_CREATOR = "org_creator"
    INVITATION = "invitation"
    DIRECT_PROVISION = "direct_provision"
    JIT_USING_SSO = "jit_using_sso"
    ALLOWED_EMAIL_DOMAIN = "allowed_email_domain"
    DIR_SYNC = "dir_sync"


class SignInMethod(StrEnum):
    """Authentication methods an organization may allow its members to use."""

    SSO = "sso"
    PASSWORD = "password"
    MAGIC_LINK = "magic_link"
    EMAIL_OTP = "email_otp"
    PASSKEY = "passkey"
    SOCIAL = "social"


class TimeUnit(StrEnum):
    MINUTES = "MINUTES"
    HOURS = "HOURS"
    DAYS = "DAYS"


_UNIT_MINUTES: Final = {TimeUnit.MINUTES: 1, TimeUnit.HOURS: 60, TimeUnit.DAYS: 1440}
MAX_SESSION_MINUTES: Final = 365 * 1440


class SessionPolicy(BaseModel):
    """An organization's session policy; ``APPLICATION`` inherits the host application's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_source: Literal["APPLICATION", "CUSTOM"] = "APPLICATION"
    absolute_session_timeout: int | None = None
    absolute_session_timeout_unit: TimeUnit | None = None
    idle_session_timeout_enabled: bool = False
    idle_session_timeout: int | None = None
    idle_session_timeout_unit: TimeUnit | None = None


DISPLAY_NAME_MAX: Final = 200
EXTERNAL_ID_MAX: Final = 255
METADATA_MAX_PAIRS: Final = 10
METADATA_KEY_MIN, METADATA_KEY_MAX = 3, 25
METADATA_VALUE_MIN, METADATA_VALUE_MAX = 1, 256
SLUG_MAX: Final = 253
LOGO_URL_MAX: Final = 1024
EMAIL_MAX: Final = 254
ROLE_MAX: Final = 64
ROLES_MAX: Final = 20
REASON_MAX: Final = 1000
ACTOR_MAX: Final = 255

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_ROLE = re.compile(r"[a-z0-9][a-z0-9_:.-]*")
_URL_HOST = re.compile(r"https://[^/\s?#]+\S*")


def display_name(value: str, field: str = "display_name") -> str:
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    value = text.name(value, field).strip()
    if not 1 <= len(value) <= DISPLAY_NAME_MAX:
        raise InvalidField(field, f"must be 1-{DISPLAY_NAME_MAX} characters after trimming")
    return value


def external_id(value: str | None, field: str = "external_id") -> str | None:
    """An empty string means "no external id" (clears it on update)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    value = text.name(value, field).strip()
    if not value:
        return None
    if len(value) > EXTERNAL_ID_MAX:
        raise InvalidField(field, f"must be at most {EXTERNAL_ID_MAX} characters")
    return value


def metadata(
    value: Mapping[str, str] | None, field: str = "metadata", *, required: bool = False
) -> dict[str, str]:
    """A string map; ``None`` means none, unless the map is ``required``."""
    if not isinstance(value, Mapping) and (value is not None or required):
        raise InvalidField(field, "must be a map of strings to strings")
    if value is None:
        return {}
    if len(value) > METADATA_MAX_PAIRS:
        raise InvalidField(field, f"must have at most {METADATA_MAX_PAIRS} pairs")
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise InvalidField(field, "must be a map of strings to strings")
        k = text.name(k, field)
        v = text.free_text(v, f"{field}.{k}")
        if not METADATA_KEY_MIN <= len(k) <= METADATA_KEY_MAX:
            raise InvalidField(
                f"{field}.{k}", f"keys must be {METADATA_KEY_MIN}-{METADATA_KEY_MAX} characters"
            )
        if not METADATA_VALUE_MIN <= len(v) <= METADATA_VALUE_MAX:
            raise InvalidField(
                f"{field}.{k}",
                f"values must be {METADATA_VALUE_MIN}-{METADATA_VALUE_MAX} characters",
            )
        out[k] = v
    return dict(sorted(out.items()))


def slug(value: str | None, field: str = "slug") -> str | None:
    """One DNS label or a hostname; an empty string means "no slug" (clears it on update)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    if value == "":
        return None
    if len(value) > SLUG_MAX:
        raise InvalidField(field, f"must be at most {SLUG_MAX} characters")
    for label in value.split("."):
        if not _LABEL.fullmatch(label):
            raise InvalidField(
                field,
                "must be lowercase a-z, 0-9, '-' and '.', in labels of 1-63 characters "
                "that start and end with a letter or digit",
            )
    return value


def logo_url(value: str | None, field: str = "logo_url") -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    value = text.name(value, field)
    if len(value) > LOGO_URL_MAX:
        raise InvalidField(field, f"must be at most {LOGO_URL_MAX} characters")
    if not _URL_HOST.fullmatch(value):
        raise InvalidField(field, "must be an https:// URL")
    return value


def region_code(value: str | None, field: str = "region_code", *, required: bool = False) -> str:
    """``US`` or ``EU`` (any case); ``None`` means ``US``, unless a code is ``required``."""
    if value is None and not required:
        return Region.US.value
    try:
        return Region(value.upper() if isinstance(value, str) else str(value)).value
    except ValueError:
        raise InvalidField(field, "must be US or EU") from None


def feature_name(value: str) -> Feature:
    try:
        return Feature(value)
    except ValueError:
        raise UnknownFeature(str(value), KNOWN_FEATURES) from None


def features(value: Iterable[tuple[str, bool]]) -> dict[Feature, bool]:
    """Validates ``(name, enabled)`` pairs; a name given twice with different values is refused."""
    out: dict[Feature, bool] = {}
    for name, enabled in value:
        f = feature_name(name)
        if not isinstance(enabled, bool):
            raise InvalidField(f"settings.features.{name}.enabled", "must be true or false")
        if f in out and out[f] != enabled:
            raise InvalidField(
                "settings.features", f"{name!r} is given twice with different values"
            )
        out[f] = enabled
    if not out:
        raise InvalidField("settings.features", "must name at least one feature")
    return out


def max_allowed_users(value: int | None, field: str = "max_allowed_users") -> int | None:
    """``None``: feature off; ``0``: no limit; ``n > 0``: at most n seats."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField(field, "must be an integer")
    if value < 0:
        raise InvalidField(field, "must be 0 (no limit) or a positive number of seats")
    if value > 10_000_000:
        raise InvalidField(field, "must be at most 10000000")
    return value


def _minutes(amount: int | None, unit: TimeUnit | None, field: str) -> int:
    if amount is None or unit is None:
        raise InvalidField(field, "needs an amount and a unit (MINUTES, HOURS or DAYS)")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidField(field, "must be a positive whole number")
    minutes = amount * _UNIT_MINUTES[unit]
    if minutes > MAX_SESSION_MINUTES:
        raise InvalidField(field, "must be at most 365 days")
    return minutes


def session_policy(value: SessionPolicy) -> SessionPolicy:
    if value.policy_source == "APPLICATION":
        if (
            value.absolute_session_timeout is not None
            or value.idle_session_timeout is not None
            or value.idle_session_timeout_enabled
        ):
            raise InvalidField(
                "session_policy.policy_source",
                "APPLICATION inherits the application's policy and takes no timeouts",
            )
        return SessionPolicy()
    absolute = _minutes(
        value.absolute_session_timeout,
        value.absolute_session_timeout_unit,
        "session_policy.absolute_session_timeout",
    )
    if value.idle_session_timeout_enabled:
        idle = _minutes(
            value.idle_session_timeout,
            value.idle_session_timeout_unit,
            "session_policy.idle_session_timeout",
        )
        if idle > absolute:
            raise InvalidField(
                "session_policy.idle_session_timeout", "must not exceed the absolute timeout"
            )
        return value
    if value.idle_session_timeout is not None:
        raise InvalidField(
            "session_policy.idle_session_timeout", "is only allowed when idle timeout is enabled"
        )
    return value.model_copy(update={"idle_session_timeout_unit": None})


def sign_in_methods(value: Iterable[str], field: str = "allowed_sign_in_methods") -> list[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidField(field, "must be a list of sign-in methods")
    out: set[str] = set()
    for m in value:
        try:
            out.add(SignInMethod(m).value)
        except ValueError:
            known = ", ".join(s.value for s in SignInMethod)
            raise InvalidField(field, f"must be among {known}; got {m!r}") from None
    if not out:
        raise InvalidField(field, "must allow at least one method")
    return sorted(out)


def email(value: str, field: str = "email") -> str:
    """An e-mail address as ``email-validator`` reads it (syntax only, no DNS look-up), in its
    normalised form (NFC, the domain in its IDNA Unicode form), then lowercased whole: the
    local part too, so that ``Ada@x.example`` and ``ada@x.example`` are one user (a user's id
    follows from the lowercased address, as it always has)."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    return _email(value, field)


@functools.lru_cache(maxsize=4096)
def _email(value: str, field: str) -> str:
    """:func:`email` of a string, remembered: a command often checks one address more than
    once (the parsing is most of an admission's checking)."""
    value = text.name(value, field).strip()
    rule = f"must be an e-mail address of at most {EMAIL_MAX} characters"
    if len(value) > EMAIL_MAX:
        raise InvalidField(field, rule)
    try:
        checked = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as e:
        raise InvalidField(field, f"{rule}: {e}") from None
    return checked.normalized.lower()


def member_status(value: str, field: str = "status") -> MembershipStatus:
    """A status an admin may give a membership: ACTIVE or INACTIVE (the other two follow from
    its invitation)."""
    if value not in (MembershipStatus.ACTIVE, MembershipStatus.INACTIVE):
        raise InvalidField(field, "must be ACTIVE or INACTIVE")
    return MembershipStatus(value)


def roles(
    value: Iterable[str] | None, field: str = "roles", *, required: bool = False
) -> list[str]:
    """Role names (e.g. ``admin``, ``member``); ``None`` means ``["member"]``, unless the roles
    are ``required``."""
    if value is None and not required:
        return ["member"]
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidField(field, "must be a list of role names")
    out = []
    for r in value:
        if not isinstance(r, str) or not 1 <= len(r) <= ROLE_MAX or not _ROLE.fullmatch(r):
            raise InvalidField(
                field, f"role names are 1-{ROLE_MAX} lowercase letters, digits and _:.-"
            )
        if r not in out:
            out.append(r)
    if not out:
        raise InvalidField(field, "must name at least one role")
    if len(out) > ROLES_MAX:
        raise InvalidField(field, f"must name at most {ROLES_MAX} roles")
    return sorted(out)


def actor(value: str, field: str = "actor") -> str:
    if not isinstance(value, str):
        raise InvalidField(field, f"must be 1-{ACTOR_MAX} characters")
    value = text.name(value, field).strip()
    if not 1 <= len(value) <= ACTOR_MAX:
        raise InvalidField(field, f"must be 1-{ACTOR_MAX} characters")
    return value


def reason(value: str | None, field: str = "reason") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField(field, f"must be at most {REASON_MAX} characters")
    value = text.free_text(value, field)
    if len(value) > REASON_MAX:
        raise InvalidField(field, f"must be at most {REASON_MAX} characters")
    return value.strip() or None


ON_BEHALF_OF_MAX: Final = 255


def on_behalf_of(value: str | None) -> str | None:
    """The end user a principal acts for: 1-255 characters, none of them a control character,
    a bidi override or a lone surrogate (it is shown in audit views as it is)."""
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= ON_BEHALF_OF_MAX:
        raise InvalidField("on_behalf_of", f"must be 1-{ON_BEHALF_OF_MAX} characters")
    if any(_unprintable(c) for c in value):
        raise InvalidField(
            "on_behalf_of", "must not contain control characters, bidi overrides or surrogates"
        )
    return value.strip()


def _unprintable(c: str) -> bool:
    # Cc: control, Cf: format (bidi overrides, zero-width), Cs: surrogate, Co/Cn: unassigned
    return unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"}
