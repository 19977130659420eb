"""What every route runs through: its context, the route class, the idempotency guard and the
helpers that turn a result into a response.

The routes are plain module-level functions (one module per resource group, in
:mod:`tenantry.adapters.http.routes`); each router that :func:`create_router` builds carries its own
:class:`RouterContext` (the application, the idempotency store, the projections), handed to the
routes as FastAPI dependencies.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, TypeVar, cast

from eventsourcing import persistence as es_persistence
from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.concurrency import run_in_threadpool

from tenantry.adapters.http.errors import (
    HttpError,
    PayloadTooLarge,
    error_response,
    validation_response,
)
from tenantry.adapters.http.idempotency import (
    HEADER,
    IdempotencyStore,
    Reservation,
    StoredResponse,
    check_key,
    fingerprint,
)
from tenantry.adapters.http.requests import database_unavailable
from tenantry.adapters.projections import ProjectionStore
from tenantry.adapters.projections.read_options import ReadOptions
from tenantry.application.app import Tenantry
from tenantry.domain import values
from tenantry.domain.errors import (
    ConcurrentModification,
    InvalidField,
    NothingChanged,
    TenantryError,
)

log = logging.getLogger("tenantry.http")
T = TypeVar("T")
E = TypeVar("E", bound=Callable[..., Any])

UNAVAILABLE_ERRORS: Final = (
    es_persistence.OperationalError,
    es_persistence.InterfaceError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)
"""Database failures a retry may get past (connection refused, too many clients, pool timeout)."""
DEFAULT_MAX_BODY_BYTES: Final = 64 * 1024
POSITION_HEADER: Final = "X-Tenantry-Position"
"""Set on every successful write: the log position of its last event (for read-your-writes)."""

_WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_UNPARSABLE: Final = object()
"""Stands for a body that is not JSON: it fails every body model."""
_CONTEXT: Final = "tenantry_router"
"""Where the route class leaves its router's context on ``request.state``."""
_PRINCIPAL: Final = "tenantry_principal"
"""Where the guard leaves the authenticated principal on ``request.state``."""


# --- the context of one router ------------------------------------------------------------------


@dataclass(frozen=True)
class Lists:
    """The projections the list and search routes read, and how long a list waits for them to
    include every write acknowledged before it."""

    store: ProjectionStore
    timeout: float

    def read_your_writes(self) -> ReadOptions:
        """A list includes the log's head as of the request: every write acknowledged before."""
        return ReadOptions(min_position=self.store.head(), timeout=self.timeout)


@dataclass(frozen=True)
class RouterContext:
    """Everything the routes of one :func:`create_router` call share."""

    tenantry: Tenantry
    idempotency: IdempotencyStore
    max_body_bytes: int
    lists: Lists | None = None
    actor_of: Callable[[Any], str] = lambda _: "system"
    """The actor a write by this principal records (see :func:`act_of`)."""


def context_of(request: Request) -> RouterContext:
    return cast(RouterContext, getattr(request.state, _CONTEXT))


async def _tenantry(request: Request) -> Tenantry:
    return context_of(request).tenantry


App = Annotated[Tenantry, Depends(_tenantry)]
"""The application a route serves (a dependency, so that routes can be module-level functions)."""


# --- who a write is recorded as made by ------------------------------------------------------

ON_BEHALF_OF_HEADER: Final = "X-Tenantry-On-Behalf-Of"
"""The optional end user a write is made for (recorded beside the actor as ``on_behalf_of``)."""


@dataclass(frozen=True)
class Acting:
    """Who a write is recorded as made by: the authenticated principal (``actor``) and the end
    user it says it acts for (``on_behalf_of``)."""

    actor: str
    on_behalf_of: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """The keywords every command of the application takes for them."""
        return {"actor": self.actor, "on_behalf_of": self.on_behalf_of}


async def act_of(
    request: Request,
    on_behalf_of: Annotated[
        str | None,
        Header(
            alias=ON_BEHALF_OF_HEADER,
            description="The end user this write is made for (e.g. your application's signed-in "
            "user): recorded on its events beside the API client, 1-255 characters, UTF-8, no "
            "control characters.",
        ),
    ] = None,
) -> Acting:
    """The actor of the route's principal (``client:<client_id>`` for an API client) and the
    checked ``X-Tenantry-On-Behalf-Of`` header."""
    actor = context_of(request).actor_of(getattr(request.state, _PRINCIPAL, None))
    if on_behalf_of is None:
        return Acting(actor)
    try:  # HTTP carries header bytes; Starlette decodes them as Latin-1
        text = on_behalf_of.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise InvalidField(ON_BEHALF_OF_HEADER, "must be UTF-8 text") from None
    try:
        return Acting(actor, values.on_behalf_of(text))
    except InvalidField as e:
        raise InvalidField(ON_BEHALF_OF_HEADER, e.rule) from None


By = Annotated[Acting, Depends(act_of)]
"""Who the route's write is recorded as made by (a dependency of every write route)."""

OrgId = Annotated[str, Path(description="An org_ id.", max_length=64)]
UserRef = Annotated[str, Path(description="A usr_ id (or the user's e-mail).", max_length=254)]


# --- the route class: body limit, errors as JSON, idempotent replay ---------------------------


class _Replay(Exception):
    def __init__(self, stored: StoredResponse) -> None:
        self.stored = stored


async def _read_body(request: Request, limit: int) -> None:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"the request body must be at most {limit} bytes", limit=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body must be at most {limit} bytes", limit=limit)
        chunks.append(chunk)
    request._body = b"".join(chunks)  # what FastAPI reads the body from


def _is_json(content_type: str | None) -> bool:
    if content_type is None:  # FastAPI may read such a body as JSON too
        return True
    maintype, _, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


def _parse_json_first(request: Request) -> RequestValidationError | None:
    """Parses a JSON body before FastAPI would. FastAPI parses the body before it runs the
    dependencies, so a malformed body would be answered before the caller is authenticated; here
    a body that does not parse is replaced by a value no body model accepts, and its error is
    returned to answer with once the dependencies have run."""
    body: bytes = request._body
    if not body or not _is_json(request.headers.get("content-type")):
        return None
    try:
        request._json = json.loads(body)  # what Request.json() returns from now on
    except UnicodeDecodeError as e:
        request._json = _UNPARSABLE
        rule = f"must be JSON in UTF-8 (byte {e.start} is not UTF-8)"
        return RequestValidationError([{"type": "utf8", "loc": ("body", e.start), "msg": rule}])
    except (ValueError, RecursionError) as e:  # not JSON, or nested too deep
        request._json = _UNPARSABLE
        problem = {"type": "json_invalid", "loc": ("body", getattr(e, "pos", 0)), "msg": str(e)}
        return RequestValidationError([problem])
    return None


def route_class(context: RouterContext) -> type[APIRoute]:
    class TenantryRoute(APIRoute):
        """Maps errors to JSON, limits body size, authenticates before it judges the body,
        replays idempotent requests."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()
            has_body = self.body_field is not None

            async def route(request: Request) -> Response:
                setattr(request.state, _CONTEXT, context)
                store = context.idempotency
                malformed: RequestValidationError | None = None
                transient = False
                try:
                    if request.method in _BODY_METHODS:
                        await _read_body(request, context.max_body_bytes)
                        if has_body:
                            malformed = _parse_json_first(request)
                    response = await handler(request)
                except _Replay as replay:
                    s = replay.stored
                    return Response(
                        s.body,
                        status_code=s.status_code,
                        media_type=s.media_type,
                        headers={"Idempotent-Replayed": "true"},
                    )
                except RequestValidationError as e:
                    response = validation_response(malformed or e)
                except (TenantryError, HttpError) as e:
                    response = error_response(e)
                    # Lost every race: the same request may well succeed later, so its key
                    # must not keep this answer.
                    transient = isinstance(e, ConcurrentModification)
                except UNAVAILABLE_ERRORS as e:
                    await _release(request, store)
                    return database_unavailable(e)
                except BaseException:
                    await _release(request, store)
                    raise
                reservation: Reservation | None = getattr(request.state, "idempotency", None)
                if reservation is not None:
                    if response.status_code < 500 and not transient:
                        stored = StoredResponse(
                            response.status_code, response.media_type, bytes(response.body)
                        )
                        # The write is done: its answer goes out even if the key cannot
                        # keep it (the key then stays reserved, see IdempotencyStore.begin).
                        try:
                            await run_in_threadpool(
                                _persisting, store.complete, reservation, stored
                            )
                        except UNAVAILABLE_ERRORS as e:
                            log.warning(
                                "could not store the answer of an idempotent request: %s", e
                            )
                    else:
                        await _release(request, store)
                return response

            return route

    return TenantryRoute


async def _release(request: Request, store: IdempotencyStore) -> None:
    reservation: Reservation | None = getattr(request.state, "idempotency", None)
    if reservation is not None:
        await run_in_threadpool(_persisting, store.release, reservation)


def _persisting(write: Callable[..., None], *args: Any) -> None:
    """``write(*args)``, tried again twice if the database connection drops: a key left reserved
    would answer the client's retry with 409 for minutes."""
    for attempt in range(3):
        try:
            write(*args)
            return
        except UNAVAILABLE_ERRORS:
            if attempt == 2:
                raise
            time.sleep(0.1 * 3**attempt)


def idempotency_guard(
    authenticate: Callable[..., Any], principal_scope: Callable[[Any], str]
) -> Callable[..., Coroutine[Any, Any, None]]:
    """The dependency of every route: authenticates the caller (``authenticate``), then reserves
    its ``Idempotency-Key`` or replays the response stored for it."""

    # Depends() as a default, not in Annotated: the annotation is a string here (PEP 563)
    # and FastAPI cannot resolve a name local to this function from it.
    async def guard(request: Request, principal: Any = Depends(authenticate)) -> None:  # noqa: B008
        setattr(request.state, _PRINCIPAL, principal)
        if request.method not in _WRITE_METHODS:
            return
        key = request.headers.get(HEADER)
        if key is None:
            return
        check_key(key)
        body = await request.body()
        print_ = fingerprint(request.method, request.url.path, request.url.query, body)
        scope = principal_scope(principal)
        context = context_of(request)

        def begin() -> Reservation | StoredResponse:
            head = context.tenantry.recorder.max_notification_id() or 0
            return context.idempotency.begin(scope, key, print_, head)

        outcome = await run_in_threadpool(begin)
        if isinstance(outcome, StoredResponse):
            raise _Replay(outcome)
        request.state.idempotency = outcome

    return guard


# --- declaring routes away from the router -------------------------------------------------------


@dataclass(frozen=True)
class _Declared:
    method: str
    path: str
    endpoint: Callable[..., Any]
    options: dict[str, Any]


class Routes:
    """One resource group's routes, declared beside their functions and added to each router
    :func:`create_router` builds. Not an ``APIRouter`` of its own: ``include_router`` keeps the
    included routes' class, and the route class belongs to the router that mounts them.

    ``tag`` is the OpenAPI tag of every route that names none."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self._declared: list[_Declared] = []

    def get(self, path: str, **options: Any) -> Callable[[E], E]:
        return self._declare("GET", path, options)

    def post(self, path: str, **options: Any) -> Callable[[E], E]:
        return self._declare("POST", path, options)

    def patch(self, path: str, **options: Any) -> Callable[[E], E]:
        return self._declare("PATCH", path, options)

    def put(self, path: str, **options: Any) -> Callable[[E], E]:
        return self._declare("PUT", path, options)

    def delete(self, path: str, **options: Any) -> Callable[[E], E]:
        return self._declare("DELETE", path, options)

    def _declare(self, method: str, path: str, options: dict[str, Any]) -> Callable[[E], E]:
        def declare(endpoint: E) -> E:
            self._declared.append(_Declared(method, path, endpoint, options))
            return endpoint

        return declare

    def mount(self, router: APIRouter) -> None:
        for d in self._declared:
            options = {"tags": [self.tag], **d.options}
            router.add_api_route(d.path, d.endpoint, methods=[d.method], **options)


# --- responses ---------------------------------------------------------------------------------


def json_response(
    body: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``body`` as JSON, serialized once by pydantic. The routes declare ``response_model`` for
    OpenAPI but return this, which FastAPI sends as is; returning the model would have it
    validated again (in another thread hop for sync routes) and then encoded."""
    return Response(
        body.__pydantic_serializer__.to_json(body),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def written(t: Tenantry, body: BaseModel | None, status_code: int = 200) -> Response:
    """The answer to a write, with the log position of its last event (``t.last_position`` is
    per thread: call this in the thread that ran the command)."""
    position = t.last_position
    headers = {POSITION_HEADER: str(position)} if position is not None else None
    if body is None:
        return Response(status_code=status_code, headers=headers)
    return json_response(body, status_code, headers)


def unchanged_ok(write: Callable[[], T], read: Callable[[], T]) -> T:
    """PATCH is idempotent: asking for what already is returns it (and records nothing)."""
    try:
        return write()
    except NothingChanged:
        return read()
