"""A directory's mapping: the sources it may name, reading them from SCIM user documents (the
core schema and the enterprise extension), the e-mail rule, and the checks of a new mapping."""

from __future__ import annotations

from typing import Any

import pytest

from tenantry.domain.directory_values import (
    ENTERPRISE_SCHEMA,
    SOURCES,
    DirectoryMapping,
    DirectoryProvider,
    directory_mapping,
    directory_provider,
    email_of,
    source_value,
)
from tenantry.domain.errors import InvalidField

ADA: dict[str, Any] = {
    "userName": "ada",
    "externalId": "00u1",
    "displayName": "Ada Lovelace",
    "title": "Analyst",
    "name": {"givenName": "Ada", "familyName": "Lovelace"},
    "emails": [
        {"value": "ada@home.example", "type": "home"},
        {"value": "ada@work.example", "type": "work"},
        {"value": "ada@primary.example", "type": "other", "primary": True},
    ],
    ENTERPRISE_SCHEMA: {
        "department": "Engines",
        "employeeNumber": "1815",
        "costCenter": "CC-1",
        "organization": "Analytical",
        "division": "R&D",
        "manager": {"value": "dus_babbage", "displayName": "Charles"},
    },
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("userName", "ada"),
        ("externalId", "00u1"),
        ("displayName", "Ada Lovelace"),
        ("title", "Analyst"),
        ("name.givenName", "Ada"),
        ("name.familyName", "Lovelace"),
        ("emails.primary", "ada@primary.example"),
        ("emails.work", "ada@work.example"),
        ("enterprise.department", "Engines"),
        ("enterprise.employeeNumber", "1815"),
        ("enterprise.costCenter", "CC-1"),
        ("enterprise.organization", "Analytical"),
        ("enterprise.division", "R&D"),
        ("enterprise.manager", "dus_babbage"),
    ],
)
def test_each_source_reads_its_value(source: str, expected: str) -> None:
    assert source in SOURCES
    assert source_value(ADA, source) == expected


def test_every_source_is_tested() -> None:
    assert len(SOURCES) == 14


def test_a_missing_or_odd_value_reads_as_none() -> None:
    odd = {"userName": 7, "name": "Ada", "emails": "x", ENTERPRISE_SCHEMA: {"manager": "m"}}
    for source in SOURCES:
        assert source_value({}, source) is None
        assert source_value(odd, source) is None
    assert source_value({"emails": [{"value": "a@b.example", "primary": "True"}]}, "emails.primary")


def test_auto_takes_the_user_name_then_the_primary_then_the_work_e_mail() -> None:
    auto = DirectoryMapping()
    assert email_of({**ADA, "userName": "ada@lovelace.example"}, auto) == "ada@lovelace.example"
    assert email_of(ADA, auto) == "ada@primary.example"
    work_only = {**ADA, "emails": [{"value": "ada@work.example", "type": "work"}]}
    assert email_of(work_only, auto) == "ada@work.example"
    with pytest.raises(InvalidField) as refused:
        email_of({"userName": "ada"}, auto)
    assert refused.value.field == "userName"
    assert "primary or work e-mail" in refused.value.rule


def test_a_named_e_mail_source_is_the_only_one_read() -> None:
    work = DirectoryMapping(email="emails.work")
    assert email_of({**ADA, "userName": "ada@lovelace.example"}, work) == "ada@work.example"
    with pytest.raises(InvalidField) as refused:
        email_of({"userName": "ada@lovelace.example"}, work)
    assert refused.value.field == "emails.work"


def test_a_mapping_replaces_the_keys_given_and_keeps_the_others() -> None:
    current = DirectoryMapping(metadata={"dept": "enterprise.department"})
    new = directory_mapping(
        {"email": "userName", "given_name": None, "group_roles": {"Admins": "admin"}}, current
    )
    assert new == DirectoryMapping(
        email="userName",
        given_name=None,
        metadata={"dept": "enterprise.department"},
        group_roles={"Admins": "admin"},
    )
    assert new.role_of("ADMINS") == "admin"
    assert new.role_of("Staff") is None


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"colour": "blue"}, "mapping"),
        ({"email": "displayName"}, "mapping.email"),
        ({"given_name": "name.middleName"}, "mapping.given_name"),
        ({"metadata": {"dept": "department"}}, "mapping.metadata.dept"),
        ({"metadata": ["dept"]}, "mapping.metadata"),
        ({"group_roles": {"Admins": "Not A Role"}}, "mapping.group_roles.Admins"),
        ({"group_roles": {"Admins": "admin", "admins": "member"}}, "mapping.group_roles"),
        ({"group_roles": {" ": "admin"}}, "mapping.group_roles"),
        ({"group_roles": "Admins=admin"}, "mapping.group_roles"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_field(given: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as refused:
        directory_mapping(given, DirectoryMapping())
    assert refused.value.field == field


def test_providers_are_spelt_as_the_hosted_api_spells_them() -> None:
    assert directory_provider("okta") is DirectoryProvider.OKTA
    assert directory_provider("AZURE_AD") is DirectoryProvider.MICROSOFT_ENTRA_ID
    with pytest.raises(InvalidField) as refused:
        directory_provider("LDAP")
    assert refused.value.field == "provider"
