"""Wrong types at the public Python API: every public method of :class:`Tenantry` and of
:class:`ProjectionStore`, called with an argument of a type its annotation does not allow,
refuses it with :class:`InvalidField` naming the parameter and the rule (never an
``AttributeError`` or a ``TypeError`` from deep inside, and never a wrong value taken for a
default)."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Union, Unpack, get_args, get_origin, get_type_hints

import pytest
from eventsourcing.application import Application

from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry
from tenantry.application.sso_sign_in import SsoProfile
from tenantry.domain import ids
from tenantry.domain.errors import InvalidField

WRONG: tuple[object, ...] = (None, 7, True, 2.5, b"bytes", [1], {"key": 1}, object())
"""A value of each kind a caller may pass by mistake."""

KERNEL = {"now", "run_command", "save", "claim_keys"}
"""Public only for the application's own modules (the kernel and the transfer)."""

REQUIRED: dict[str, object] = {
    "email": "new@x.io",
    "user": "ann@x.io",
    "memberships": [],
    "user_id": ids.encode(ids.USER, ids.user_uuid("ann@x.io")),
    "display_name": "Beta",
    "external_id": "acme",
    "features": {"sso": True},
    "policy": {"policy_source": "APPLICATION"},
    "max_allowed_users": 5,
    "methods": ["sso"],
    "status": "INACTIVE",
    "metadata": {"team": "blue"},
    "roles": ["admin"],
    "role": "admin",
    "from_": 1,
    "name": "organizations",
    "fn": lambda reading: None,
    "position": 0,
    "query": "acme",
    "client_id": "cli_1",
    "kid": "0123456789abcdef",
    "encrypted": False,
    "client_name": "billing",
    "secret_version": 2,
    "reassign_to": "admin",
    "connection_id": "conn_01m8xaakcnfhk8g6z0q4fnwrx0",
    "domain_id": "dom_01m8xaakcnfhk8g6z0q4fnwrx0",
    "domain": "acme.example",
    "type": "SAML",
    "success": True,
    "profile": SsoProfile("ann@x.io", "subject-1"),
    "directory_id": "dir_01m8xaakcnfhk8g6z0q4fnwrx0",
    "secret_id": "dsec_01m8xaakcnfhk8g6z0q4fnwrx0",
    "token": "not-a-token",
    "kind": "User",
    "document": {"userName": "ann@x.io"},
    "resource_id": "dus_01m8xaakcnfhk8g6z0q4fnwrx0",
    "ids": [],
    "attribute": "userName",
    "value": "ann@x.io",
    "link_id": "lnk_01m8xaakcnfhk8g6z0q4fnwrx0",
    "cookie": "not-a-cookie",
    "operator": "ann",
    "actor": "cli:ann",
}
"""A valid value of each required parameter (``organization_id``: the test's organization)."""

FIELD = {
    "from_": "from",
    "role": "role_name",
    "name": "projection",
    "policy": "session_policy",
    "new_external_id": "external_id",
    "features": "settings.features",
    "methods": "allowed_sign_in_methods",
}
"""The field an error names for a parameter, where it is not the parameter's own name."""
OWN_NAME = {"name", "features"}
"""Parameters a role, directory or portal-link method names by their own name (``FIELD`` maps
them for others)."""


def conforms(value: object, hint: Any) -> bool:
    """Whether ``value`` is of the annotated type (strings are not taken for collections)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(conforms(value, a) for a in args)
    if hint is None or hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if origin is Callable:
        return callable(value)
    if origin is tuple:
        return (
            isinstance(value, tuple)
            and len(value) == len(args)
            and all(conforms(v, a) for v, a in zip(value, args, strict=True))
        )
    if origin is Mapping or origin is dict:
        return isinstance(value, Mapping) and all(
            conforms(k, args[0]) and conforms(v, args[1]) for k, v in value.items()
        )
    if origin in (Sequence, Iterable, list):
        container = Sequence if origin is Sequence else Iterable
        return (
            isinstance(value, container)
            and not isinstance(value, str | bytes)
            and all(conforms(v, args[0]) for v in value)
        )
    if origin in (frozenset, set):
        return isinstance(value, origin) and all(conforms(v, args[0]) for v in value)
    if isinstance(hint, type):
        return isinstance(value, hint)
    raise AssertionError(f"no rule for {hint!r}")  # pragma: no cover - a new kind of parameter


def parameters(method: Callable[..., Any]) -> dict[str, tuple[Any, bool]]:
    """Each parameter's annotation and whether it is required (``**read`` options expanded)."""
    hints = get_type_hints(method)
    out: dict[str, tuple[Any, bool]] = {}
    for p in list(inspect.signature(method).parameters.values())[1:]:
        hint = hints[p.name]
        if p.kind is p.VAR_KEYWORD and get_origin(hint) is Unpack:
            options = get_args(hint)[0]
            out.update({key: (option, False) for key, option in get_type_hints(options).items()})
        elif p.kind is p.VAR_POSITIONAL:
            continue
        else:
            out[p.name] = (hint, p.default is inspect.Parameter.empty)
    return out


def public_methods(cls: type, base: type | None = None) -> list[str]:
    inherited = set(dir(base)) if base is not None else set()
    return sorted(
        name
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and name not in inherited and name not in KERNEL
    )


def tenantry_methods() -> list[str]:
    return public_methods(Tenantry, Application)


def refusals(call: Callable[..., Any], method: Callable[..., Any], org_id: str) -> list[str]:
    """What went wrong calling ``method`` with each wrong value of each parameter (empty: all
    were refused as they should be)."""
    problems: list[str] = []
    params = parameters(method)
    for name, (hint, _) in params.items():
        base = {
            n: org_id if n == "organization_id" else REQUIRED[n]
            for n, (_, required) in params.items()
            if required and n != name
        }
        for wrong in WRONG:
            if conforms(wrong, hint):
                continue
            try:
                result = call(**base, **{name: wrong})
                if isinstance(result, AbstractContextManager):
                    with result:
                        pass
            except InvalidField as e:
                own = name in OWN_NAME and any(
                    w in method.__name__ for w in ("role", "directory", "portal")
                )
                expected = name if own else FIELD.get(name, name)
                named = e.field in (expected, f"{expected}_id") or (
                    e.field.startswith(f"{expected}.") or e.field.endswith(f".{expected}")
                )
                if not named:
                    problems.append(f"{name}={wrong!r}: InvalidField names {e.field!r}")
            except Exception as e:  # reported: anything but InvalidField is the gap
                problems.append(f"{name}={wrong!r}: {type(e).__name__}: {e}")
            else:
                problems.append(f"{name}={wrong!r}: accepted")
    return problems


@pytest.fixture
def org_id(app: Tenantry) -> str:
    org = app.create_organization("Acme", external_id="acme")
    app.add_member(org.id, "ann@x.io")
    return org.id


@pytest.mark.parametrize("name", tenantry_methods())
def test_the_application_refuses_a_wrong_type_naming_the_parameter(
    app: Tenantry, org_id: str, name: str
) -> None:
    assert refusals(getattr(app, name), getattr(Tenantry, name), org_id) == []


@pytest.fixture
def store(app: Tenantry) -> Iterator[ProjectionStore]:
    s = ProjectionStore(app)
    yield s
    s.close()


@pytest.mark.parametrize("name", public_methods(ProjectionStore))
def test_the_projection_store_refuses_a_wrong_type_naming_the_parameter(
    store: ProjectionStore, org_id: str, name: str
) -> None:
    assert refusals(getattr(store, name), getattr(ProjectionStore, name), org_id) == []


def test_every_public_method_is_covered() -> None:
    assert {"get_organization", "invite_member", "diff_organization"} <= set(tenantry_methods())
    assert {"list_members", "follow", "reading"} <= set(public_methods(ProjectionStore))


def test_an_organization_id_of_none_is_an_invalid_field_not_an_attribute_error(
    app: Tenantry,
) -> None:
    with pytest.raises(InvalidField) as e:
        app.get_organization(None)  # type: ignore[arg-type]
    assert (e.value.field, e.value.rule) == ("organization_id", "must be a org_ id (a string)")
