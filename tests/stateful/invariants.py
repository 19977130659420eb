"""Named invariants of the organizations state machine: each compares the application with the
model (or with its own stored events) and fails with a message saying what broke."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.base import Aggregate
from tenantry.domain.errors import MembershipNotFound, OrganizationNotFound
from tenantry.domain.key_claim import KeyClaim
from tenantry.domain.values import REMOVED
from tests.stateful.model import EXPIRED, Member, Model


def seats_in_use_match_the_model(app: Tenantry, model: Model, now: datetime) -> None:
    """Seats in use = ACTIVE members + PENDING invitations not yet expired at ``now``."""
    for org in model.live_orgs():
        usage = app.get_seat_usage(org.id)
        assert usage.at == now
        assert usage.max_allowed_users == org.limit, org.id
        assert usage.active_members == org.active_members(), org.id
        assert usage.seats_in_use == org.seats_in_use(now), (org.id, org.members)
        expected_free = max(org.limit - org.seats_in_use(now), 0) if org.limit else None
        assert usage.seats_free == expected_free, org.id


def admissions_stayed_within_limits(model: Model) -> None:
    """No admission made under a positive limit took a seat beyond it."""
    over = [a for a in model.admissions if a.in_use > a.limit]
    assert not over, f"admissions beyond the seat limit: {over}"


def natural_keys_are_unique(app: Tenantry, model: Model) -> None:
    """No two live organizations share an external id or a slug; deleted ones hold none."""
    for kind in ("external_id", "slug"):
        held = [getattr(o, kind) for o in model.live_orgs() if getattr(o, kind) is not None]
        assert len(held) == len(set(held)), f"{kind} shared by live organizations: {held}"
    for kind, key in sorted(model.keys_used):
        holder = model.holder(kind, key)
        if kind == "external_id":
            if holder is None:
                with pytest.raises(OrganizationNotFound):
                    app.get_organization_by_external_id(key)
            else:
                assert app.get_organization_by_external_id(key).id == holder
        else:
            claim: Aggregate = app.repository.get(
                KeyClaim.create_id(kind, key), deepcopy_from_cache=False
            )
            assert isinstance(claim, KeyClaim)
            expected = None if holder is None else ids.decode(ids.ORG, holder)
            assert claim.holder == expected, f"slug {key!r}"


def organizations_match_the_model(app: Tenantry, model: Model) -> None:
    for org in model.orgs.values():
        if org.deleted:
            with pytest.raises(OrganizationNotFound):
                app.get_organization(org.id)
            continue
        got = app.get_organization(org.id)
        assert (got.display_name, got.external_id, got.slug, got.metadata) == (
            org.display_name,
            org.external_id,
            org.slug,
            org.metadata,
        )
        assert {f.name: f.enabled for f in got.settings.features} == org.features
        assert app.get_user_management_settings(org.id).max_allowed_users == org.limit


def expected_invitation_status(member: Member, now: datetime) -> str | None:
    if member.invitation is None:
        return None
    return "expired" if member.status_at(now) == EXPIRED else member.invitation


def memberships_match_the_model(app: Tenantry, model: Model, now: datetime) -> None:
    for org in model.orgs.values():
        for email, member in org.members.items():
            if org.deleted:
                with pytest.raises(OrganizationNotFound):
                    app.get_membership(org.id, email)
                continue
            if not member.readable():
                with pytest.raises(MembershipNotFound):
                    app.get_membership(org.id, email)
                continue
            got = app.get_membership(org.id, email)
            assert got.status == (member.status_at(now) or REMOVED), (org.id, email)
            invitation = None if got.invitation is None else got.invitation.status
            assert invitation == expected_invitation_status(member, now), (org.id, email, got)
            if member.invitation is not None and got.invitation is not None:
                assert got.expires_at == member.expires_at
                assert got.invitation.resent_count == member.resent_count


def nothing_recorded_outside_successes(app: Tenantry, position: int) -> None:
    """Every refused command recorded nothing: the log ends where the last success left it."""
    assert (app.recorder.max_notification_id() or 0) == position


def aggregate_ids(model: Model) -> Iterator[UUID]:
    """Every organization, membership, user and key claim the run has touched."""
    for org in model.orgs.values():
        org_uuid = ids.decode(ids.ORG, org.id)
        yield org_uuid
        for email in org.members:
            yield ids.membership_uuid(org_uuid, ids.user_uuid(email))
    for email in model.emails_used:
        yield ids.user_uuid(email)
    for kind, key in model.keys_used:
        yield KeyClaim.create_id(kind, key)


def aggregates_replay_to_live_state(app: Tenantry, model: Model) -> None:
    """Folding each aggregate's stored events gives the state the application works with."""
    for aggregate_id in aggregate_ids(model):
        folded: Aggregate | None = None
        for event in app.events.get(aggregate_id):
            folded = event.mutate(folded)  # type: ignore[attr-defined]
        live: Aggregate = app.repository.get(aggregate_id, deepcopy_from_cache=False)
        assert folded is not None, aggregate_id
        assert type(folded) is type(live)
        assert folded.version == live.version, aggregate_id
        assert folded.modified_on == live.modified_on, aggregate_id
        assert folded.state == live.state, (aggregate_id, folded.state, live.state)


def a_second_connection_reads_the_same(
    app: Tenantry, other: Tenantry, model: Model, now: datetime
) -> None:
    """Another connection to the same store (as another process would) returns equal DTOs."""
    for org in model.orgs.values():
        if org.deleted:
            with pytest.raises(OrganizationNotFound):
                other.get_organization(org.id)
            continue
        assert other.get_organization(org.id) == app.get_organization(org.id)
        assert other.get_seat_usage(org.id, at=now) == app.get_seat_usage(org.id, at=now)
        for email, member in org.members.items():
            if not member.readable():
                with pytest.raises(MembershipNotFound):
                    other.get_membership(org.id, email)
            else:
                assert other.get_membership(org.id, email) == app.get_membership(org.id, email)
