"""SCIM documents as tenantry stores them: the JSON object a directory sent for a user or a group,
without the attributes the service provider assigns (``id``, ``meta``), without ``password``
(write-only: a secret never reaches an event) and, for a group, without its ``members`` (kept as
ids beside the document).

A document is checked before it reaches an event: JSON values only (objects with string keys,
arrays, strings, finite numbers, booleans, null), nested at most :data:`MAX_DEPTH` deep, at most
:data:`MAX_DOCUMENT_CHARS` characters as JSON, each string at most :data:`MAX_STRING` characters.
Every string obeys the text rule (:mod:`tenantry.domain.text`): attribute names and the
identifying attributes (``userName``, ``externalId``, ``displayName``) as names, the other values
as free text. A user needs a ``userName``, a group a ``displayName``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Final

from tenantry.domain import ids, text
from tenantry.domain.base import Aggregate
from tenantry.domain.errors import InvalidField
from tenantry.domain.provisioning_errors import ScimResourceNotFound

MAX_DOCUMENT_CHARS: Final = 32_768
MAX_DEPTH: Final = 8
MAX_STRING: Final = 4096
IDENTIFIER_MAX: Final = 255
MAX_GROUP_MEMBERS: Final = 50_000
ASSIGNED: Final = frozenset({"id", "meta"})
"""Attributes the service provider assigns: left out of the stored document."""
WRITE_ONLY: Final = frozenset({"password"})
"""Attributes a directory may send but no one may read back (RFC 7643 §4.1.1): a secret never
reaches an event, so they are dropped too."""
IDENTIFIERS: Final = ("userName", "externalId", "displayName")


class ScimKind(StrEnum):
    USER = "User"
    GROUP = "Group"


class ScimResource(Aggregate):
    """What a directory's users and groups share: a public id, a document with an optional
    ``externalId``, and a deletion after which the resource is not found."""

    KIND: ClassVar[ScimKind]
    PREFIX: ClassVar[str]
    if TYPE_CHECKING:
        state: Any

    @property
    def public_id(self) -> str:
        return ids.encode(self.PREFIX, self.id)

    @property
    def external_id(self) -> str | None:
        value = self.state.document.get("externalId")
        return value if isinstance(value, str) else None

    def check_exists(self) -> None:
        if self.state.deleted:
            raise ScimResourceNotFound(self.KIND, self.public_id)


def document(value: Mapping[str, Any], kind: ScimKind) -> dict[str, Any]:
    """The document to store for a ``kind`` resource (see the module's docstring)."""
    if not isinstance(value, Mapping):
        raise InvalidField("document", "must be a JSON object")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise InvalidField("document", "attribute names must be strings")
        if key in ASSIGNED or key in WRITE_ONLY or (kind is ScimKind.GROUP and key == "members"):
            continue
        name = text.name(key, "document")
        if name in IDENTIFIERS:
            identifier = _identifier(item, name, required=False)
            if identifier is not None:
                out[name] = identifier
        else:
            out[name] = _value(item, name, 1)
    required = "userName" if kind is ScimKind.USER else "displayName"
    out[required] = _identifier(out.get(required), required, required=True)
    if out.get("active") is not None and not isinstance(out["active"], bool):
        raise InvalidField("active", "must be true or false")
    if len(json.dumps(out, ensure_ascii=False)) > MAX_DOCUMENT_CHARS:
        raise InvalidField("document", f"must be at most {MAX_DOCUMENT_CHARS} characters as JSON")
    return out


def is_active(doc: Mapping[str, Any]) -> bool:
    """A user is active unless its document says ``"active": false`` (absent or null: active)."""
    return doc.get("active", True) is not False


def _identifier(value: Any, field: str, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    rule = f"must be a string of 1-{IDENTIFIER_MAX} characters"
    if not isinstance(value, str):
        raise InvalidField(field, rule)
    checked = text.name(value, field)
    if not 1 <= len(checked) <= IDENTIFIER_MAX or not checked.strip():
        raise InvalidField(field, rule)
    return checked


def _value(value: Any, path: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise InvalidField(path, f"must be nested at most {MAX_DEPTH} deep")
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidField(path, "must be a finite number")
        return value
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise InvalidField(path, f"must be at most {MAX_STRING} characters")
        return text.free_text(value, path)
    if isinstance(value, list | tuple):
        return [_value(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidField(path, "attribute names must be strings")
            k = text.name(k, path)
            out[k] = _value(v, f"{path}.{k}", depth + 1)
        return out
    raise InvalidField(path, "must be a JSON value")
