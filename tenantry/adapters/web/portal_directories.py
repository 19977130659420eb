"""The SCIM directory pages (feature ``dir_sync``): create a directory, see its endpoint, get its
bearer token — shown on the page that answers the creation or rotation, and never again (the
application keeps only its hash; the page is ``Cache-Control: no-store``) — revoke a token,
enable or disable the directory, page through the users and groups it synced, and map its groups
to roles. Every write goes through the application with the session's actor; a refusal is shown
next to the field it names and records nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Final

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse

from tenantry.adapters.http.errors import status_for
from tenantry.adapters.web import portal_directory_synced as synced
from tenantry.adapters.web.console import Console, ConsoleDep, both
from tenantry.adapters.web.context import tenantry_of
from tenantry.adapters.web.csrf import CheckedForm, text_of
from tenantry.adapters.web.pages import page_router
from tenantry.adapters.web.portal_directory_mapping import (
    NEW_ROWS,
    group_roles_of,
    role_choices,
    row_errors,
    rows_of,
)
from tenantry.adapters.web.portal_forms import errors_of, notice_of
from tenantry.adapters.web.sessions import settings_of
from tenantry.adapters.web.templating import render
from tenantry.application.app import Tenantry
from tenantry.application.directory_dto import Directory
from tenantry.domain.directory_values import DirectoryProvider
from tenantry.domain.errors import InvalidField, NothingChanged, TenantryError
from tenantry.domain.feature_errors import FeatureDisabled

router = page_router()

FEATURE: Final = "dir_sync"
PROVIDERS: Final = (
    (DirectoryProvider.OKTA.value, "Okta"),
    (DirectoryProvider.MICROSOFT_ENTRA_ID.value, "Microsoft Entra ID"),
    (DirectoryProvider.GOOGLE.value, "Google Workspace"),
    (DirectoryProvider.JUMPCLOUD.value, "JumpCloud"),
    (DirectoryProvider.ONELOGIN.value, "OneLogin"),
    (DirectoryProvider.CUSTOM.value, "Another SCIM 2.0 client"),
)
PROVIDER_NAMES: Final = dict(PROVIDERS)
GRACE_PERIODS: Final = (
    ("", "End the current token now"),
    ("3600", "Keep the current token for 1 hour"),
    ("86400", "Keep the current token for 1 day"),
    ("604800", "Keep the current token for 7 days"),
    ("2592000", "Keep the current token for 30 days"),
)
NOTICES: Final = {
    "enabled": "The directory is enabled: it provisions users and groups now.",
    "disabled": "The directory is disabled: its tokens are refused; what it synced stays.",
    "revoked": "The token is revoked: it stops at once.",
    "mapped": "The group mapping is saved.",
    "deleted": "The directory is deleted; the members it provisioned stay.",
}
COMPLETED: Final = {"enabled": "dir_sync.enabled"}
"""Which notice completes a step of the portal (told to the framing page)."""
Done = Annotated[str | None, Query(max_length=20)]


def _scoped(request: Request, console: Console) -> Tenantry:
    console.require(FEATURE)
    return tenantry_of(request)


def _endpoint(t: Tenantry, directory: Directory) -> str:
    return directory.at(t.sso_config.base_url).directory_endpoint


# --- the list and the creation -----------------------------------------------------------------


def directories_page(request: Request, console: ConsoleDep, done: Done = None) -> Response:
    t = _scoped(request, console)
    return _list(request, console, t, notice=notice_of(NOTICES, done))


def _list(
    request: Request,
    console: Console,
    t: Tenantry,
    *,
    errors: dict[str, str] | None = None,
    given: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    found = t.list_directories(console.organization_id)
    return render(
        request,
        "directories/list.html",
        {
            "console": console,
            "directories": found,
            "providers": PROVIDERS,
            "provider_names": PROVIDER_NAMES,
            "errors": errors or {},
            "given": given or {"provider": DirectoryProvider.OKTA.value, "name": ""},
            "notice": notice,
        },
        status_code=status_code,
    )


def create_directory(request: Request, console: ConsoleDep, form: CheckedForm) -> Response:
    """Creates the directory and its first token, and shows the token this once."""
    t = _scoped(request, console)
    given = {"provider": text_of(form, "provider") or "", "name": text_of(form, "name") or ""}
    actor = console.session.actor
    try:
        directory = t.create_directory(
            console.organization_id, given["provider"], name=given["name"] or None, actor=actor
        )
    except TenantryError as error:
        errors = errors_of(error, {"provider": "provider", "name": "name"})
        return _list(request, console, t, errors=errors, given=given, status_code=status_for(error))
    directory, token = t.create_directory_secret(console.organization_id, directory.id, actor=actor)
    return _token_page(request, console, t, directory, token, "dir_sync.created")


def _token_page(
    request: Request,
    console: Console,
    t: Tenantry,
    directory: Directory,
    token: str,
    step: str | None,
) -> Response:
    return render(
        request,
        "directories/token.html",
        {
            "console": console,
            "directory": directory,
            "endpoint": _endpoint(t, directory),
            "token": token,
            "provider_names": PROVIDER_NAMES,
            "completed_step": step,
        },
        status_code=201,
    )


# --- one directory -----------------------------------------------------------------------------


def directory_page(
    request: Request, console: ConsoleDep, directory_id: str, done: Done = None
) -> Response:
    t = _scoped(request, console)
    directory = t.get_directory(console.organization_id, directory_id)
    step = COMPLETED.get(done or "") if directory.enabled else None
    return _detail(request, console, t, directory, notice=notice_of(NOTICES, done), step=step)


def _detail(
    request: Request,
    console: Console,
    t: Tenantry,
    directory: Directory,
    *,
    errors: dict[str, str] | None = None,
    rows: list[tuple[str, str]] | None = None,
    notice: str | None = None,
    step: str | None = None,
    status_code: int = 200,
) -> Response:
    mapped = rows if rows is not None else sorted(directory.mapping.group_roles.items())
    groups = t.list_directory_groups(console.organization_id, directory.id, page_size=100)
    return render(
        request,
        "directories/detail.html",
        {
            "console": console,
            "directory": directory,
            "endpoint": _endpoint(t, directory),
            "provider_names": PROVIDER_NAMES,
            "grace_periods": GRACE_PERIODS,
            "rows": [*mapped, *[("", "")] * NEW_ROWS],
            "roles": role_choices(t, console.organization_id, mapped),
            "group_names": [g.display_name for g in groups.groups],
            "errors": errors or {},
            "notice": notice,
            "completed_step": step,
        },
        status_code=status_code,
    )


def _back(console: Console, directory_id: str, done: str) -> Response:
    return RedirectResponse(console.url(f"/directories/{directory_id}?done={done}"), 303)


def _attempt(
    request: Request,
    console: Console,
    t: Tenantry,
    directory_id: str,
    write: Callable[[], object],
    fields: dict[str, str],
    done: str,
) -> Response:
    """Runs ``write``; on success (or when it was so already: a second click) back to the
    directory's page with a notice, on a refusal the page again with the error next to the
    field it names."""
    try:
        write()
    except NothingChanged:
        pass
    except TenantryError as error:
        directory = t.get_directory(console.organization_id, directory_id)
        errors = errors_of(error, fields)
        if isinstance(error, FeatureDisabled):  # in the admin's words, not the API's
            brand = settings_of(request)
            errors[""] = (
                f"Directory sync is turned off for this {brand.term.lower()}, so the directory "
                f"cannot provision. Ask {brand.vendor_name} to turn it on."
            )
        return _detail(request, console, t, directory, errors=errors, status_code=status_for(error))
    return _back(console, directory_id, done)


def _switch(flip: Callable[..., Directory], done: str) -> Callable[..., Response]:
    """The route that enables or disables a directory (``flip``: the application's method)."""

    def switch(
        request: Request, console: ConsoleDep, directory_id: str, _: CheckedForm
    ) -> Response:
        t = _scoped(request, console)
        actor = console.session.actor
        return _attempt(
            request,
            console,
            t,
            directory_id,
            lambda: flip(t, console.organization_id, directory_id, actor=actor),
            {},
            done,
        )

    return switch


enable_directory = _switch(Tenantry.enable_directory, "enabled")
disable_directory = _switch(Tenantry.disable_directory, "disabled")


def rotate_token(
    request: Request, console: ConsoleDep, directory_id: str, form: CheckedForm
) -> Response:
    """A new token, shown this once; the older ones stop now or after the grace period."""
    t = _scoped(request, console)
    try:
        grace = _grace(text_of(form, "grace_period"))
        directory, token = t.create_directory_secret(
            console.organization_id, directory_id, grace_period=grace, actor=console.session.actor
        )
    except TenantryError as error:
        directory = t.get_directory(console.organization_id, directory_id)
        errors = errors_of(error, {"grace_period": "grace_period"})
        return _detail(request, console, t, directory, errors=errors, status_code=status_for(error))
    return _token_page(request, console, t, directory, token, None)


def _grace(value: str | None) -> timedelta | None:
    if value is None:
        return None
    if not value.strip().isdigit():
        raise InvalidField("grace_period", "must be a whole number of seconds")
    return timedelta(seconds=int(value))


def revoke_token(
    request: Request, console: ConsoleDep, directory_id: str, secret_id: str, _: CheckedForm
) -> Response:
    t = _scoped(request, console)
    actor = console.session.actor
    return _attempt(
        request,
        console,
        t,
        directory_id,
        lambda: t.revoke_directory_secret(
            console.organization_id, directory_id, secret_id, actor=actor
        ),
        {},
        "revoked",
    )


def save_mapping(
    request: Request, console: ConsoleDep, directory_id: str, form: CheckedForm
) -> Response:
    """Replaces the directory's group → role mapping with the rows of the form."""
    t = _scoped(request, console)
    rows = rows_of(form)
    try:
        group_roles = group_roles_of(rows)
        t.update_directory(
            console.organization_id,
            directory_id,
            mapping={"group_roles": group_roles},
            actor=console.session.actor,
        )
    except NothingChanged:
        pass  # saved as it was: nothing to record
    except TenantryError as error:
        directory = t.get_directory(console.organization_id, directory_id)
        errors = row_errors(error, rows)
        return _detail(
            request,
            console,
            t,
            directory,
            errors=errors,
            rows=rows,
            status_code=status_for(error),
        )
    return _back(console, directory_id, "mapped")


def delete_directory(
    request: Request, console: ConsoleDep, directory_id: str, _: CheckedForm
) -> Response:
    t = _scoped(request, console)
    t.delete_directory(console.organization_id, directory_id, actor=console.session.actor)
    return RedirectResponse(console.url("/directories?done=deleted"), 303)


_ONE: Final = "/directories/{directory_id}"
both(router, "/directories", directories_page, name="directories")
both(router, "/directories", create_directory, methods=("POST",), name="directories.create")
both(router, _ONE, directory_page, name="directory")
both(router, f"{_ONE}/enable", enable_directory, methods=("POST",), name="directory.enable")
both(router, f"{_ONE}/disable", disable_directory, methods=("POST",), name="directory.disable")
both(router, f"{_ONE}/secrets", rotate_token, methods=("POST",), name="directory.rotate")
both(
    router,
    f"{_ONE}/secrets/{{secret_id}}/revoke",
    revoke_token,
    methods=("POST",),
    name="directory.revoke",
)
both(router, f"{_ONE}/mapping", save_mapping, methods=("POST",), name="directory.mapping")
both(router, f"{_ONE}/delete", delete_directory, methods=("POST",), name="directory.delete")
both(router, f"{_ONE}/users", synced.directory_users, name="directory.users")
both(router, f"{_ONE}/groups", synced.directory_groups, name="directory.groups")
