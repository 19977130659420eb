"""The effective policies: an organization may tighten the application's session policy and
sign-in methods, never loosen them (:mod:`tenantry.domain.policies`); the application answers
both its own and the effective ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantry.adapters.policy_env import policy_from_env
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField
from tenantry.domain.policies import (
    ApplicationPolicy,
    application_policy,
    effective_session_policy,
    effective_sign_in_methods,
)
from tenantry.domain.values import SessionPolicy, SignInMethod, TimeUnit
from tests.unit.helpers import records_nothing

MINUTES = {TimeUnit.MINUTES: 1, TimeUnit.HOURS: 60, TimeUnit.DAYS: 1440}


def minutes(amount: int | None, unit: TimeUnit | None) -> int | None:
    return None if amount is None or unit is None else amount * MINUTES[unit]


def custom(
    absolute: tuple[int, TimeUnit], idle: tuple[int, TimeUnit] | None = None
) -> SessionPolicy:
    return SessionPolicy(
        policy_source="CUSTOM",
        absolute_session_timeout=absolute[0],
        absolute_session_timeout_unit=absolute[1],
        idle_session_timeout_enabled=idle is not None,
        idle_session_timeout=None if idle is None else idle[0],
        idle_session_timeout_unit=None if idle is None else idle[1],
    )


units = st.sampled_from(list(TimeUnit))
timeouts = st.tuples(st.integers(1, 300), units)
policies = st.builds(custom, timeouts, st.none() | timeouts)


@given(app=policies, org=policies)
def test_the_effective_policy_is_never_looser_than_either(
    app: SessionPolicy, org: SessionPolicy
) -> None:
    eff = effective_session_policy(app, org)
    absolute = minutes(eff.absolute_session_timeout, eff.absolute_session_timeout_unit)
    app_abs = minutes(app.absolute_session_timeout, app.absolute_session_timeout_unit)
    org_abs = minutes(org.absolute_session_timeout, org.absolute_session_timeout_unit)
    assert absolute == min(a for a in (app_abs, org_abs) if a is not None)
    assert eff.idle_session_timeout_enabled == (
        app.idle_session_timeout_enabled or org.idle_session_timeout_enabled
    )
    if eff.idle_session_timeout_enabled:
        idle = minutes(eff.idle_session_timeout, eff.idle_session_timeout_unit)
        assert idle is not None
        assert absolute is not None
        assert idle <= absolute
        for p in (app, org):
            if p.idle_session_timeout_enabled:
                theirs = minutes(p.idle_session_timeout, p.idle_session_timeout_unit)
                assert theirs is not None
                assert idle <= theirs


def test_each_field_is_taken_from_the_stricter_side_in_its_own_unit() -> None:
    app = custom((30, TimeUnit.DAYS), idle=(2, TimeUnit.HOURS))
    org = custom((12, TimeUnit.HOURS))
    eff = effective_session_policy(app, org)
    assert (eff.absolute_session_timeout, eff.absolute_session_timeout_unit) == (12, "HOURS")
    assert (eff.idle_session_timeout, eff.idle_session_timeout_unit) == (2, "HOURS")
    # An application idle timeout longer than the organization's absolute one is cut to it.
    short = custom((30, TimeUnit.MINUTES))
    eff = effective_session_policy(app, short)
    assert (eff.idle_session_timeout, eff.idle_session_timeout_unit) == (30, "MINUTES")


def test_an_organization_that_inherits_gets_the_applications_policy() -> None:
    app = custom((8, TimeUnit.HOURS))
    assert effective_session_policy(app, SessionPolicy()) == app


def test_effective_sign_in_methods_are_those_both_allow() -> None:
    assert effective_sign_in_methods(("password", "sso"), None) == ["password", "sso"]
    assert effective_sign_in_methods(("password", "sso"), ["passkey", "sso"]) == ["sso"]


MakeApp = Callable[..., Tenantry]


def test_the_application_answers_the_organizations_and_the_effective_policy(
    make_app: MakeApp,
) -> None:
    policy = application_policy(
        session_policy=custom((1, TimeUnit.DAYS)), sign_in_methods=["password", "sso"]
    )
    app = make_app("memory://", policy=policy)
    org = app.create_organization("Acme").id
    inherited = app.get_organization_session_policy(org)
    assert (inherited.policy_source, inherited.effective) == ("APPLICATION", policy.session_policy)

    own: dict[str, Any] = {
        "policy_source": "CUSTOM",
        "absolute_session_timeout": 2,
        "absolute_session_timeout_unit": "DAYS",
        "idle_session_timeout_enabled": True,
        "idle_session_timeout": 30,
        "idle_session_timeout_unit": "MINUTES",
    }
    updated = app.update_organization_session_policy(org, own, actor="ops@x.io")
    assert updated.absolute_session_timeout == 2  # its own, as set
    assert (updated.effective.absolute_session_timeout, updated.effective.idle_session_timeout) == (
        1,
        30,
    )
    assert app.get_session_policy(org) == updated
    assert app.list_history(org)[-1].actor == "ops@x.io"

    assert app.get_allowed_sign_in_methods(org).effective_sign_in_methods == ["password", "sso"]
    methods = app.set_allowed_sign_in_methods(org, ["sso", "passkey"])
    assert (methods.allowed_sign_in_methods, methods.effective_sign_in_methods) == (
        ["passkey", "sso"],
        ["sso"],
    )
    with records_nothing(app), pytest.raises(InvalidField) as refused:
        app.set_allowed_sign_in_methods(org, ["passkey"])  # the application offers none of them
    assert refused.value.field == "allowed_sign_in_methods"


def test_the_application_policy_is_checked_naming_the_field() -> None:
    with pytest.raises(InvalidField) as refused:
        application_policy(restore_period=timedelta(0))
    assert refused.value.field == "policy.restore_period"
    with pytest.raises(InvalidField) as refused:
        application_policy(session_policy=SessionPolicy())
    assert refused.value.field == "policy.session_policy"
    with pytest.raises(InvalidField):
        application_policy(sign_in_methods=["telepathy"])
    assert ApplicationPolicy().restore_period == timedelta(days=30)
    assert set(ApplicationPolicy().sign_in_methods) == {m.value for m in SignInMethod}


def test_the_server_reads_the_application_policy_from_its_environment() -> None:
    env = {
        "TENANTRY_RESTORE_DAYS": "7",
        "TENANTRY_SESSION_POLICY": '{"policy_source": "CUSTOM", "absolute_session_timeout": 12,'
        ' "absolute_session_timeout_unit": "HOURS"}',
        "TENANTRY_SIGN_IN_METHODS": "sso, password",
    }
    policy = policy_from_env(env)
    assert policy.restore_period == timedelta(days=7)
    assert policy.session_policy.absolute_session_timeout == 12
    assert policy.sign_in_methods == ("password", "sso")
    assert policy_from_env({}) == ApplicationPolicy()
    for name, bad in (("TENANTRY_RESTORE_DAYS", "soon"), ("TENANTRY_SESSION_POLICY", "{")):
        with pytest.raises(InvalidField) as refused:
            policy_from_env({name: bad})
        assert refused.value.field == name
