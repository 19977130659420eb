"""Property: any Unicode string (lone surrogates, NUL, C0 and C1 controls, bidi controls,
decomposed accents included), given to any entry point — the Python API, HTTP, an import — is
either refused with ``InvalidField`` (HTTP 400 ``invalid_field``) recording nothing, or stored
under the text rule and then read, listed, searched, exported, imported and replayed as the same
value; never a 500. Runs on SQLite and, when ``TENANTRY_TEST_POSTGRES_URL`` is set, PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tenantry
from tenantry.adapters.http import create_app
from tenantry.adapters.projections import ProjectionStore
from tenantry.application import transfer
from tenantry.application.app import Tenantry
from tenantry.domain import text
from tenantry.domain.errors import InvalidField
from tests.integration.http_support import ORGS, Api, authorized
from tests.support import database

TRICKY = [
    "\x00", "\x07", "\t", "\n", "\x1b", "\x7f", "\x85", "\x9f",  # C0, DEL, C1
    "\ud800", "\udcff", "\udfff",  # lone surrogates (an undecodable argv byte is \udcXX)
    "\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c",  # bidi controls
    "\u200b", "\ufeff", "\u0301", "e\u0301", "\uac00", "\u1100\u1161",  # zero-width, combining
    " ", "%", "_", "\\", "'", '"', "é", "ß", "İ", "\U0001f600", "\U000e0001",
]  # fmt: skip
anything = st.lists(
    st.one_of(st.sampled_from(TRICKY), st.characters(exclude_categories=()), st.just("a")),
    max_size=12,
).map("".join)


@dataclass
class Backend:
    app: Tenantry
    store: ProjectionStore
    api: Api
    target: Tenantry  # a second database, that exports are imported into


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with (
        database(request.param, tmp_path) as url,
        database(request.param, tmp_path / "target") as target_url,
    ):
        (tmp_path / "target").mkdir(exist_ok=True)
        http = create_app(url, follow_projections=False)
        target = tenantry.connect(target_url)
        with TestClient(http) as client:
            yield Backend(
                http.state.tenantry, http.state.projections, authorized(http, client), target
            )
        target.close()


def _head(app: Tenantry) -> int:
    return app.recorder.max_notification_id() or 0


def _expected(value: str) -> str | None:
    """The display name the text rule stores for ``value``, or ``None`` if it refuses it."""
    try:
        return text.name(value, "display_name").strip() or None
    except InvalidField:
        return None


def _check(b: Backend, org_id: str, name: str, note: str | None) -> None:
    """The organization reads, lists, searches, exports and imports as stored."""
    org = b.app.get_organization(org_id)
    assert (org.display_name, org.metadata.get("note")) == (name, note)
    listed = b.api.call("GET", f"{ORGS}/{org_id}")
    assert listed.status_code == 200, listed.text
    assert listed.json()["organization"]["display_name"] == name
    if len(name) >= 3:
        assert org_id in _search(b.api, name)
    records, _ = transfer.export_organization(b.app, org_id)
    lines = [transfer.dump_line(r) for r in records]
    transfer.import_organization(b.target, transfer.parse_lines(lines))
    assert b.target.get_organization(org_id).display_name == name


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=anything, note=anything)
def _property(b: Backend, outcomes: list[int], name: str, note: str) -> None:
    before = _head(b.app)
    body = json.dumps({"display_name": name, "metadata": {"note": note}}).encode()
    r = b.api.call("POST", ORGS, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code in (201, 400), (r.status_code, r.text)
    expected, kept_note = _expected(name), _free(note)
    outcomes.append(r.status_code)
    if r.status_code == 400:
        assert r.json()["code"] == "invalid_field"
        assert _head(b.app) == before
        assert expected is None or kept_note is None or not note
    else:
        assert expected is not None
        assert kept_note is not None
        _check(b, r.json()["organization"]["id"], expected, kept_note)
    before = _head(b.app)
    unique = f"{before}-"  # external ids are unique among live organizations
    try:  # the same values through the Python API
        org = b.app.create_organization(name, external_id=unique + name, metadata={"note2": note})
    except InvalidField:
        assert _head(b.app) == before
        assert expected is None or _expected(unique + name) is None or not kept_note
    else:
        assert (org.display_name, org.external_id) == (expected, _expected(unique + name))
        assert org.metadata["note2"] == kept_note
    raw = quote(name.encode("utf-8", "surrogatepass"))  # the bytes as sent, even if not UTF-8
    q = b.api.call("GET", f"{ORGS}:search?query={raw}")
    assert q.status_code in (200, 400), q.text


def _search(api: Api, query: str) -> list[str]:
    """The ids of every organization a search finds, over all its pages."""
    ids: list[str] = []
    params: dict[str, str] = {"query": query, "page_size": "30"}
    while True:
        found = api.call("GET", f"{ORGS}:search", params=params)
        assert found.status_code == 200, found.text
        page = found.json()
        ids += [o["id"] for o in page["organizations"]]
        if not page.get("next_page_token"):
            return ids
        params["page_token"] = page["next_page_token"]


def _free(value: str) -> str | None:
    try:
        return text.free_text(value, "note")
    except InvalidField:
        return None


def test_any_string_is_refused_or_stored_read_and_replayed_identically(backend: Backend) -> None:
    outcomes: list[int] = []
    _property(backend, outcomes)
    assert set(outcomes) == {201, 400}  # both stored and refused values were tried
    backend.store.catch_up()
    live: dict[str, Any] = {name: backend.store.dump(name) for name in backend.store.views}
    for name in backend.store.views:
        backend.store.rebuild(name)
        assert backend.store.dump(name) == live[name], name
