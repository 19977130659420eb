"""Searching a directory's users over SCIM on ``tenantry serve`` (SQLite and PostgreSQL): every
filter operator, ``startIndex``/``count`` paging over 1,000 users, ``attributes`` /
``excludedAttributes`` and ``sortBy``, read with scim2-client as an IdP reads them."""

from __future__ import annotations

from typing import Any

import httpx
from scim2_models import SearchRequest

from tests.e2e.http_support import Server, served_database, server  # noqa: F401 - fixtures
from tests.e2e.scim_support import (
    ENTERPRISE,
    USER,
    Directory,
    directory,  # noqa: F401 - fixture
    scim_error,
    user_body,
)

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"

PEOPLE: list[dict[str, Any]] = [
    {"userName": "ada.lovelace@acme.example", "title": "Engineer", "dept": "R&D", "n": "100",
     "emails": [("work", "ada.lovelace@acme.example"), ("home", "ada@home.example")]},
    {"userName": "bob.babbage@acme.example", "title": "Engineer", "dept": "R&D", "n": "250",
     "emails": [("work", "bob.babbage@acme.example")]},
    {"userName": "cy.hopper@acme.example", "title": None, "dept": "Sales", "n": "300",
     "emails": [("home", "cy@home.example")]},
    {"userName": "dee.turing@other.example", "title": "Manager", "dept": "Sales", "n": "050",
     "emails": [("work", "dee.turing@other.example")]},
]  # fmt: skip


def person(p: dict[str, Any]) -> dict[str, Any]:
    body = user_body(p["userName"])
    body["schemas"] = [USER, ENTERPRISE]
    body["emails"] = [
        {"type": t, "value": v, "primary": i == 0} for i, (t, v) in enumerate(p["emails"])
    ]
    body[ENTERPRISE] = {"department": p["dept"], "employeeNumber": p["n"]}
    if p["title"] is not None:
        body["title"] = p["title"]
    return body


def user_names(http: httpx.Client, filter_: str) -> set[str]:
    answered = http.get("/Users", params={"filter": filter_, "count": 1000})
    assert answered.status_code == 200, (filter_, answered.text)
    body = answered.json()
    assert body["totalResults"] == len(body.get("Resources", []))
    return {r["userName"] for r in body.get("Resources", [])}


def names(predicate: Any) -> set[str]:
    return {p["userName"] for p in PEOPLE if predicate(p)}


def test_every_filter_operator_selects_what_it_says(directory: Directory) -> None:  # noqa: F811
    with directory.http() as http:
        for p in PEOPLE:
            assert http.post("/Users", json=person(p)).status_code == 201
        work = {p["userName"]: {v for t, v in p["emails"] if t == "work"} for p in PEOPLE}
        cases = {
            'userName eq "BOB.BABBAGE@acme.example"': names(
                lambda p: p["userName"].startswith("bob")
            ),
            'userName ne "bob.babbage@acme.example"': names(
                lambda p: not p["userName"].startswith("bob")
            ),
            'userName co "ho"': names(lambda p: "ho" in p["userName"]),
            'userName sw "d"': names(lambda p: p["userName"].startswith("d")),
            'userName ew "other.example"': names(lambda p: p["userName"].endswith("other.example")),
            "title pr": names(lambda p: p["title"] is not None),
            f'{ENTERPRISE}:employeeNumber gt "100"': names(lambda p: p["n"] > "100"),
            f'{ENTERPRISE}:employeeNumber ge "100"': names(lambda p: p["n"] >= "100"),
            f'{ENTERPRISE}:employeeNumber lt "100"': names(lambda p: p["n"] < "100"),
            f'{ENTERPRISE}:employeeNumber le "100"': names(lambda p: p["n"] <= "100"),
            'title eq "Engineer" and userName sw "a"': names(
                lambda p: p["title"] == "Engineer" and p["userName"].startswith("a")
            ),
            'title eq "Manager" or userName sw "c"': names(
                lambda p: p["title"] == "Manager" or p["userName"].startswith("c")
            ),
            'not (title eq "Engineer")': names(lambda p: p["title"] != "Engineer"),
            'emails[type eq "work"]': names(lambda p: bool(work[p["userName"]])),
            'emails[type eq "work" and value ew "acme.example"]': names(
                lambda p: any(v.endswith("acme.example") for v in work[p["userName"]])
            ),
            'externalId eq "none"': set(),
            'meta.created gt "2000-01-01T00:00:00Z"': names(lambda p: True),
        }
        for filter_, expected in cases.items():
            assert user_names(http, filter_) == expected, filter_
        first = http.get("/Users", params={"filter": 'title eq "Engineer"', "count": 1}).json()
        assert first["totalResults"] == 2
        assert first["itemsPerPage"] == 1
        ordered = http.get("/Users", params={"sortBy": "userName", "sortOrder": "descending"})
        listed = [r["userName"] for r in ordered.json()["Resources"]]
        assert listed == sorted((p["userName"] for p in PEOPLE), reverse=True)
        by_number = http.get("/Users", params={"sortBy": f"{ENTERPRISE}:employeeNumber"}).json()
        numbers = [r[ENTERPRISE]["employeeNumber"] for r in by_number["Resources"]]
        assert numbers == sorted(p["n"] for p in PEOPLE)


def test_attributes_and_excluded_attributes_shape_each_resource(directory: Directory) -> None:  # noqa: F811
    with directory.http() as http:
        for p in PEOPLE[:2]:
            http.post("/Users", json=person(p))
        only = http.get("/Users", params={"attributes": "userName,emails.value"}).json()
        for resource in only["Resources"]:
            assert set(resource) == {"schemas", "id", "userName", "emails"}
            assert all(set(e) == {"value"} for e in resource["emails"])
        without = http.get("/Users", params={"excludedAttributes": f"emails,{ENTERPRISE}"}).json()
        for resource in without["Resources"]:
            assert "emails" not in resource
            assert ENTERPRISE not in resource
            assert resource["userName"]
            assert resource["id"]
            assert resource["meta"]
        one = without["Resources"][0]["id"]
        single = http.get(f"/Users/{one}", params={"attributes": "name.givenName"}).json()
        assert set(single) == {"schemas", "id", "name"}
        assert set(single["name"]) == {"givenName"}


def test_paging_with_start_index_and_count_walks_1000_users_once_each(directory: Directory) -> None:  # noqa: F811
    total, per_bulk = 1000, 100
    with directory.http() as http:
        for start in range(0, total, per_bulk):
            operations = [
                {"method": "POST", "path": "/Users", "bulkId": f"u{n}",
                 "data": user_body(f"user{n:04d}.x@acme.example")}
                for n in range(start, start + per_bulk)
            ]  # fmt: skip
            answered = http.post("/Bulk", json={"schemas": [BULK], "Operations": operations})
            assert answered.status_code == 200
            assert {o["status"] for o in answered.json()["Operations"]} == {"201"}
    scim = directory.scim()
    user_model = scim.get_resource_model("User")
    assert user_model is not None
    seen: list[str] = []
    start = 1
    while True:
        page = scim.query(user_model, query_parameters=SearchRequest(start_index=start, count=137))
        assert page.total_results == total
        assert page.start_index == start
        resources = page.resources or []
        assert len(resources) == min(137, total - start + 1)
        seen += [r.user_name for r in resources]
        start += len(resources)
        if start > total:
            break
    assert len(seen) == total
    assert set(seen) == {f"user{n:04d}.x@acme.example" for n in range(total)}
    with directory.http() as http:
        capped = http.get("/Users", params={"count": 5000}).json()
        assert capped["totalResults"] == total
        assert capped["itemsPerPage"] <= 1000
        beyond = http.get("/Users", params={"startIndex": total + 1}).json()
        assert beyond["totalResults"] == total
        assert beyond.get("Resources", []) == []
        zero = http.get("/Users", params={"count": 0}).json()
        assert zero["totalResults"] == total
        assert zero.get("Resources", []) == []
        matched = http.get(
            "/Users", params={"filter": 'userName sw "user09"', "startIndex": 11, "count": 50}
        ).json()
        assert matched["totalResults"] == 100
        assert len(matched["Resources"]) == 50
        assert matched["Resources"][0]["userName"] == "user0910.x@acme.example"
        scim_error(http.get("/Users", params={"startIndex": "first"}), 400, "invalidValue")
