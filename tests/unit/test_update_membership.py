"""``update_membership``: roles and metadata changed together, in one save."""

from __future__ import annotations

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField, MembershipNotFound, NothingChanged
from tests.unit.helpers import last_notification_id, records_nothing, stored, topics


def member(app: Tenantry) -> tuple[str, str]:
    org = app.create_organization("Acme").id
    m = app.add_member(org, "ann@acme.example", roles=["member"], metadata={"team": "ops"})
    return org, m.user_id


def test_roles_and_metadata_change_in_one_save_with_one_event_each(app: Tenantry) -> None:
    org, user = member(app)
    before = last_notification_id(app)
    m = app.update_membership(
        org, user, roles=["admin"], metadata={"team": "dev"}, actor="alice", reason="promoted"
    )
    assert (m.roles, m.metadata) == (["admin"], {"team": "dev"})
    assert topics(app, before) == [
        "Organization.MemberRolesChanged",
        "Organization.MemberMetadataChanged",
        "Membership.RolesChanged",
        "Membership.MetadataChanged",
    ]
    assert app.last_position == last_notification_id(app)
    again = app.get_membership(org, user)
    assert (again.roles, again.metadata) == (["admin"], {"team": "dev"})
    for _, _, state in stored(app, before):
        assert (state["actor"], state["reason"]) == ("alice", "promoted")


def test_a_field_that_already_has_its_value_records_no_event(app: Tenantry) -> None:
    org, user = member(app)
    before = last_notification_id(app)
    m = app.update_membership(org, user, roles=["member"], metadata={"team": "dev"})
    assert m.metadata == {"team": "dev"}
    assert topics(app, before) == [
        "Organization.MemberMetadataChanged",
        "Membership.MetadataChanged",
    ]


def test_only_the_given_field_changes(app: Tenantry) -> None:
    org, user = member(app)
    m = app.update_membership(org, user, roles=["admin", "member"])
    assert (m.roles, m.metadata) == (["admin", "member"], {"team": "ops"})


@pytest.mark.parametrize(
    "fields",
    [{}, {"roles": ["member"]}, {"roles": ["member"], "metadata": {"team": "ops"}}],
    ids=["no fields", "same roles", "same everything"],
)
def test_nothing_changed_is_refused_and_records_nothing(
    app: Tenantry, fields: dict[str, object]
) -> None:
    org, user = member(app)
    with records_nothing(app), pytest.raises(NothingChanged) as e:
        app.update_membership(org, user, **fields)  # type: ignore[arg-type]
    assert e.value.code == "nothing_changed"
    assert e.value.what == "membership"


def test_an_invalid_field_refuses_the_whole_change(app: Tenantry) -> None:
    org, user = member(app)
    with records_nothing(app), pytest.raises(InvalidField) as e:
        app.update_membership(org, user, roles=["admin"], metadata={"x": "too short a key"})
    assert e.value.field.startswith("membership.metadata")
    assert app.get_membership(org, user).roles == ["member"]


def test_a_removed_member_is_not_found(app: Tenantry) -> None:
    org, user = member(app)
    app.remove_member(org, user)
    with records_nothing(app), pytest.raises(MembershipNotFound) as e:
        app.update_membership(org, user, roles=["admin"])
    assert e.value.code == "membership_not_found"
