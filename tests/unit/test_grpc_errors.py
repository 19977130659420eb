"""The gRPC error table (tenantry/adapters/grpc/errors.py) and the message readers: every refusal
has a gRPC status and carries its error code in ``ErrorInfo``."""

from __future__ import annotations

import pytest
from connectrpc.code import Code
from scalekit.v1.errdetails.errdetails_pb2 import ErrorInfo
from scalekit.v1.organizations.organizations_pb2 import (
    GetOrganizationRequest,
    UpdateOrganization,
)

from tenantry.adapters.grpc import errors, messages
from tenantry.application.app import UNSET
from tenantry.domain import errors as domain
from tenantry.domain.errors import ErrorKind, TenantryError


def _all(cls: type[TenantryError]) -> set[type[TenantryError]]:
    return {cls, *(sub for direct in cls.__subclasses__() for sub in _all(direct))}


def test_every_error_kind_has_a_grpc_status() -> None:
    assert set(errors.CODE_BY_KIND) == set(ErrorKind)
    for cls in _all(TenantryError):
        if cls is not TenantryError:
            assert cls.kind in errors.CODE_BY_KIND, cls


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (domain.OrganizationNotFound("org_1"), Code.NOT_FOUND),
        (domain.ExternalIdTaken("acme"), Code.ALREADY_EXISTS),
        (domain.InvalidField("display_name", "must not be empty"), Code.INVALID_ARGUMENT),
        (domain.Unauthenticated("no token"), Code.UNAUTHENTICATED),
        (domain.ProjectionBehind("organizations", 3, 1, 1.0), Code.UNAVAILABLE),
    ],
)
def test_refusals_map_to_their_status_with_their_code_in_error_info(
    error: TenantryError, code: Code
) -> None:
    answer = errors.rpc_error(error)
    assert answer.code == code
    assert answer.message == error.message
    info = ErrorInfo()
    assert answer.details[0].Unpack(info)
    assert info.error_code == error.code


def test_an_update_reads_only_the_fields_it_sets() -> None:
    changes = messages.organization_changes(UpdateOrganization(display_name="New"))
    assert changes["display_name"] == "New"
    assert changes["external_id"] is UNSET
    cleared = messages.organization_changes(UpdateOrganization(external_id=""))
    assert cleared["external_id"] == ""  # set to "": cleared, as over REST


def test_an_update_cannot_clear_the_display_name() -> None:
    with pytest.raises(domain.InvalidField) as refused:
        messages.organization_changes(UpdateOrganization(display_name=""))
    assert refused.value.field == "organization.display_name"


def test_a_lookup_needs_an_id_or_an_external_id() -> None:
    assert messages.identity(GetOrganizationRequest(external_id="x")) == ("external_id", "x")
    with pytest.raises(domain.InvalidField) as neither:
        messages.identity(GetOrganizationRequest())
    assert neither.value.field == "id"
    with pytest.raises(domain.InvalidField):
        messages.identity(GetOrganizationRequest(id=""))
