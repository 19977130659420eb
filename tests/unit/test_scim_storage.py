"""How the SCIM storage turns the application's records into resources and back, and which
searches it answers from the roster's indexes (pure functions, no application)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scim2_models import Group, GroupMember, PreconditionFailedException, ScimFilter
from scim2_server.utils import parametrize

from tenantry.adapters.scim.provider import GROUP_MODEL, USER_MODEL
from tenantry.adapters.scim.storage import (
    document_of,
    indexed_equality,
    resource_of,
    version_of,
)
from tenantry.application.provisioning_dto import ScimKind, ScimRecord

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WHEN = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def record(kind: ScimKind, document: dict[str, Any], version: int = 3) -> ScimRecord:
    return ScimRecord(
        id="dus_1" if kind is ScimKind.USER else "dgp_1",
        kind=kind,
        document=document,
        created=WHEN,
        last_modified=WHEN,
        version=version,
    )


def test_a_user_record_becomes_a_resource_and_its_document_comes_back_unchanged() -> None:
    document = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "ada@acme.example",
        "externalId": "00u1",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@acme.example", "type": "work", "primary": True}],
        "active": False,
        ENTERPRISE: {"department": "Engines", "manager": {"value": "dus_2"}},
    }
    resource = resource_of(record(ScimKind.USER, document, version=7))
    assert resource.id == "dus_1"
    assert resource.meta is not None
    assert resource.meta.version == 'W/"7"'
    assert resource.meta.resource_type == "User"
    assert resource.meta.created == WHEN
    assert document_of(resource) == document


def test_group_members_get_a_reference_and_are_stored_once_by_value() -> None:
    stored = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Sales",
        "members": [{"value": "dus_1"}, {"value": "dus_2", "display": "bob"}],
    }
    resource = resource_of(record(ScimKind.GROUP, stored))
    assert isinstance(resource, Group)
    assert resource.members is not None
    assert [m.ref for m in resource.members] == ["Users/dus_1", "Users/dus_2"]
    resource.members.append(GroupMember(value="dus_1", display="again"))
    assert document_of(resource)["members"] == stored["members"]


@pytest.mark.parametrize(("tag", "version"), [('W/"12"', 12), ('"3"', 3), (None, None)])
def test_an_etag_names_the_aggregate_version(tag: str | None, version: int | None) -> None:
    assert version_of(tag) == version


@pytest.mark.parametrize("tag", ['W/"x"', "12", 'W/"1"junk', 'W/"' + "9" * 30 + '"', "*"])
def test_an_etag_this_server_never_issued_fails_the_precondition(tag: str) -> None:
    with pytest.raises(PreconditionFailedException):
        version_of(tag)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (ScimKind.USER, 'userName eq "Ada@Acme.example"', ("userName", "Ada@Acme.example")),
        (ScimKind.USER, 'USERNAME eq "a"', ("userName", "a")),
        (
            ScimKind.USER,
            'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"',
            ("userName", "a"),
        ),
        (ScimKind.USER, 'externalId eq "00u1"', ("externalId", "00u1")),
        (ScimKind.GROUP, 'displayName eq "Sales"', ("displayName", "Sales")),
        (ScimKind.USER, 'displayName eq "Ada"', None),
        (ScimKind.USER, 'userName ne "a"', None),
        (ScimKind.USER, 'userName eq "a" or userName eq "b"', None),
        (ScimKind.USER, 'name.givenName eq "a"', None),
        (ScimKind.USER, f'{ENTERPRISE}:employeeNumber eq "1"', None),
    ],
)
def test_only_an_eq_on_an_indexed_attribute_asks_the_roster(
    kind: ScimKind, text: str, expected: tuple[str, str] | None
) -> None:
    model = USER_MODEL if kind is ScimKind.USER else GROUP_MODEL
    assert indexed_equality(kind, parametrize(ScimFilter, model)(text)) == expected
