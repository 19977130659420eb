"""Racing SSO commands: organizations racing to verify one domain leave it with exactly one, and
one organization adding a domain from many threads lists it once — on every backend, with one
application shared or one per thread."""

from __future__ import annotations

from collections import Counter

from tenantry.application.app import Tenantry
from tests.integration.test_concurrency import CONTENDERS, OK, race

pytest_plugins = ["tests.integration.test_concurrency"]  # its contender_apps fixture

RACERS = 6


def test_organizations_racing_to_verify_one_domain_leave_exactly_one_holder(
    contender_apps: list[Tenantry],
) -> None:
    apps = contender_apps[:RACERS]
    app = apps[0]
    pairs = []
    for i in range(RACERS):
        org = app.create_organization(f"Racer {i}").id
        pairs.append((org, app.add_domain(org, "contested.example").id))

    outcomes = race(apps, lambda t, i: t.verify_domain(*pairs[i], method="ADMIN"))

    assert outcomes == Counter({OK: 1, "domain_taken": RACERS - 1})
    verified = [
        org
        for org, domain in pairs
        if app.get_domain(org, domain).verification_status == "VERIFIED"
    ]
    assert len(verified) == 1


def test_one_domain_added_from_many_threads_is_listed_once(
    contender_apps: list[Tenantry],
) -> None:
    app = contender_apps[0]
    org = app.create_organization("Acme").id

    outcomes = race(contender_apps, lambda t, _: t.add_domain(org, "acme.example"))

    assert outcomes == Counter({OK: 1, "domain_already_added": CONTENDERS - 1})
    assert [d.domain for d in app.list_domains(org)] == ["acme.example"]
