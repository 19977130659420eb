"""A hosted gRPC service from its descriptor: each method tenantry serves is a unary endpoint
running its handler with the scope it needs (:func:`tenantry.adapters.grpc.calls.rpc`); every
other method of the service answers UNIMPLEMENTED, naming it.

A handler module (``organizations``, ``users``…) offers :class:`Handlers`: the service it serves
and, by method name, the scope and the work of each call. Several modules may serve methods of one
service; :func:`endpoints` joins them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol

from connectrpc.code import Code
from connectrpc.method import IdempotencyLevel, MethodInfo
from connectrpc.request import RequestContext
from connectrpc.server import Endpoint
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message_factory import GetMessageClass

from tenantry.adapters.auth.clients import ClientAuth
from tenantry.adapters.grpc.calls import Caller, rpc
from tenantry.adapters.grpc.errors import status_error

UNIMPLEMENTED_CODE: Final = "unimplemented"

Work = Callable[[Any, Caller], Any]
"""A call's work: its request message and its caller in, its response message out."""


class Handlers(Protocol):
    """Some methods of one hosted service."""

    service: ServiceDescriptor

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        """``{method name: (scope the caller needs, work)}``."""
        ...


def method_info(method: MethodDescriptor) -> MethodInfo[Any, Any]:
    return MethodInfo(
        name=method.name,
        service_name=method.containing_service.full_name,
        input=GetMessageClass(method.input_type),
        output=GetMessageClass(method.output_type),
        idempotency_level=IdempotencyLevel.UNKNOWN,
    )


def unimplemented(method: MethodDescriptor) -> Endpoint[Any, Any]:
    async def refuse(_: Any, __: RequestContext[Any, Any]) -> Any:
        raise status_error(
            Code.UNIMPLEMENTED,
            f"{method.full_name} is not implemented by tenantry yet",
            UNIMPLEMENTED_CODE,
        )

    return Endpoint.unary(method_info(method), refuse)


def endpoints(clients: ClientAuth, served: Iterable[Handlers]) -> dict[str, Endpoint[Any, Any]]:
    """Every method of every service ``served`` touches, by path ``/<service>/<method>``."""
    services: dict[str, ServiceDescriptor] = {}
    handlers: dict[str, tuple[str, Work]] = {}
    for group in served:
        services[group.service.full_name] = group.service
        for name, handler in group.handlers().items():
            path = f"/{group.service.full_name}/{name}"
            if path in handlers:
                raise ValueError(f"{path} is served twice")
            if name not in group.service.methods_by_name:
                raise ValueError(f"{group.service.full_name} has no method {name}")
            handlers[path] = handler
    result: dict[str, Endpoint[Any, Any]] = {}
    for service in services.values():
        for method in service.methods:
            path = f"/{service.full_name}/{method.name}"
            if path in handlers:
                scope, work = handlers[path]
                result[path] = Endpoint.unary(method_info(method), rpc(clients, scope, work))
            else:
                result[path] = unimplemented(method)
    return result
