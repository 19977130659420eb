"""The HTTP side of a write whose outcome is unknown: its Idempotency-Key keeps no answer."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

from tenantry.application.app import Tenantry
from tests.integration.http_support import ORGS, authorized, in_process
from tests.support import CommitsThenFails


def test_an_idempotency_key_keeps_no_answer_of_a_write_that_lost_every_race(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with in_process() as (server, client):
        api = authorized(server, client)
        t: Tenantry = server.state.tenantry
        t.max_attempts = 1
        lost = CommitsThenFails(t, IntegrityError("lost the race"), commit=False)
        monkeypatch.setattr(t.recorder, "insert_events", lost)
        key = {"Idempotency-Key": "create-megasoft-1"}

        first = api.call("POST", ORGS, json={"display_name": "Megasoft"}, headers=key)
        again = api.call("POST", ORGS, json={"display_name": "Megasoft"}, headers=key)
        replay = api.call("POST", ORGS, json={"display_name": "Megasoft"}, headers=key)

    assert (first.status_code, first.json()["code"]) == (409, "concurrent_modification")
    assert again.status_code == 201, again.text
    assert replay.status_code == 201
    assert replay.json() == again.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
