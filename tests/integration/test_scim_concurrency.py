"""Many SCIM creates at once against a seat limit, on SQLite and PostgreSQL, from one application
shared by threads or one application per thread (like several servers on one database): exactly
the limit succeed, the others are refused for the seat limit, and no race leaks out as another
error or an extra seat."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tenantry.application.app import Tenantry
from tenantry.application.provisioning_dto import ScimKind
from tests.integration.test_concurrency import CONTENDERS, OK, race
from tests.provisioning_support import active_directory, scim_user
from tests.support import database
from tests.unit.helpers import assert_stored_history_replays, topics

LIMIT = 5


@pytest.fixture(params=["sqlite", "postgres"])
def stored_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


@pytest.mark.parametrize("shared", [True, False], ids=["shared app", "app per thread"])
def test_racing_scim_creates_admit_exactly_the_seat_limit(
    make_app: Callable[..., Tenantry], stored_url: str, shared: bool
) -> None:
    if shared:
        apps = [make_app(stored_url)] * CONTENDERS
    else:
        url = stored_url
        if url.startswith("postgresql"):
            url += "&pool_size=1&max_overflow=1"
        apps = [make_app(url) for _ in range(CONTENDERS)]
    app = apps[0]
    org_id, dir_id = active_directory(app, seats=LIMIT)

    def create(contender: Tenantry, i: int) -> object:
        return contender.scim_create(dir_id, ScimKind.USER, scim_user(f"user{i}@acme.test"))

    outcomes = race(apps, create)
    assert outcomes == {OK: LIMIT, "seat_limit_reached": CONTENDERS - LIMIT}
    assert app.get_seat_usage(org_id).seats_in_use == LIMIT
    assert len(app.scim_ids(dir_id, ScimKind.USER)) == LIMIT
    recorded = topics(app)
    assert recorded.count("Organization.MemberAdded") == LIMIT
    assert recorded.count("DirectoryUser.Created") == LIMIT
    assert recorded.count("DirectoryRoster.UserListed") == LIMIT
    assert_stored_history_replays(app, org_id)


def test_racing_reactivations_take_exactly_the_free_seats(
    make_app: Callable[..., Tenantry], stored_url: str
) -> None:
    app = make_app(stored_url)
    org_id, dir_id = active_directory(app)
    users = []
    for i in range(CONTENDERS):
        doc = scim_user(f"user{i}@acme.test", active=False)
        users.append((app.scim_create(dir_id, ScimKind.USER, doc).id, doc))
    app.upsert_user_management_settings(org_id, LIMIT)

    def reactivate(contender: Tenantry, i: int) -> object:
        dus, doc = users[i]
        return contender.scim_replace(dir_id, ScimKind.USER, dus, {**doc, "active": True})

    outcomes = race([app] * CONTENDERS, reactivate)
    assert outcomes == {OK: LIMIT, "seat_limit_reached": CONTENDERS - LIMIT}
    assert app.get_seat_usage(org_id).seats_in_use == LIMIT
    assert topics(app).count("Organization.MemberAdded") == LIMIT
