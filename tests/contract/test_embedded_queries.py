"""`tenantry.connect` answers the hosted list and search verbs itself, reading its own writes."""

from __future__ import annotations

import pytest

import tenantry
from tenantry.adapters.database import Database
from tenantry.application.app import Tenantry
from tenantry.errors import InvalidField


def test_list_and_search_read_the_applications_own_writes(database_url: str) -> None:
    t = tenantry.connect(database_url)
    try:
        acme = t.create_organization("Acme Corp", external_id="acme-1")
        t.create_organization("Globex")
        t.invite_member(acme.id, "ada@acme.example")

        assert [o.display_name for o in t.list_organizations().organizations] == [
            "Acme Corp",
            "Globex",
        ]
        assert [o.id for o in t.list_organizations(external_id="acme-1").organizations] == [acme.id]
        assert [o.id for o in t.search_organizations("acme").organizations] == [acme.id]
        members = t.list_members(acme.id).members
        assert [m.email for m in members] == ["ada@acme.example"]

        t.delete_organization(acme.id)
        assert t.list_organizations().total_size == 1
    finally:
        t.close()


def test_a_search_query_too_short_is_refused_naming_the_field() -> None:
    t = tenantry.connect("memory://")
    try:
        with pytest.raises(InvalidField) as refused:
            t.search_organizations("ac")
        assert refused.value.field == "query"
    finally:
        t.close()


def test_connect_and_the_plain_application_share_one_event_store(database_url: str) -> None:
    """What `tenantry.connect` writes, the application `tenantry serve` runs reads, and back:
    on PostgreSQL a subclass named otherwise would get tables of its own."""
    if database_url.startswith("memory"):
        pytest.skip("separate in-memory applications do not share a store")
    embedded = tenantry.connect(database_url)
    plain = Database.parse(database_url).connect()
    try:
        assert type(plain) is Tenantry
        written = embedded.create_organization("Acme")
        assert plain.get_organization(written.id).display_name == "Acme"
        back = plain.create_organization("Globex")
        assert embedded.get_organization(back.id).display_name == "Globex"
    finally:
        embedded.close()
        plain.close()
