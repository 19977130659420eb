"""scim2-server's storage over one directory's provisioning verbs (``scim_create`` … ``scim_find``
of :class:`~tenantry.application.app.Tenantry`).

The application keeps each resource as a document (the resource without ``id`` and ``meta``); this
storage turns documents into scim2-models resources and back, with ``meta.version`` as
``W/"<aggregate version>"``. A search without filter or sort pages over the roster's ids and loads
only the page; an ``eq`` on an indexed attribute (``userName``, ``externalId``, a group's
``displayName``) asks the roster; any other filter, and any sort, loads the directory's resources
of that type and filters and sorts them in memory, which a directory's size allows.
"""

from __future__ import annotations

import re
import threading
import weakref
from _thread import LockType
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final, Protocol

from scim2_models import (
    NotImplementedException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    SearchRequest,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import ScimStorage, SearchPage

from tenantry.adapters.scim.errors import translated
from tenantry.adapters.scim.provider import GROUP_MODEL, USER_MODEL
from tenantry.application.provisioning_dto import ScimKind, ScimRecord

_VERSION: Final = re.compile(r'(?:W/)?"(\d{1,18})"')
_INDEXED: Final = {
    ScimKind.USER: {"username": "userName", "externalid": "externalId"},
    ScimKind.GROUP: {"displayname": "displayName", "externalid": "externalId"},
}
"""The attributes the roster indexes, by their lower-cased name (filters ignore case)."""


class Provisioning(Protocol):
    """The application's provisioning verbs this storage calls (see the design's part B)."""

    def scim_create(
        self, directory_id: str, kind: ScimKind, document: dict[str, Any]
    ) -> ScimRecord: ...

    def scim_get(self, directory_id: str, kind: ScimKind, resource_id: str) -> ScimRecord: ...

    def scim_replace(
        self,
        directory_id: str,
        kind: ScimKind,
        resource_id: str,
        document: dict[str, Any],
        *,
        expected_version: int | None = None,
    ) -> ScimRecord: ...

    def scim_delete(
        self,
        directory_id: str,
        kind: ScimKind,
        resource_id: str,
        *,
        expected_version: int | None = None,
    ) -> None: ...

    def scim_ids(self, directory_id: str, kind: ScimKind) -> list[str]: ...

    def scim_get_many(
        self, directory_id: str, kind: ScimKind, ids: Sequence[str]
    ) -> list[ScimRecord]: ...

    def scim_find(
        self, directory_id: str, kind: ScimKind, attribute: str, value: str
    ) -> list[ScimRecord]: ...


def kind_of(resource_type: ResourceType) -> ScimKind:
    return ScimKind(str(resource_type.name))


def etag(version: int) -> str:
    return f'W/"{version}"'


def version_of(tag: str | None) -> int | None:
    """The aggregate version an ETag names (``None``: no condition); an ETag this server cannot
    have issued matches no version, so it fails the precondition."""
    if tag is None:
        return None
    found = _VERSION.fullmatch(tag.strip())
    if found is None:
        raise PreconditionFailedException(detail=f"the version {tag!r} is not one of ours")
    return int(found[1])


def resource_of(record: ScimRecord) -> Resource[Any]:
    """The record as a scim2-models resource, with its ``id`` and ``meta``. Group members get a
    ``$ref`` relative to the SCIM root, which the server turns into a URL."""
    data = dict(record.document)
    data["id"] = record.id
    data["meta"] = {
        "resourceType": record.kind.value,
        "created": _instant(record.created),
        "lastModified": _instant(record.last_modified),
        "version": etag(record.version),
    }
    if record.kind is ScimKind.GROUP and isinstance(data.get("members"), list):
        data["members"] = [_referenced(m) for m in data["members"]]
    model = USER_MODEL if record.kind is ScimKind.USER else GROUP_MODEL
    return model.model_validate(data)


def document_of(resource: Resource[Any]) -> dict[str, Any]:
    """What the application stores of a resource: no ``id``, no ``meta``, members by ``value``
    only and once each (a PATCH ``add`` of a present member with another ``display`` would list
    it twice)."""
    document = resource.model_dump(mode="json", exclude={"id", "meta"})
    members = document.get("members")
    if isinstance(members, list):
        seen: dict[Any, dict[str, Any]] = {}
        for member in members:
            entry = {k: v for k, v in member.items() if k != "$ref"}
            seen.setdefault(entry.get("value"), entry)
        document["members"] = list(seen.values())
    return document


def _referenced(member: Any) -> Any:
    if isinstance(member, dict) and isinstance(member.get("value"), str):
        return {**member, "$ref": f"Users/{member['value']}"}
    return member


def _instant(moment: datetime) -> str:
    return moment.isoformat()


class _DirectoryLocks:
    """One lock per directory, for this process. Every write of a directory saves its roster,
    so concurrent writes of one directory would mostly lose the optimistic-concurrency race and
    run again; one at a time they all go through once. A PATCH also reads, changes and writes
    the resource under it, so no write of this process slips between its read and its write.
    Other processes still race, and the application's version checks decide."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: weakref.WeakValueDictionary[str, LockType] = weakref.WeakValueDictionary()

    def of(self, directory_id: str) -> LockType:
        with self._guard:
            lock = self._locks.get(directory_id)
            if lock is None:
                lock = self._locks[directory_id] = threading.Lock()
            return lock


_LOCKS: Final = _DirectoryLocks()


class DirectoryStorage(ScimStorage):
    """The resources of one directory, read and written through the application; one SCIM
    operation of a directory at a time in this process (see :class:`_DirectoryLocks`)."""

    def __init__(self, app: Provisioning, directory_id: str) -> None:
        self.app = app
        self.directory_id = directory_id
        self._lock = _LOCKS.of(directory_id)

    @contextmanager
    def operation(self) -> Iterator[None]:
        with self._lock:
            yield

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        with translated():
            record = self.app.scim_get(self.directory_id, kind_of(resource_type), resource_id)
        return resource_of(record)

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        with translated():
            record = self.app.scim_create(
                self.directory_id, kind_of(resource_type), document_of(resource)
            )
        return resource_of(record)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        version = version_of(expected_version)
        with translated():
            record = self.app.scim_replace(
                self.directory_id,
                kind_of(resource_type),
                str(resource.id),
                document_of(resource),
                expected_version=version,
            )
        return resource_of(record)

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        version = version_of(expected_version)
        with translated():
            self.app.scim_delete(
                self.directory_id, kind_of(resource_type), resource_id, expected_version=version
            )

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        if len(resource_types) != 1:
            raise NotImplementedException(detail="search /Users or /Groups, not the root")
        kind = kind_of(resource_types[0])
        start = search_request.start_index_0 or 0
        count = search_request.count
        with translated():
            if search_request.filter is None and search_request.sort_by is None:
                return self._page_of_ids(kind, start, count)
            found = self._matching(kind, search_request.filter)
        ordered = search_request.sort(found)
        stop = None if count is None else start + count
        return SearchPage(len(ordered), ordered[start:stop])

    def _page_of_ids(self, kind: ScimKind, start: int, count: int | None) -> SearchPage:
        ids = self.app.scim_ids(self.directory_id, kind)
        page = ids[start:] if count is None else ids[start : start + count]
        records = self.app.scim_get_many(self.directory_id, kind, page) if page else []
        return SearchPage(len(ids), [resource_of(r) for r in records])

    def _matching(self, kind: ScimKind, scim_filter: ScimFilter[Any] | None) -> list[Resource[Any]]:
        indexed = indexed_equality(kind, scim_filter)
        if indexed is not None:
            records = self.app.scim_find(self.directory_id, kind, *indexed)
        else:
            ids = self.app.scim_ids(self.directory_id, kind)
            records = self.app.scim_get_many(self.directory_id, kind, ids) if ids else []
        resources = [resource_of(r) for r in records]
        if scim_filter is None:
            return resources
        return [r for r in resources if scim_filter.match(r)]


def indexed_equality(kind: ScimKind, scim_filter: ScimFilter[Any] | None) -> tuple[str, str] | None:
    """``(attribute, value)`` when the filter is ``<indexed attribute> eq "<string>"``. The
    roster's answer is then matched against the filter again, so the roster may answer more (a
    case-insensitive index for a case-exact attribute), never less."""
    if scim_filter is None:
        return None
    node = scim_filter.ast
    if (
        not isinstance(node, Comparison)
        or node.op != CompareOperator.eq
        or not isinstance(node.value, str)
    ):
        return None
    path = node.attr_path
    if path.sub_attr is not None or (path.uri is not None and ":core:" not in path.uri):
        return None
    attribute = _INDEXED[kind].get(path.attr.lower())
    return None if attribute is None else (attribute, node.value)
