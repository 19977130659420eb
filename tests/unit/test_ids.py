"""Ids: time-ordered for new organizations, deterministic and clustered for memberships."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tenantry
from tenantry.application.app import Tenantry
from tenantry.domain import ids


def test_new_organizations_get_time_ordered_ids_whose_public_ids_sort_by_creation(
    app: Tenantry,
) -> None:
    created = [app.create_organization(f"Org {i}").id for i in range(40)]
    assert all(ids.decode(ids.ORG, org).version == 7 for org in created)
    assert sorted(created) == created


def test_a_membership_of_a_time_ordered_organization_carries_the_organizations_time() -> None:
    org = ids.new_id()
    alice, bob = ids.user_uuid("alice@acme.io"), ids.user_uuid("bob@acme.io")
    a, b = ids.membership_uuid(org, alice), ids.membership_uuid(org, bob)
    assert a == ids.membership_uuid(org, alice)  # found again from the pair, without an index
    assert a != b
    assert a.bytes[:8] == b.bytes[:8] == org.bytes[:8]
    assert (a.version, a.variant) == (7, uuid.RFC_4122)
    later = ids.new_id()
    assert ids.membership_uuid(later, alice) > a  # a later organization's sort after


@given(st.uuids(version=4), st.emails())
def test_an_organization_without_a_time_ordered_id_keeps_plain_uuid5_memberships(
    org: uuid.UUID, email: str
) -> None:
    user = ids.user_uuid(email)
    assert ids.membership_uuid(org, user) == uuid.uuid5(org, user.hex)


def test_memberships_work_alike_under_random_organization_ids() -> None:
    """An application given random ids (like a database made before ids were time-ordered)."""
    app = tenantry.connect("memory://", id_factory=uuid.uuid4)
    org = app.create_organization("Acme")
    org_uuid = ids.decode(ids.ORG, org.id)
    assert org_uuid.version == 4
    app.invite_member(org.id, "dana@acme.io")
    app.accept_invitation(org.id, "dana@acme.io")
    member = app.get_membership(org.id, "dana@acme.io")
    assert (member.organization_id, member.status) == (org.id, "ACTIVE")
    stored = {n.originator_id for n in app.recorder.select_notifications(start=1, limit=100)}
    dana = ids.user_uuid("dana@acme.io")
    assert uuid.uuid5(org_uuid, dana.hex) in stored  # the id such a membership always had


def test_every_uuid5_namespace_is_distinct() -> None:
    """Two kinds of natural key under one namespace would collide: each has its own."""
    namespaces = {name: value for name, value in vars(ids).items() if name.startswith("NS_")}
    assert len(namespaces) >= 6
    assert len(set(namespaces.values())) == len(namespaces), namespaces


@pytest.mark.xfail(
    strict=True,
    reason="ids.NS_ROLE_BOOK reuses api_client.NS_API_CLIENT (...0a04): an API client with the "
    "client_id 'environment' gets the environment role book's aggregate id. Left to the lead; "
    "strict, so the fix turns this into a failure that asks to drop the mark.",
)
def test_no_namespace_is_shared_across_the_domains_modules() -> None:
    from tenantry.domain import api_client, signing_key

    namespaces = [
        value
        for module in (ids, api_client, signing_key)
        for name, value in vars(module).items()
        if name.startswith("NS_") and isinstance(value, uuid.UUID)
    ]
    assert len(namespaces) >= 7
    assert len(set(namespaces)) == len(namespaces)
