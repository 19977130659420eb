"""The users projection's pure event→row functions, without any database."""

from __future__ import annotations

from tenantry.application.app import Tenantry
from tenantry.projections import UsersProjection, fold
from tests.unit.test_projections_pure import log


def test_a_registered_user_is_one_row_that_follows_their_changes(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    ada = app.add_member(org, "ada@acme.example").user_id
    app.update_user(ada, external_id="CRM-7", user_profile={"name": "Ada"})

    state = fold(UsersProjection(), log(app))

    row = state["users"][ada]
    assert (row["email"], row["external_id"], row["deleted"]) == (
        "ada@acme.example",
        "CRM-7",
        False,
    )
    assert row["user_profile"]["name"] == "Ada"
    assert row["search"] == f"ada@acme.example\n{ada}\ncrm-7"
    assert row["version"] == app.get_user(ada).version
    assert state["users_count"]["live"]["n"] == 1


def test_a_deleted_user_leaves_the_count_and_comes_back_afresh(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    ada = app.add_member(org, "ada@acme.example").user_id
    app.update_user(ada, metadata={"plan": "gold"})
    app.delete_user(ada)

    gone = fold(UsersProjection(), log(app))
    assert (gone["users"][ada]["deleted"], gone["users"][ada]["search"]) == (True, "")
    assert gone["users_count"]["live"]["n"] == 0

    app.invite_member(org, "ada@acme.example")
    back = fold(UsersProjection(), log(app))
    assert (back["users"][ada]["deleted"], back["users"][ada]["metadata"]) == (False, {})
    assert back["users_count"]["live"]["n"] == 1
