"""schemathesis against the served ``/openapi.json``: no input reaches a server error, and every
response conforms to the document (status, content type, headers, body schema)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.e2e.http_support import Server, serve

EXAMPLES = 10
"""Per operation and per mode (valid, then invalid input): modest, so CI stays quick."""

CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                # The token endpoint refuses a body over its bound with 413 before parsing it:
                # a refusal, as documented, not an acceptance of invalid data.
                "expected-statuses": [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"]
            }
        }
    }
)


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    with serve(f"sqlite:///{tmp_path / 'tenantry.db'}", log=tmp_path / "server.log") as s:
        yield s


def fuzz(
    operation: schemathesis.APIOperation, mode: GenerationMode, base_url: str, token: str
) -> Callable[[], None]:
    headers = {"Authorization": f"Bearer {token}"} if operation.path.startswith("/api/") else {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: schemathesis.Case) -> None:
        # Schema-valid is not always domain-valid (display_name "  " is refused after trimming,
        # metadata keys need 3-25 characters): such input gets 400, which schemathesis's
        # positive-data check would count as a failure.
        case.call_and_validate(
            base_url=base_url, headers=headers, excluded_checks=[positive_data_acceptance]
        )

    return check  # type: ignore[no-any-return]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_reaches_a_server_error_and_every_response_conforms(
    sqlite_server: Server, mode: GenerationMode
) -> None:
    api = schemathesis.openapi.from_url(f"{sqlite_server.base_url}/openapi.json", config=CONFIG)
    token = sqlite_server.token()
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 20
    fuzzed = 0
    for operation in operations:
        try:
            fuzz(operation, mode, sqlite_server.base_url, token)()
        except Unsatisfiable:
            # Only in negative mode, for an operation with no input to get wrong (GET /keys).
            assert mode == GenerationMode.NEGATIVE
            assert not operation.path_parameters
            continue
        fuzzed += 1
    assert fuzzed >= 18
