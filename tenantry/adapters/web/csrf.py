"""Forms that change something carry the session's token (``csrf_token``); a post without it, or
with another session's, is refused before the page's handler runs, and nothing is recorded."""

from __future__ import annotations

import hmac
from typing import Annotated, Final

from fastapi import Depends, Request
from starlette.datastructures import FormData

from tenantry.adapters.web.sessions import current_session
from tenantry.domain.web_errors import FormTokenInvalid

FIELD: Final = "csrf_token"
MAX_FIELDS: Final = 200
MAX_FILES: Final = 4
MAX_PART_BYTES: Final = 1024 * 1024
"""An IdP's metadata or certificate fits easily; anything bigger is not one."""


async def checked_form(request: Request) -> FormData:
    """The posted form, once its token matched the session's (:class:`FormTokenInvalid` if not;
    :class:`~tenantry.domain.web_errors.SessionMissing` without a session)."""
    session = current_session(request)
    form = await request.form(
        max_fields=MAX_FIELDS, max_files=MAX_FILES, max_part_size=MAX_PART_BYTES
    )
    given = form.get(FIELD)
    if not isinstance(given, str) or not hmac.compare_digest(given, session.csrf_token):
        raise FormTokenInvalid()
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def text_of(form: FormData, name: str) -> str | None:
    """A text field's value (``None`` when absent or empty); an uploaded file is not text."""
    value = form.get(name)
    if isinstance(value, str):
        return value if value.strip() else None
    return None


async def file_text(form: FormData, name: str) -> str | None:
    """An uploaded file's content as UTF-8 text (``None`` when no file was chosen)."""
    value = form.get(name)
    if value is None or isinstance(value, str):
        return None
    data = await value.read()
    if not data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        from tenantry.domain.errors import InvalidField

        raise InvalidField(name, "must be a UTF-8 text file (PEM or XML)") from None
