"""The ``tenantry`` command line (typer + rich): every use case, audit-history replay, tenant
export and import, the projections, the HTTP server and its clients, and the guided demo.

Tables by default; ``--json`` prints the result's data exactly as the Python API's DTOs dump it
(``model_dump(mode="json")``), one JSON document. A refusal prints one line on stderr,
``error [code]: message``, and exits with the code of its kind (:data:`EXIT_CODES`).
"""

from tenantry.adapters.cli.reporting import EXIT_CODES
from tenantry.adapters.cli.root import app, main

__all__ = ["EXIT_CODES", "app", "main"]
