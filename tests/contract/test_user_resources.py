"""Users as resources: update, look up by external id, delete (memberships removed, seats
freed), on every backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tenantry.application import users as users_module
from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.errors import InvalidField, NothingChanged, UserNotFound
from tenantry.domain.user_errors import UserExternalIdTaken
from tests.unit.helpers import records_nothing, topics


@pytest.fixture
def t(make_app: Callable[..., Tenantry], database_url: str) -> Tenantry:
    return make_app(database_url)


def test_a_user_gets_an_external_id_metadata_and_a_profile(t: Tenantry) -> None:
    org = t.create_organization("Acme").id
    ada = t.invite_member(org, "ada@acme.example").user_id
    before = t.last_position or 0

    updated = t.update_user(
        ada,
        external_id="crm-7",
        metadata={"plan": "gold"},
        user_profile={"given_name": "Ada", "locale": "en-GB", "phone_number": "+441234567890"},
        actor="admin@acme.example",
    )

    assert (updated.external_id, updated.metadata) == ("crm-7", {"plan": "gold"})
    assert updated.user_profile.given_name == "Ada"
    assert updated.user_profile.picture is None
    assert t.get_user_by_external_id("crm-7") == updated == t.get_user(ada)
    assert sorted(topics(t, before)) == [
        "User.ExternalIdChanged",
        "User.MetadataChanged",
        "User.ProfileChanged",
        "UserExternalIdClaim.Taken",
    ]
    history = list(t.events.get(ids.decode(ids.USER, ada)))
    assert {e.actor for e in history[1:]} == {"admin@acme.example"}


def test_a_profile_update_changes_only_the_fields_it_names(t: Tenantry) -> None:
    org = t.create_organization("Acme").id
    ada = t.add_member(org, "ada@acme.example").user_id
    t.update_user(ada, user_profile={"given_name": "Ada", "family_name": "Lovelace"})

    shown = t.update_user(ada, user_profile={"family_name": "", "name": "Ada L."})

    profile = shown.user_profile
    assert (profile.given_name, profile.family_name, profile.name) == ("Ada", None, "Ada L.")
    with records_nothing(t), pytest.raises(NothingChanged):
        t.update_user(ada, user_profile={"given_name": "Ada"})


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"locale": "english please"}, "user_profile.locale"),
        ({"phone_number": "0123"}, "user_profile.phone_number"),
        ({"picture": "http://x.example/p.png"}, "user_profile.picture"),
        ({"name": "a\u202eb"}, "user_profile.name"),
        ({"nickname": "ace"}, "user_profile.nickname"),
    ],
)
def test_a_profile_field_that_breaks_its_rule_is_refused(
    t: Tenantry, profile: dict[str, str], field: str
) -> None:
    org = t.create_organization("Acme").id
    ada = t.add_member(org, "ada@acme.example").user_id
    with records_nothing(t), pytest.raises(InvalidField) as refused:
        t.update_user(ada, user_profile=profile)
    assert refused.value.field == field


def test_an_external_id_is_unique_among_live_users_and_freed_by_deletion(t: Tenantry) -> None:
    org = t.create_organization("Acme").id
    ada = t.add_member(org, "ada@acme.example").user_id
    bob = t.add_member(org, "bob@acme.example").user_id
    t.update_user(ada, external_id="crm-1")

    with records_nothing(t), pytest.raises(UserExternalIdTaken):
        t.update_user(bob, external_id="crm-1")

    t.delete_user(ada)
    assert t.update_user(bob, external_id="crm-1").external_id == "crm-1"
    assert t.get_user_by_external_id("crm-1").id == bob


def test_deleting_a_user_removes_every_membership_and_frees_the_seats(
    t: Tenantry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_module, "DELETION_BATCH", 2)  # several batches
    orgs = [t.create_organization(f"Org {n}").id for n in range(5)]
    for n, org in enumerate(orgs):
        t.upsert_user_management_settings(org, 2)
        t.add_member(org, "keeper@x.example")
        if n % 2:
            t.invite_member(org, "ada@x.example")
        else:
            t.add_member(org, "ada@x.example")
    t.update_user("ada@x.example", external_id="ada-1")

    deletion = t.delete_user("ada@x.example", actor="admin@x.example", reason="left")

    assert sorted(deletion.removed_from) == sorted(orgs)
    for org in orgs:
        assert t.get_seat_usage(org).seats_in_use == 1
        t.invite_member(org, "newcomer@x.example")  # the freed seat takes a newcomer
    with pytest.raises(UserNotFound):
        t.get_user("ada@x.example")
    with pytest.raises(UserNotFound):
        t.get_user_by_external_id("ada-1")
    last = list(t.events.get(ids.user_uuid("ada@x.example")))[-1]
    assert (type(last).__name__, last.actor, last.reason) == ("Deleted", "admin@x.example", "left")


def test_a_deleted_user_is_not_deleted_twice_and_comes_back_when_admitted(t: Tenantry) -> None:
    org = t.create_organization("Acme").id
    t.add_member(org, "ada@acme.example")
    t.update_user("ada@acme.example", metadata={"plan": "gold"})
    t.delete_user("ada@acme.example")

    with records_nothing(t), pytest.raises(UserNotFound):
        t.delete_user("ada@acme.example")
    with records_nothing(t), pytest.raises(UserNotFound):
        t.update_user("ada@acme.example", metadata={"plan": "basic"})

    back = t.invite_member(org, "ada@acme.example")
    user = t.get_user(back.user_id)
    assert (user.email, user.metadata, user.external_id) == ("ada@acme.example", {}, None)
    assert t.get_membership(org, back.user_id).status == "PENDING_INVITE"


def test_the_log_and_the_read_model_name_the_same_organizations_of_a_user(t: Tenantry) -> None:
    orgs = [t.create_organization(f"Org {n}").id for n in range(3)]
    for org in orgs:
        t.add_member(org, "ada@x.example")
    t.remove_member(orgs[1], "ada@x.example")
    uid = ids.user_uuid("ada@x.example")

    from_the_log = Tenantry._user_organizations(t, uid)
    from_the_read_model = t._user_organizations(uid)

    assert [ids.encode(ids.ORG, o) for o in from_the_log] == orgs  # a superset will do
    assert [ids.encode(ids.ORG, o) for o in from_the_read_model] == [orgs[0], orgs[2]]
