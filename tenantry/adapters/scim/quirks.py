"""The identity providers' deviations from RFC 7644, straightened before scim2-models reads a body.

scim2-models already reads, and so is not touched here: capitalised PATCH ops (Entra's
``"Replace"``, ``"Add"``, ``"Remove"``), booleans as strings (``"value": "False"``), path-less
replaces with dotted keys (``{"name.givenName": "John"}``), Okta's path-less
``{"op": "replace", "value": {"active": false}}`` and ``emails[type eq "work"].value`` paths.

What it refuses, and this module rewrites:

- Entra's own group schema URI in ``schemas``
  (``http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group``): dropped, it
  declares no attribute;
- a member removal by a value list (``{"op": "Remove", "path": "members", "value":
  [{"value": "…"}]}``): one ``members[value eq "…"]`` removal per listed member;
- the enterprise ``manager`` given as a bare id string (Entra): ``{"value": "…"}``.

Sources: Microsoft Entra, "Known issues and resolutions with SCIM 2.0 protocol compliance"
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility)
and "Tutorial: Develop and plan provisioning for a SCIM endpoint"
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).

A body that is not a JSON object is passed on unchanged: the library answers it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from scim2_models import SCIMException
from scim2_server.routing import Operation, match

ENTRA_GROUP_SCHEMA: Final = (
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)
VENDOR_SCHEMAS: Final = frozenset({ENTRA_GROUP_SCHEMA})
ENTERPRISE_USER: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
_MANAGER_PATHS: Final = frozenset({f"{ENTERPRISE_USER}:manager".lower(), "manager"})
_RESOURCE_BODIES: Final = frozenset({Operation.create, Operation.replace})


def normalized(method: str, path: str, body: bytes) -> bytes:
    """``body`` of the request ``method path`` with the known quirks straightened (the same
    bytes when there is nothing to straighten)."""
    if not body:
        return body
    try:
        operation = match(method.upper(), path).operation
    except SCIMException:
        return body
    if operation not in (*_RESOURCE_BODIES, Operation.patch, Operation.bulk):
        return body
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return body
    if not isinstance(document, dict):
        return body
    straightened = _straighten(operation, document)
    return body if straightened == document else json.dumps(straightened).encode()


def _straighten(operation: Operation, document: dict[str, Any]) -> dict[str, Any]:
    if operation in _RESOURCE_BODIES:
        return resource(document)
    if operation is Operation.patch:
        return patch(document)
    return bulk(document)


def resource(document: dict[str, Any]) -> dict[str, Any]:
    """A User or Group body without vendor schema URIs (nor their empty sections)."""
    schemas = document.get("schemas")
    if not isinstance(schemas, list) or not VENDOR_SCHEMAS.intersection(
        s for s in schemas if isinstance(s, str)
    ):
        return document
    kept = {k: v for k, v in document.items() if k not in VENDOR_SCHEMAS}
    kept["schemas"] = [s for s in schemas if s not in VENDOR_SCHEMAS]
    return kept


def patch(document: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp with member removals by value list split, and bare manager ids wrapped."""
    operations = _operations_key(document)
    ops = document.get(operations) if operations else None
    if operations is None or not isinstance(ops, list):
        return document
    rewritten: list[Any] = []
    for op in ops:
        rewritten.extend(_operation(op))
    return {**document, operations: rewritten} if rewritten != ops else document


def bulk(document: dict[str, Any]) -> dict[str, Any]:
    """A BulkRequest whose POST/PUT data and PATCH data are straightened like single requests."""
    operations = _operations_key(document)
    ops = document.get(operations) if operations else None
    if operations is None or not isinstance(ops, list):
        return document
    rewritten = [_bulk_operation(op) for op in ops]
    return {**document, operations: rewritten} if rewritten != ops else document


def _operations_key(document: dict[str, Any]) -> str | None:
    """The document's ``Operations`` key, whatever its case (scim2-models reads any)."""
    return next((k for k in document if k.lower() == "operations"), None)


def _bulk_operation(op: Any) -> Any:
    if not isinstance(op, dict) or not isinstance(op.get("data"), dict):
        return op
    method = str(op.get("method", "")).upper()
    if method in ("POST", "PUT"):
        return {**op, "data": resource(op["data"])}
    if method == "PATCH":
        return {**op, "data": patch(op["data"])}
    return op


def _operation(op: Any) -> list[Any]:
    if not isinstance(op, dict):
        return [op]
    name = str(op.get("op", "")).lower()
    path = op.get("path")
    value = op.get("value")
    if not isinstance(path, str):
        return [op]
    if name == "remove" and path.lower() == "members" and isinstance(value, list) and value:
        return _member_removals(op, value)
    if name in ("add", "replace") and path.lower() in _MANAGER_PATHS and isinstance(value, str):
        return [{**op, "value": {"value": value}}]
    return [op]


def _member_removals(op: dict[str, Any], members: list[Any]) -> list[Any]:
    """``{"op": "Remove", "path": "members", "value": [{"value": id}, …]}`` as one filtered
    removal per member; left as is when an entry has no string ``value`` (the library refuses
    it with its own error)."""
    ids = [m.get("value") if isinstance(m, dict) else None for m in members]
    if not all(isinstance(i, str) for i in ids):
        return [op]
    rest = {k: v for k, v in op.items() if k not in ("path", "value")}
    return [{**rest, "path": f"members[value eq {json.dumps(i)}]"} for i in ids]
