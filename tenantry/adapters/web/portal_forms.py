"""What the portal's SCIM and domain pages share: the application behind a page, a refusal
turned into messages next to the fields of a form, and the notice a page shows after a write
redirected to it."""

from __future__ import annotations

from collections.abc import Mapping

from tenantry.domain.errors import TenantryError


def errors_of(error: TenantryError, fields: Mapping[str, str]) -> dict[str, str]:
    """``error`` as ``{form field: message}``: an error naming a field (``error.field``) the
    form has (``fields``: the application's field name → the form's) goes next to it; any
    other above the form (key ``""``)."""
    field = getattr(error, "field", None)
    if isinstance(field, str) and field in fields:
        return {fields[field]: str(getattr(error, "rule", error.message))}
    return {"": error.message}


def notice_of(notices: Mapping[str, str], done: str | None) -> str | None:
    """The page's notice after a write (``?done=…``), from a fixed table: the query only
    picks one, it never supplies the text."""
    return notices.get(done or "")
