"""A directory provisions its users and groups into ``tenantry serve`` over SCIM 2.0, as an
identity provider does, on SQLite and on PostgreSQL: the life cycle of users and groups, the
PATCH bodies Okta and Microsoft Entra ID send, ETags, the seat limit and Bulk."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from scim2_models import NotFoundException, SearchRequest, UniquenessException

from tenantry.errors import MembershipNotFound
from tests.e2e.http_support import Server, served_database, server  # noqa: F401 - fixtures
from tests.e2e.scim_support import (
    ENTERPRISE,
    GROUP,
    PATCH_OP,
    USER,
    Directory,
    directory,  # noqa: F401 - fixture
    new_directory,
    scim_error,
    user_body,
)


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def membership_status(d: Directory, email: str) -> str | None:
    app = d.app()
    try:
        return app.get_membership(d.organization_id, email).status
    except MembershipNotFound:
        return None
    finally:
        app.close()


def test_users_and_groups_live_their_whole_life_over_scim(directory: Directory) -> None:  # noqa: F811
    scim = directory.scim()
    user_model = scim.get_resource_model("User")
    group_model = scim.get_resource_model("Group")
    assert user_model is not None
    assert group_model is not None
    ada = scim.create(
        user_model.model_validate(
            {
                **user_body("ada.lovelace@acme.example", externalId="00u1"),
                "schemas": [USER, ENTERPRISE],
                ENTERPRISE: {"department": "Engines", "employeeNumber": "1815"},
            }
        )
    )
    assert ada.id is not None
    assert ada.id.startswith("dus_")
    assert ada.meta is not None
    assert ada.meta.version is not None
    assert ada.meta.version.startswith('W/"')
    assert membership_status(directory, "ada.lovelace@acme.example") == "ACTIVE"
    read = scim.query(user_model, ada.id)
    assert read.user_name == "ada.lovelace@acme.example"
    assert read[ENTERPRISE].department == "Engines"

    read.display_name = "Ada King"
    replaced = scim.replace(read)
    assert replaced.display_name == "Ada King"
    assert replaced.meta.version != read.meta.version

    bob = scim.create(user_model.model_validate(user_body("bob.babbage@acme.example")))
    group = scim.create(
        group_model.model_validate(
            {"schemas": [GROUP], "displayName": "Engineers", "members": [{"value": ada.id}]}
        )
    )
    assert [m.value for m in group.members] == [ada.id]
    assert group.members[0].ref.endswith(f"/scim/v2/{directory.directory_id}/Users/{ada.id}")

    with directory.http() as http:
        added = http.patch(
            f"/Groups/{group.id}",
            json=patch({"op": "add", "path": "members", "value": [{"value": bob.id}]}),
        )
        assert added.status_code == 200, added.text
        assert {m["value"] for m in added.json()["members"]} == {ada.id, bob.id}
        gone = http.patch(
            f"/Groups/{group.id}",
            json=patch({"op": "remove", "path": f'members[value eq "{ada.id}"]'}),
        )
        assert [m["value"] for m in gone.json()["members"]] == [bob.id]

        # deactivation keeps the member, inactive (Okta never deletes users)
        off = http.patch(
            f"/Users/{ada.id}", json=patch({"op": "replace", "value": {"active": False}})
        )
        assert off.status_code == 200
        assert off.json()["active"] is False
        assert membership_status(directory, "ada.lovelace@acme.example") == "INACTIVE"
        on = http.patch(
            f"/Users/{ada.id}", json=patch({"op": "replace", "value": {"active": True}})
        )
        assert on.json()["active"] is True
        assert membership_status(directory, "ada.lovelace@acme.example") == "ACTIVE"

        assert http.delete(f"/Groups/{group.id}").status_code == 204
        scim_error(http.get(f"/Groups/{group.id}"), 404)
        assert http.delete(f"/Users/{ada.id}").status_code == 204
        scim_error(http.get(f"/Users/{ada.id}"), 404)
    with pytest.raises(NotFoundException):
        scim.query(user_model, ada.id)
    assert membership_status(directory, "ada.lovelace@acme.example") is None
    assert membership_status(directory, "bob.babbage@acme.example") == "ACTIVE"
    left = scim.query(user_model, query_parameters=SearchRequest(filter='userName sw "ada"'))
    assert left.total_results == 0


def member_roles(d: Directory, email: str) -> list[str]:
    app = d.app()
    try:
        return app.get_membership(d.organization_id, email).roles
    finally:
        app.close()


def test_a_mapped_group_gives_its_members_a_role_while_they_are_in_it(
    directory: Directory,  # noqa: F811
) -> None:
    app = directory.app()
    try:
        app.update_directory(
            directory.organization_id,
            directory.directory_id,
            mapping={"group_roles": {"engineers": "admin"}},
        )
    finally:
        app.close()
    with directory.http() as http:
        ada = http.post("/Users", json=user_body("ada.lovelace@acme.example")).json()["id"]
        assert member_roles(directory, "ada.lovelace@acme.example") == ["member"]
        group = http.post("/Groups", json={"schemas": [GROUP], "displayName": "Engineers"})
        group_id = group.json()["id"]
        joined = patch({"op": "add", "path": "members", "value": [{"value": ada}]})
        assert http.patch(f"/Groups/{group_id}", json=joined).status_code == 200
        assert member_roles(directory, "ada.lovelace@acme.example") == ["admin"]
        left = patch({"op": "remove", "path": f'members[value eq "{ada}"]'})
        assert http.patch(f"/Groups/{group_id}", json=left).status_code == 200
        assert member_roles(directory, "ada.lovelace@acme.example") == ["member"]


def test_okta_looks_users_up_deactivates_and_pushes_groups(directory: Directory) -> None:  # noqa: F811
    # Request shapes from Okta's SCIM 2.0 reference:
    # https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20
    with directory.http() as http:
        lookup = http.get(
            "/Users",
            params={
                "filter": 'userName eq "isabella.wang@acme.example"',
                "startIndex": 1,
                "count": 100,
            },
        )
        assert lookup.status_code == 200
        assert lookup.json()["totalResults"] == 0
        assert lookup.headers["content-type"].startswith("application/scim+json")
        created = http.post(
            "/Users", json=user_body("isabella.wang@acme.example", externalId="00u")
        )
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        found = http.get(
            "/Users",
            params={
                "filter": 'userName eq "Isabella.Wang@acme.example"',
                "startIndex": 1,
                "count": 100,
            },
        ).json()
        assert [r["id"] for r in found["Resources"]] == [user_id]  # userName ignores case
        assert isinstance(found["totalResults"], int)
        assert isinstance(found["startIndex"], int)

        profile = patch(
            {"op": "replace", "value": {"name": {"givenName": "Bella", "familyName": "Wang"}}}
        )
        renamed = http.patch(f"/Users/{user_id}", json=profile)
        assert renamed.status_code == 200
        assert renamed.json()["name"]["givenName"] == "Bella"
        deactivated = http.patch(
            f"/Users/{user_id}", json=patch({"op": "replace", "value": {"active": False}})
        )
        assert deactivated.status_code == 200
        assert deactivated.json()["active"] is False

        group = http.post("/Groups", json={"schemas": [GROUP], "displayName": "Test SCIMv2"})
        group_id = group.json()["id"]
        members = [{"value": user_id, "display": "isabella.wang@acme.example"}]
        pushed = http.patch(
            f"/Groups/{group_id}", json=patch({"op": "add", "path": "members", "value": members})
        )
        assert [m["value"] for m in pushed.json()["members"]] == [user_id]
        renamed_group = http.patch(
            f"/Groups/{group_id}",
            json=patch({"op": "replace", "value": {"id": group_id, "displayName": "Renamed"}}),
        )
        assert renamed_group.status_code == 200, renamed_group.text
        assert renamed_group.json()["displayName"] == "Renamed"
        removed = http.patch(
            f"/Groups/{group_id}",
            json=patch({"op": "remove", "path": f'members[value eq "{user_id}"]'}),
        )
        assert removed.json().get("members", []) == []


def test_entra_id_patches_with_its_own_quirks(directory: Directory) -> None:  # noqa: F811
    # Request shapes from Microsoft's "Tutorial: Develop and plan provisioning for a SCIM
    # endpoint" (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
    # and "Known issues and resolutions with SCIM 2.0 protocol compliance"
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility).
    with directory.http() as http:
        entra_user = {
            "schemas": [USER, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee@testuser.example",
            "active": True,
            "emails": [
                {"primary": True, "type": "work", "value": "Test_User_fd0e@testuser.example"}
            ],
            "meta": {"resourceType": "User"},
            "name": {
                "formatted": "givenName familyName",
                "familyName": "familyName",
                "givenName": "givenName",
            },
            "roles": [],
        }
        created = http.post("/Users", json=entra_user)
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        multi = patch(
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updatedEmail@testuser.example",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        )
        updated = http.patch(f"/Users/{user_id}", json=multi).json()
        assert updated["emails"][0]["value"] == "updatedEmail@testuser.example"
        assert updated["name"]["familyName"] == "updatedFamilyName"
        dotted = patch({"op": "Add", "value": {"name.givenName": "John", "name.familyName": "Doe"}})
        assert http.patch(f"/Users/{user_id}", json=dotted).json()["name"]["givenName"] == "John"
        manager = patch({"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "boss-7"})
        with_manager = http.patch(f"/Users/{user_id}", json=manager)
        assert with_manager.json()[ENTERPRISE]["manager"]["value"] == "boss-7"
        disabled = http.patch(
            f"/Users/{user_id}", json=patch({"op": "Replace", "path": "active", "value": "False"})
        )
        assert disabled.status_code == 200
        assert disabled.json()["active"] is False
        assert membership_status(directory, "Test_User_ab6490ee@testuser.example") == "INACTIVE"

        entra_group = {
            "schemas": [
                GROUP,
                "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
            ],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": {"resourceType": "Group"},
        }
        group = http.post("/Groups", json=entra_group)
        assert group.status_code == 201, group.text
        group_id = group.json()["id"]
        add = patch({"op": "Add", "path": "members", "value": [{"$ref": None, "value": user_id}]})
        assert http.patch(f"/Groups/{group_id}", json=add).status_code == 200
        light = http.get(f"/Groups/{group_id}", params={"excludedAttributes": "members"}).json()
        assert "members" not in light
        assert light["displayName"] == "displayName"
        remove = patch(
            {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": user_id}]}
        )
        assert http.patch(f"/Groups/{group_id}", json=remove).json().get("members", []) == []
        rename = patch({"op": "Replace", "path": "displayName", "value": "updatedDisplayName"})
        assert (
            http.patch(f"/Groups/{group_id}", json=rename).json()["displayName"]
            == "updatedDisplayName"
        )


def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(directory: Directory) -> None:  # noqa: F811
    with directory.http() as http:
        created = http.post("/Users", json=user_body("ada.lovelace@acme.example"))
        user_id, first = created.json()["id"], created.headers["ETag"]
        assert first == created.json()["meta"]["version"]
        assert first.startswith('W/"')
        renamed = http.patch(
            f"/Users/{user_id}",
            json=patch({"op": "replace", "path": "displayName", "value": "Ada"}),
            headers={"If-Match": first},
        )
        assert renamed.status_code == 200
        second = renamed.headers["ETag"]
        assert second != first
        stale = http.patch(
            f"/Users/{user_id}",
            json=patch({"op": "replace", "path": "displayName", "value": "Stale"}),
            headers={"If-Match": first},
        )
        scim_error(stale, 412)
        stale_put = http.put(
            f"/Users/{user_id}",
            json=user_body("ada.lovelace@acme.example"),
            headers={"If-Match": first},
        )
        scim_error(stale_put, 412)
        scim_error(http.delete(f"/Users/{user_id}", headers={"If-Match": first}), 412)
        current = http.get(f"/Users/{user_id}")
        assert current.json()["displayName"] == "Ada"
        assert current.headers["ETag"] == second
        assert http.get(f"/Users/{user_id}", headers={"If-None-Match": second}).status_code == 304
        assert http.delete(f"/Users/{user_id}", headers={"If-Match": second}).status_code == 204


def test_refusals_are_scim_errors(directory: Directory) -> None:  # noqa: F811
    scim = directory.scim()
    user_model = scim.get_resource_model("User")
    assert user_model is not None
    scim.create(user_model.model_validate(user_body("ada.lovelace@acme.example")))
    with pytest.raises(UniquenessException):
        scim.create(user_model.model_validate(user_body("ADA.lovelace@acme.example")))
    with directory.http() as http:
        dup = http.post("/Users", json=user_body("ada.lovelace@acme.example"))
        assert "userName" in scim_error(dup, 409, "uniqueness")
        scim_error(
            http.get("/Users", params={"filter": 'userName eq "x" and'}), 400, "invalidFilter"
        )
        scim_error(http.get("/Users", params={"filter": "nosuch eq 1"}), 400, "invalidFilter")
        ada = http.get("/Users", params={"filter": 'userName eq "ada.lovelace@acme.example"'})
        ada_id = ada.json()["Resources"][0]["id"]
        bad_path = patch({"op": "replace", "path": "emails[type eq", "value": "x"})
        scim_error(http.patch(f"/Users/{ada_id}", json=bad_path), 400, "invalidPath")
        maybe = patch({"op": "replace", "path": "active", "value": "maybe"})
        scim_error(http.patch(f"/Users/{ada_id}", json=maybe), 400, "invalidValue")
        scim_error(
            http.patch(
                f"/Users/{ada_id}", json=patch({"op": "replace", "path": "id", "value": "x"})
            ),
            400,
            "mutability",
        )
        no_email = {"schemas": [USER], "userName": "ada-without-mail"}
        detail = scim_error(http.post("/Users", json=no_email), 400, "invalidValue")
        assert "userName" in detail
        assert "e-mail" in detail
        unknown = "dus_" + "0" * 26
        scim_error(http.get(f"/Users/{unknown}"), 404)
        scim_error(http.get("/Nothing"), 404)
        members = {"schemas": [GROUP], "displayName": "G", "members": [{"value": unknown}]}
        assert unknown in scim_error(http.post("/Groups", json=members), 400, "invalidValue")
    for token in ("wrong-token", directory.token + "x"):
        with directory.http(token) as intruder:
            refused = intruder.get("/Users")
            scim_error(refused, 401)
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    other = new_directory(directory.server)
    with directory.http(other.token) as wrong_directory:
        scim_error(wrong_directory.get("/Users"), 401)
    app = directory.app()
    try:
        app.disable_directory(directory.organization_id, directory.directory_id)
    finally:
        app.close()
    with directory.http() as http:
        scim_error(http.get("/Users"), 403)


def test_the_seat_limit_refuses_a_user_records_nothing_and_a_deactivation_frees_a_seat(
    server: Server,  # noqa: F811
) -> None:
    d = new_directory(server, max_allowed_users=2)
    with d.http() as http:
        ids = [
            http.post("/Users", json=user_body(f"u{n}.x@acme.example")).json()["id"] for n in (1, 2)
        ]
        refused = http.post("/Users", json=user_body("u3.x@acme.example"))
        assert "seat limit" in scim_error(refused, 409)
        assert "max_allowed_users 2" in refused.json()["detail"]
        none = http.get("/Users", params={"filter": 'userName eq "u3.x@acme.example"'}).json()
        assert none["totalResults"] == 0
        assert http.get("/Users").json()["totalResults"] == 2
        assert membership_status(d, "u3.x@acme.example") is None
        off = http.patch(
            f"/Users/{ids[0]}", json=patch({"op": "replace", "value": {"active": False}})
        )
        assert off.status_code == 200
        third = http.post("/Users", json=user_body("u3.x@acme.example"))
        assert third.status_code == 201, third.text
        back = http.patch(
            f"/Users/{ids[0]}", json=patch({"op": "replace", "value": {"active": True}})
        )
        assert "seat limit" in scim_error(back, 409)
        assert http.get(f"/Users/{ids[0]}").json()["active"] is False
    app = d.app()
    try:
        usage = app.get_seat_usage(d.organization_id)
    finally:
        app.close()
    assert (usage.active_members, usage.max_allowed_users) == (2, 2)


def test_concurrent_creates_against_a_seat_limit_admit_exactly_the_limit(
    server: Server,  # noqa: F811
) -> None:
    d = new_directory(server, max_allowed_users=5)

    def create(n: int) -> int:
        with d.http() as http:
            return http.post("/Users", json=user_body(f"c{n}.x@acme.example")).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(create, range(24)))
    assert sorted(statuses) == [201] * 5 + [409] * 19
    with d.http() as http:
        assert http.get("/Users").json()["totalResults"] == 5
    app = d.app()
    try:
        assert app.get_seat_usage(d.organization_id).active_members == 5
    finally:
        app.close()


def test_a_bulk_request_stops_at_its_error_limit(directory: Directory) -> None:  # noqa: F811
    def post(bulk_id: str, data: dict[str, Any]) -> dict[str, Any]:
        path = "/Groups" if data["schemas"] == [GROUP] else "/Users"
        return {"method": "POST", "path": path, "bulkId": bulk_id, "data": data}

    bulk = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "failOnErrors": 1,
        "Operations": [
            post("ada", user_body("ada.lovelace@acme.example")),
            post(
                "group",
                {"schemas": [GROUP], "displayName": "Team", "members": [{"value": "bulkId:ada"}]},
            ),
            post("again", user_body("ada.lovelace@acme.example")),
            post("never", user_body("never.run@acme.example")),
        ],
    }
    with directory.http() as http:
        answered = http.post("/Bulk", json=bulk)
        assert answered.status_code == 200, answered.text
        outcomes = answered.json()["Operations"]
        assert [o["status"] for o in outcomes] == ["201", "201", "409"]
        group = http.get(outcomes[1]["location"].split(directory.directory_id, 1)[1]).json()
        ada_id = outcomes[0]["location"].rsplit("/", 1)[1]
        assert [m["value"] for m in group["members"]] == [ada_id]
        assert (
            http.get("/Users", params={"filter": 'userName eq "never.run@acme.example"'}).json()[
                "totalResults"
            ]
            == 0
        )
        config = http.get("/ServiceProviderConfig").json()
        assert config["bulk"]["supported"] is True
        assert config["bulk"]["maxOperations"] > 0


def test_the_endpoint_answers_discovery(directory: Directory) -> None:  # noqa: F811
    with directory.http() as http:
        config = http.get("/ServiceProviderConfig").json()
        assert config["patch"]["supported"]
        assert config["filter"]["supported"]
        assert config["changePassword"]["supported"] is False
        types = http.get("/ResourceTypes").json()["Resources"]
        assert {t["name"]: t["endpoint"] for t in types} == {"User": "/Users", "Group": "/Groups"}
        schemas = {s["id"] for s in http.get("/Schemas").json()["Resources"]}
        assert {USER, GROUP, ENTERPRISE} <= schemas
