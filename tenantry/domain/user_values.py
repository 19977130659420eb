"""Value rules of a user's own fields (DOMAIN.md, "Users, roles, invites"): the profile the hosted
API keeps beside the e-mail. Each rule returns the normalized value or raises
:class:`~tenantry.domain.errors.InvalidField` naming the field and the rule."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from pydantic import BaseModel, ConfigDict

from tenantry.domain import text, values
from tenantry.domain.errors import InvalidField

PROFILE_NAME_MAX: Final = 255
LOCALE_MAX: Final = 35
PICTURE_MAX: Final = values.LOGO_URL_MAX

_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_PHONE = re.compile(r"\+[1-9][0-9]{1,14}")


class UserProfile(BaseModel):
    """A user's profile, as the hosted API names it; ``None``: not given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_name: str | None = None
    family_name: str | None = None
    name: str | None = None
    locale: str | None = None
    phone_number: str | None = None
    picture: str | None = None


PROFILE_FIELDS: Final = tuple(UserProfile.model_fields)


def _name(value: str, field: str) -> str | None:
    value = text.name(value, field).strip()
    if len(value) > PROFILE_NAME_MAX:
        raise InvalidField(field, f"must be at most {PROFILE_NAME_MAX} characters")
    return value or None


def _locale(value: str, field: str) -> str | None:
    value = text.name(value, field).strip()
    if not value:
        return None
    if len(value) > LOCALE_MAX or not _LOCALE.fullmatch(value):
        raise InvalidField(
            field,
            f"must be a BCP 47 language tag such as en or pt-BR (at most {LOCALE_MAX} characters)",
        )
    return value


def _phone(value: str, field: str) -> str | None:
    value = text.name(value, field).strip()
    if not value:
        return None
    if not _PHONE.fullmatch(value):
        raise InvalidField(field, "must be an E.164 number: + and 2-15 digits, e.g. +14155550123")
    return value


def _picture(value: str, field: str) -> str | None:
    return values.logo_url(value.strip(), field)


_RULES: Final = {
    "given_name": _name,
    "family_name": _name,
    "name": _name,
    "locale": _locale,
    "phone_number": _phone,
    "picture": _picture,
}


def user_profile(
    value: Mapping[str, str | None] | UserProfile | None, field: str = "user_profile"
) -> UserProfile:
    """A profile; ``None`` is an empty one, and a field given as ``""`` or ``None`` is cleared.
    Unknown fields are refused."""
    if value is None:
        return UserProfile()
    if isinstance(value, UserProfile):
        value = value.model_dump()
    if not isinstance(value, Mapping):
        raise InvalidField(field, "must be an object of " + ", ".join(PROFILE_FIELDS))
    out: dict[str, str | None] = {}
    for key, given in value.items():
        rule = _RULES.get(key) if isinstance(key, str) else None
        if rule is None:
            raise InvalidField(
                f"{field}.{key}", "is not a profile field: " + ", ".join(PROFILE_FIELDS)
            )
        if given is None:
            out[key] = None
        elif not isinstance(given, str):
            raise InvalidField(f"{field}.{key}", "must be a string")
        else:
            out[key] = rule(given, f"{field}.{key}")
    return UserProfile(**out)
