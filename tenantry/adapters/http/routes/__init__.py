"""The REST routes, one module per resource group, each a set of module-level functions that
:func:`tenantry.adapters.http.router.create_router` mounts."""
