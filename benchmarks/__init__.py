"""Benchmarks of tenantry beside their baselines (see benchmarks/README.md).

They use libraries that tenantry itself does not need — eventsourcing-sqlalchemy as a baseline,
the PostgreSQL driver, the HTTP server, an HTTP client and psutil — gathered in the ``bench``
extra. Checked here, as any benchmark module starts, so that a missing one is named together
with the command that installs it, instead of failing as a traceback partway through a run.
"""

import importlib.util
import sys

INSTALL_BENCH_EXTRA = 'pip install -e ".[bench]"'
BENCH_MODULES = ("eventsourcing_sqlalchemy", "psycopg", "fastapi", "uvicorn", "httpx", "psutil")

_missing = [name for name in BENCH_MODULES if importlib.util.find_spec(name) is None]
if _missing:
    sys.exit(
        f"the benchmarks need {', '.join(_missing)}, from the bench extra: {INSTALL_BENCH_EXTRA}"
    )
