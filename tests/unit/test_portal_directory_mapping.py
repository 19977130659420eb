"""The group → role form of the portal's directory page, without a server: the rows a form
posted, the mapping they make, and where a refusal is shown."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from tenantry.adapters.web.portal_directory_mapping import group_roles_of, row_errors, rows_of
from tenantry.domain.errors import InvalidField, NothingChanged
from tenantry.domain.role_errors import UndefinedRole


def test_rows_are_read_in_order_and_empty_ones_dropped() -> None:
    form = FormData(
        [
            ("group_0", " Engineering "),
            ("role_0", "admin"),
            ("group_1", ""),
            ("role_1", ""),
            ("group_2", "Finance"),
            ("role_2", "billing"),
            ("group_4", "after a gap"),  # the rows end at the first missing index
            ("role_4", "member"),
        ]
    )
    rows = rows_of(form)
    assert rows == [("Engineering", "admin"), ("Finance", "billing")]
    assert group_roles_of(rows) == {"Engineering": "admin", "Finance": "billing"}


@pytest.mark.parametrize(
    ("rows", "field"),
    [([("Eng", "")], "role_0"), ([("Eng", "admin"), ("", "member")], "group_1")],
)
def test_a_half_filled_row_is_refused_naming_its_empty_field(
    rows: list[tuple[str, str]], field: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        group_roles_of(rows)
    assert refused.value.field == field


def test_a_refusal_goes_next_to_the_row_it_is_about() -> None:
    rows = [("Eng", "admin"), ("Ops", "ghost")]
    assert row_errors(UndefinedRole("mapping.group_roles", "ghost"), rows) == {
        "role_1": "role 'ghost' is not defined"
    }
    named = InvalidField("mapping.group_roles.Ops", "must be a role name")
    assert row_errors(named, rows) == {"role_1": "must be a role name"}
    general = InvalidField("mapping.group_roles", "must map at most 100 groups")
    assert row_errors(general, rows) == {"group_roles": "must map at most 100 groups"}
    unnamed = NothingChanged("directory")  # no field: above the rows
    assert row_errors(unnamed, rows) == {"group_roles": unnamed.message}
