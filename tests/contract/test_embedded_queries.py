"""`tenantry.connect` answers the hosted list and search verbs itself, reading its own writes."""

from __future__ import annotations

import pytest

import tenantry
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
