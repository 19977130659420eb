"""external_id and slug are unique among live organizations; deletes and changes release them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import Conflict, ExternalIdTaken, OrganizationNotFound, SlugTaken
from tests.unit.helpers import records_nothing, topics

KEYS: list[tuple[str, type[Conflict], str]] = [
    ("external_id", ExternalIdTaken, "external_id_taken"),
    ("slug", SlugTaken, "slug_taken"),
]
KEY_IDS = ["external_id", "slug"]


def key(field: str, value: str) -> dict[str, Any]:
    """Keyword arguments that set ``field`` (external_id or slug) to ``value``."""
    return {field: value}


def assert_taken(
    app: Tenantry, command: Callable[[], object], error: type[Conflict], code: str, key: str
) -> None:
    """The command is refused with ``error``, which names the key (its field has the key's
    name: ``ExternalIdTaken.external_id``, ``SlugTaken.slug``); nothing is recorded."""
    with records_nothing(app), pytest.raises(error) as caught:
        command()
    field = "external_id" if error is ExternalIdTaken else "slug"
    assert (caught.value.code, getattr(caught.value, field)) == (code, key)


@pytest.mark.parametrize(("field", "error", "code"), KEYS, ids=KEY_IDS)
def test_creating_with_a_key_a_live_organization_holds_is_a_conflict(
    app: Tenantry, field: str, error: type[Conflict], code: str
) -> None:
    app.create_organization("Acme", **key(field, "acme"))
    assert_taken(
        app, lambda: app.create_organization("Other", **key(field, "acme")), error, code, "acme"
    )


@pytest.mark.parametrize(("field", "error", "code"), KEYS, ids=KEY_IDS)
def test_updating_to_a_key_another_organization_holds_is_a_conflict(
    app: Tenantry, field: str, error: type[Conflict], code: str
) -> None:
    app.create_organization("Acme", **key(field, "acme"))
    other = app.create_organization("Other", **key(field, "other"))
    assert_taken(
        app,
        lambda: app.update_organization(other.id, display_name="Renamed", **key(field, "acme")),
        error,
        code,
        "acme",
    )
    assert app.get_organization(other.id) == other


@pytest.mark.parametrize(("field", "error", "code"), KEYS, ids=KEY_IDS)
def test_a_deleted_organization_releases_its_key_at_once(
    app: Tenantry, field: str, error: type[Conflict], code: str
) -> None:
    first = app.create_organization("Acme", **key(field, "acme"))
    app.delete_organization(first.id)
    second = app.create_organization("Acme again", **key(field, "acme"))
    assert getattr(second, field) == "acme"
    assert_taken(
        app, lambda: app.create_organization("Third", **key(field, "acme")), error, code, "acme"
    )


@pytest.mark.parametrize(("field", "error", "code"), KEYS, ids=KEY_IDS)
def test_a_changed_key_is_released_and_the_new_one_is_held(
    app: Tenantry, field: str, error: type[Conflict], code: str
) -> None:
    org = app.create_organization("Acme", **key(field, "old"))
    app.update_organization(org.id, **key(field, "new"))
    reuser = app.create_organization("Reuser", **key(field, "old"))
    assert getattr(reuser, field) == "old"
    assert_taken(
        app, lambda: app.create_organization("Other", **key(field, "new")), error, code, "new"
    )


@pytest.mark.parametrize(("field", "error", "code"), KEYS, ids=KEY_IDS)
def test_clearing_a_key_releases_it(
    app: Tenantry, field: str, error: type[Conflict], code: str
) -> None:
    org = app.create_organization("Acme", **key(field, "acme"))
    assert getattr(app.update_organization(org.id, **key(field, "")), field) is None
    assert getattr(app.create_organization("Other", **key(field, "acme")), field) == "acme"


@pytest.mark.parametrize("field", ["external_id", "slug"])
def test_a_key_change_moves_the_claim_in_the_same_save_as_the_organization(
    app: Tenantry, field: str
) -> None:
    org = app.create_organization("Acme", **key(field, "old"))
    before = app.recorder.max_notification_id() or 0
    app.update_organization(org.id, **key(field, "new"))
    changed = "ExternalIdChanged" if field == "external_id" else "SlugChanged"
    assert topics(app, before) == [
        f"Organization.{changed}",
        "KeyClaim.Claimed",
        "KeyClaim.Released",
    ]
    assert app.last_position == app.recorder.max_notification_id()


def test_an_organization_can_take_back_its_own_released_key(app: Tenantry) -> None:
    org = app.create_organization("Acme", external_id="a")
    app.update_organization(org.id, external_id="b")
    app.update_organization(org.id, external_id="a")
    assert app.get_organization_by_external_id("a").id == org.id
    assert app.create_organization("Other", external_id="b").external_id == "b"


def test_external_id_and_slug_are_separate_namespaces(app: Tenantry) -> None:
    app.create_organization("Acme", external_id="acme")
    assert app.create_organization("Other", slug="acme").slug == "acme"


def test_get_by_external_id_follows_the_key_to_its_current_holder(app: Tenantry) -> None:
    first = app.create_organization("Acme", external_id="acme")
    assert app.get_organization_by_external_id(" acme ").id == first.id
    app.update_organization(first.id, external_id="acme-old")
    with pytest.raises(OrganizationNotFound):
        app.get_organization_by_external_id("acme")
    second = app.create_organization("New Acme", external_id="acme")
    assert app.get_organization_by_external_id("acme").id == second.id
    assert app.get_organization_by_external_id("acme-old").id == first.id


def test_an_organization_is_updated_by_its_external_id(app: Tenantry) -> None:
    org = app.create_organization("Acme", external_id="acme")
    app.create_organization("Other", external_id="other")

    updated = app.update_organization_by_external_id(
        "acme", display_name="Acme Inc", new_external_id="acme-2", actor="ops"
    )

    assert (updated.id, updated.display_name, updated.external_id) == (
        org.id,
        "Acme Inc",
        "acme-2",
    )
    with records_nothing(app), pytest.raises(ExternalIdTaken):
        app.update_organization_by_external_id("acme-2", new_external_id="other")
    with records_nothing(app), pytest.raises(OrganizationNotFound):
        app.update_organization_by_external_id("acme", display_name="Gone")


def test_a_refused_create_leaves_no_organization_behind(app: Tenantry) -> None:
    app.create_organization("Slugged", slug="taken")
    before = topics(app).count("Organization.Created")
    with records_nothing(app), pytest.raises(SlugTaken):
        app.create_organization("Other", external_id="fresh", slug="taken")
    assert topics(app).count("Organization.Created") == before
    # "fresh" was not claimed by the refused create.
    assert app.create_organization("Fresh", external_id="fresh").external_id == "fresh"
