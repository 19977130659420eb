"""``diff_organization``: what changed between two versions or moments of an organization."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField, OrganizationNotFound, VersionNotFound
from tests.support import FakeClock


def known_history(app: Tenantry, clock: FakeClock) -> str:
    """Versions 1 Created "Hooli", 2 Renamed "Hooli XYZ", 3 LimitSet 10, 4 Renamed "Nucleus",
    a minute apart."""
    org = app.create_organization("Hooli", external_id="hooli").id
    clock.advance(timedelta(minutes=1))
    app.update_organization(org, display_name="Hooli XYZ")
    clock.advance(timedelta(minutes=1))
    app.upsert_user_management_settings(org, 10)
    clock.advance(timedelta(minutes=1))
    app.update_organization(org, display_name="Nucleus")
    return org


def changes(app: Tenantry, org: str, **points: object) -> dict[str, tuple[object, object]]:
    d = app.diff_organization(org, **points)  # type: ignore[arg-type]
    return {c.field: (c.before, c.after) for c in d.changes}


def test_a_diff_between_versions_lists_each_changed_field_once(
    app: Tenantry, clock: FakeClock
) -> None:
    org = known_history(app, clock)
    d = app.diff_organization(org, from_=1, to=3)
    assert (d.organization_id, d.from_version, d.to_version) == (org, 1, 3)
    assert {c.field: (c.before, c.after) for c in d.changes} == {
        "display_name": ("Hooli", "Hooli XYZ"),
        "max_allowed_users": (None, 10),
    }


def test_a_diff_runs_to_the_last_version_by_default(app: Tenantry, clock: FakeClock) -> None:
    org = known_history(app, clock)
    d = app.diff_organization(org, from_=1)
    assert d.to_version == 4
    assert d.changes[0].model_dump() == {
        "field": "display_name",
        "before": "Hooli",
        "after": "Nucleus",
    }


def test_a_moment_names_the_last_version_recorded_by_then(app: Tenantry, clock: FakeClock) -> None:
    org = known_history(app, clock)
    history = app.list_history(org)
    d = app.diff_organization(org, from_=history[0].timestamp, to=history[2].timestamp)
    assert (d.from_version, d.to_version) == (1, 3)
    between = history[2].timestamp + timedelta(seconds=30)
    assert app.diff_organization(org, from_=1, to=between).to_version == 3


def test_a_moment_without_a_time_zone_is_utc(app: Tenantry, clock: FakeClock) -> None:
    org = known_history(app, clock)
    moment = app.list_history(org)[1].timestamp
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    assert app.diff_organization(org, from_=naive).from_version == 2


def test_a_field_changed_and_changed_back_is_not_listed(app: Tenantry, clock: FakeClock) -> None:
    org = known_history(app, clock)
    app.update_organization(org, display_name="Hooli")
    assert changes(app, org, from_=1) == {"max_allowed_users": (None, 10)}
    assert changes(app, org, from_=2, to=2) == {}


def test_from_after_to_is_refused(app: Tenantry, clock: FakeClock) -> None:
    org = known_history(app, clock)
    with pytest.raises(InvalidField) as e:
        app.diff_organization(org, from_=3, to=2)
    assert e.value.field == "from"
    assert "version 3 is after version 2" in e.value.rule


@pytest.mark.parametrize("version", [0, 5])
def test_a_version_the_history_does_not_have_is_not_found(
    app: Tenantry, clock: FakeClock, version: int
) -> None:
    org = known_history(app, clock)
    with pytest.raises(VersionNotFound) as e:
        app.diff_organization(org, from_=1, to=version)
    assert e.value.at == f"version {version}"


def test_a_moment_before_the_organization_is_not_found(app: Tenantry, clock: FakeClock) -> None:
    org = known_history(app, clock)
    before = app.list_history(org)[0].timestamp - timedelta(seconds=1)
    with pytest.raises(VersionNotFound) as e:
        app.diff_organization(org, from_=before)
    assert e.value.at == before.isoformat()


def test_the_diff_of_an_unknown_organization_is_not_found(app: Tenantry) -> None:
    with pytest.raises(OrganizationNotFound):
        app.diff_organization("org_0000000000000000000000000a", from_=1)
