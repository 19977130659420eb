"""The value rules an import applies to every event of an export.

An export is text that anyone may have edited, so its events are not trusted as a database's own
are: every field that a command fills through a value rule (:mod:`tenantry.domain.values`) must
pass that rule and already be in the form the rule gives it (trimmed, NFC, lowercased e-mail, …),
and every other string anywhere in an event must pass the text rule
(:func:`tenantry.domain.text.free_text`). Replaying the events then checks their schema and the
aggregates' transitions (:mod:`tenantry.application.transfer`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from tenantry.domain import text, values
from tenantry.domain.errors import InvalidField

Rule = Callable[[Any, str], object]


def _metadata(value: Any, field: str) -> object:
    return values.metadata(value, field, required=True)


def _roles(value: Any, field: str) -> object:
    return values.roles(value, field, required=True)


def _region(value: Any, field: str) -> object:
    return values.region_code(value, field, required=True)


def _feature(value: Any, field: str) -> object:
    return values.feature_name(value).value


def _features(value: Any, field: str) -> object:
    """The features map a ``Restored`` event repeats: known names to booleans."""
    if not isinstance(value, Mapping) or not all(isinstance(v, bool) for v in value.values()):
        raise InvalidField(field, "must map feature names to true or false")
    return {values.feature_name(k).value: v for k, v in value.items()}


def _sign_in_methods(value: Any, field: str) -> object:
    return None if value is None else values.sign_in_methods(value, field)


def _session_policy(value: Any, field: str) -> object:
    if not isinstance(value, Mapping):
        raise InvalidField(field, "must be a session policy")
    policy = values.session_policy(values.SessionPolicy.model_validate(value))
    return policy.model_dump(mode="json")


def _optional(rule: Rule) -> Rule:
    def check(value: Any, field: str) -> object:
        return None if value is None else rule(value, field)

    return check


RULES: Final[dict[str, Rule]] = {
    "display_name": values.display_name,
    "external_id": values.external_id,
    "slug": values.slug,
    "logo_url": values.logo_url,
    "region_code": _region,
    "metadata": _metadata,
    "max_allowed_users": values.max_allowed_users,
    "email": values.email,
    "inviter_email": _optional(values.email),
    "roles": _roles,
    "name": _feature,
    "sign_in_methods": _sign_in_methods,
    "session_policy": _session_policy,
    "actor": values.actor,
    "reason": values.reason,
    "features": _features,
}
"""The value rule of each event field that commands fill through one."""


def check_event(state: Mapping[str, Any], where: str, rules: Mapping[str, Rule] = RULES) -> None:
    """Refuses an exported event's state (``where`` names it) if a value breaks its rule
    (``rules``: the rules of its aggregate's fields)."""
    for key, value in state.items():
        field = f"{where}.{key}"
        rule = rules.get(key)
        if rule is not None and rule(value, field) != value:
            raise InvalidField(field, "must be in the form its rule gives it (trimmed, NFC, …)")
        _check_strings(value, field)


def _check_strings(value: Any, field: str) -> None:
    if isinstance(value, str):
        if text.free_text(value, field) != value:
            raise InvalidField(field, "must be in Unicode normal form C (NFC)")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_strings(k, field)
            _check_strings(v, field)
    elif isinstance(value, list):
        for v in value:
            _check_strings(v, field)
