"""No input reaches a 500 on the SCIM endpoint of ``tenantry serve``, every refusal is a SCIM error
body, and the directory's token never reaches the server's log."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.http_support import Server, serve, served_database, server  # noqa: F401
from tests.e2e.scim_support import (
    ERROR,
    PATCH_OP,
    SCIM_JSON,
    Directory,
    directory,  # noqa: F401 - fixture
    new_directory,
    user_body,
)

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
BAD_QUERIES = [
    {"filter": ""},
    {"filter": "("},
    {"filter": 'userName eq "unterminated'},
    {"filter": "userName zz 1"},
    {"filter": "emails[type eq ]"},
    {"filter": "not"},
    {"filter": "(" * 400 + 'userName eq "a"' + ")" * 400},
    {"filter": 'userName eq "a" and ' * 500 + 'userName eq "b"'},
    {"filter": "\x00\x01"},
    {"filter": 'meta.created gt "yesterday"'},
    {"startIndex": "-5"},
    {"startIndex": "0"},
    {"startIndex": "1e9"},
    {"startIndex": "99999999999999999999999"},
    {"count": "-1"},
    {"count": "x"},
    {"count": "99999999999999999999999"},
    {"sortBy": "nosuch"},
    {"sortBy": "emails[type eq"},
    {"sortOrder": "sideways"},
    {"attributes": "[[["},
    {"excludedAttributes": "urn:nope:x"},
    {"cursor": "abc"},
]

BAD_BODIES: list[tuple[str, str, bytes, str]] = [
    ("POST", "/Users", b"{", SCIM_JSON),
    ("POST", "/Users", b"[]", SCIM_JSON),
    ("POST", "/Users", b"null", SCIM_JSON),
    ("POST", "/Users", b'{"schemas": 1}', SCIM_JSON),
    ("POST", "/Users", b'{"userName": ["a"]}', SCIM_JSON),
    ("POST", "/Users", json.dumps(user_body("ok.user@acme.example")).encode(), "text/plain"),
    ("POST", "/Users", b"\xff\xfe\x00", SCIM_JSON),
    ("POST", "/Users", b"[" * 100_000, SCIM_JSON),
    ("POST", "/Users", b'{"userName": "' + b"a" * 900_000 + b'@x.example"}', SCIM_JSON),
    ("POST", "/Users", b"x" * (2 * 1024 * 1024), SCIM_JSON),
    ("POST", "/Groups", b'{"displayName": "g", "members": "all"}', SCIM_JSON),
    ("POST", "/Groups", b'{"displayName": {"a": 1}}', SCIM_JSON),
    ("PATCH", "/Users/dus_x", b'{"Operations": []}', SCIM_JSON),
    ("PATCH", "/Users/dus_x", b"{}", SCIM_JSON),
    ("PUT", "/Users/dus_x", b"{}", SCIM_JSON),
    (
        "POST",
        "/Bulk",
        b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}',
        SCIM_JSON,
    ),
    ("POST", "/Users/.search", b'{"filter": "("}', SCIM_JSON),
    ("POST", "/.search", b"{}", SCIM_JSON),
    ("DELETE", "/Users", b"", SCIM_JSON),
    ("GET", "/Users/a/b/c", b"", SCIM_JSON),
    ("GET", "/Me", b"", SCIM_JSON),
    ("OPTIONS", "/Users", b"", SCIM_JSON),
]


def assert_scim_error(response: httpx.Response) -> None:
    """A SCIM error of the client's request, or 501 for what SCIM lets a server leave out
    (cursor paging, a search at the root, /Me)."""
    status = response.status_code
    assert 400 <= status < 500 or status == 501, (status, response.text[:300])
    assert response.headers["content-type"].startswith(SCIM_JSON), response.headers
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(response.status_code)


def test_malformed_requests_are_scim_errors_never_500(directory: Directory) -> None:  # noqa: F811
    with directory.http() as http:
        user_id = http.post("/Users", json=user_body("ada.lovelace@acme.example")).json()["id"]
        for query in BAD_QUERIES:
            answered = http.get("/Users", params=query)
            if answered.status_code == 200:  # e.g. a negative count means 0 (RFC 7644 §3.4.2.4)
                assert answered.json()["schemas"] == [LIST_RESPONSE], query
            else:
                assert_scim_error(answered)
        for method, path, body, content_type in BAD_BODIES:
            answered = http.request(
                method, path, content=body, headers={"Content-Type": content_type}
            )
            assert_scim_error(answered)
        bad_ops = [
            {"op": "move", "path": "userName", "value": "x"},
            {"op": "replace", "path": "userName", "value": None},
            {"op": "replace", "path": "userName", "value": 12},
            {"op": "add", "path": "emails", "value": "not-a-list"},
            {"op": "remove"},
            {"op": "replace", "path": "meta.created", "value": "now"},
            {"op": "replace", "path": 'emails[value co "x" or].value', "value": "x"},
            {"op": "replace", "value": {"userName": {"nested": True}}},
            {"op": "replace", "value": "a string"},
        ]
        for op in bad_ops:
            answered = http.patch(
                f"/Users/{user_id}", json={"schemas": [PATCH_OP], "Operations": [op]}
            )
            assert_scim_error(answered)
        assert http.get(f"/Users/{user_id}").json()["userName"] == "ada.lovelace@acme.example"
        # a bulk job runs, and answers each bad operation with its own error (RFC 7644 §3.7.3)
        bad_bulk = {"Operations": [{"method": "GET", "path": "/Users"}, {"method": "POST"}]}
        answered = http.post("/Bulk", json=bad_bulk)
        assert answered.status_code == 200
        assert [o["status"] for o in answered.json()["Operations"]] == ["400", "400"]
    too_long = f"/scim/v2/dir_{'x' * 300}/Users"
    assert_scim_error(httpx.get(f"{directory.server.base_url}{too_long}"))
    assert_scim_error(httpx.get(f"{directory.server.base_url}/scim/v2/dir_nope/Users"))


@pytest.mark.parametrize("served_database", ["sqlite"], indirect=True)
def test_the_directory_token_never_reaches_the_server_log(
    served_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    log = tmp_path / "verbose.log"
    with serve(served_database, log=log, log_level="debug") as running:
        d = new_directory(running)
        wrong = d.token[::-1]
        with d.http() as http:
            http.post("/Users", json=user_body("ada.lovelace@acme.example"))
            http.get("/Users", params={"filter": "("})
            http.post("/Users", content=b"{", headers={"Content-Type": SCIM_JSON})
        with d.http(wrong) as intruder:
            intruder.get("/Users")
        # a token sent where a careless client might put it: the query string
        httpx.get(f"{d.base_url}/Users", params={"access_token": d.token})
    text = log.read_text()
    assert d.token not in text
    assert wrong not in text
