"""gRPC for the hosted SDKs (scalekit-sdk-python, @scalekit-sdk/node): their services, served
from the SDK's own message descriptors by connect-python, backed by the same application and the
same bearer tokens as the REST API. ``tenantry serve --http2`` mounts it beside the REST API on
one port (:func:`tenantry.adapters.grpc.asgi.with_grpc`)."""
