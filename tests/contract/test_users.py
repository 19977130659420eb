"""One user, many organizations: the user is registered once, whichever process sees it first."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain import ids


def test_a_user_registered_by_another_application_joins_a_second_organization(
    make_app: Callable[..., Tenantry], database_url: str
) -> None:
    if database_url.startswith("memory"):
        pytest.skip("separate in-memory applications do not share a store")
    first, second = make_app(database_url), make_app(database_url)
    acme = first.create_organization("Acme")
    globex = second.create_organization("Globex")

    at_acme = first.invite_member(acme.id, "Ada@Example.com")
    # `second` has never seen this user: it registers optimistically, loses, and retries.
    at_globex = second.invite_member(globex.id, "ada@example.com")

    assert at_acme.user_id == at_globex.user_id
    shown = second.get_user(at_acme.user_id)
    assert (shown.id, shown.email) == (at_acme.user_id, "ada@example.com")
    user_events = list(second.events.get(ids.user_uuid("ada@example.com")))
    assert [type(e).__name__ for e in user_events] == ["Registered"]
    assert second.get_membership(globex.id, at_acme.user_id).status == "PENDING_INVITE"
