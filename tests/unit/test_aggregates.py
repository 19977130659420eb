"""Aggregates in given events → when command → then events style, each with a replay check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from tenantry.domain.base import Act, Aggregate, DomainEvent
from tenantry.domain.errors import (
    InvitationHasExpired,
    InvitationNotPending,
    InvitationWasRevoked,
    NothingChanged,
    OrganizationNotFound,
    SeatLimitReached,
)
from tenantry.domain.key_claim import KeyClaim
from tenantry.domain.membership import Invitation, Membership, Newcomer
from tenantry.domain.organization import Organization
from tenantry.domain.values import Feature, InvitationStatus, MembershipStatus
from tests.unit.helpers import assert_replays_to, replay

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ORG = UUID("00000000-0000-4000-8000-000000000001")
ALICE = UUID("00000000-0000-4000-8000-00000000000a")
BOB = UUID("00000000-0000-4000-8000-00000000000b")
INV = UUID("00000000-0000-4000-8000-0000000000c1")
ACTOR = "admin@acme.test"


def event(cls: type[DomainEvent], version: int, *, at: datetime = T0, **fields: Any) -> Any:
    return cls(originator_id=ORG, originator_version=version, timestamp=at, actor=ACTOR, **fields)


def org_created(**overrides: Any) -> Organization.Created:
    fields: dict[str, Any] = {
        "originator_topic": get_topic(Organization),
        "display_name": "Acme",
        "external_id": None,
        "slug": None,
        "logo_url": None,
        "region_code": "US",
        "metadata": {},
        **overrides,
    }
    return event(Organization.Created, 1, **fields)  # type: ignore[no-any-return]


def given(*events: Any) -> Any:
    aggregate = replay(events)
    assert aggregate is not None
    return aggregate


def then(aggregate: Aggregate, *history: Any) -> list[Any]:
    """The events the command produced; checks that history + them replays to the aggregate."""
    new = list(aggregate.collect_events())
    assert_replays_to(aggregate, [*history, *new])
    return new


def seat_limit_of(limit: int, version: int = 2) -> Organization.LimitSet:
    return event(Organization.LimitSet, version, max_allowed_users=limit)  # type: ignore[no-any-return]


def bob_invited(version: int, expires_at: datetime) -> Organization.MemberInvited:
    return event(  # type: ignore[no-any-return]
        Organization.MemberInvited,
        version,
        user_id=BOB,
        email="b@x.io",
        invitation_id=INV,
        expires_at=expires_at,
    )


# --- Organization -------------------------------------------------------------------------------


def test_creating_an_organization_records_created_with_its_fields() -> None:
    org = Organization.create(
        id=ORG,
        now=T0,
        actor=ACTOR,
        reason="onboarding",
        display_name="Acme",
        external_id="acme-1",
        slug="acme",
        logo_url=None,
        region_code="EU",
        metadata={"tier": "gold"},
    )
    [created] = then(org)
    assert isinstance(created, Organization.Created)
    assert (created.display_name, created.external_id, created.slug) == ("Acme", "acme-1", "acme")
    assert (created.region_code, created.metadata, created.reason) == (
        "EU",
        {"tier": "gold"},
        "onboarding",
    )
    assert created.actor == ACTOR
    assert org.state.active_members == 0


def test_renaming_records_renamed() -> None:
    history = [org_created()]
    org = given(*history)
    org.rename("Acme Corp", T0 + timedelta(minutes=1), ACTOR, "rebrand")
    [renamed] = then(org, *history)
    assert isinstance(renamed, Organization.Renamed)
    assert (renamed.display_name, renamed.reason, renamed.originator_version) == (
        "Acme Corp",
        "rebrand",
        2,
    )


def test_renaming_to_the_current_name_records_nothing() -> None:
    org = given(org_created(), event(Organization.Renamed, 2, display_name="Acme Corp"))
    with pytest.raises(NothingChanged) as caught:
        org.rename("Acme Corp", T0, ACTOR, None)
    assert caught.value.what == "display_name"
    assert caught.value.code == "nothing_changed"
    assert org.collect_events() == []


def test_toggling_features_records_one_event_per_feature_that_changes() -> None:
    history = [org_created(), event(Organization.FeatureToggled, 2, name="sso", enabled=True)]
    org = given(*history)
    org.toggle_features({Feature.SSO: True, Feature.DIR_SYNC: True}, T0, ACTOR, None)
    new = then(org, *history)
    assert [(type(e), e.name, e.enabled) for e in new] == [
        (Organization.FeatureToggled, "dir_sync", True)
    ]


def test_a_deleted_organization_refuses_commands() -> None:
    org = given(org_created(), event(Organization.Deleted, 2))
    with pytest.raises(OrganizationNotFound):
        org.rename("Other", T0, ACTOR, None)
    with pytest.raises(OrganizationNotFound):
        org.set_limit(3, T0, ACTOR, None)
    assert org.collect_events() == []


def test_an_invitation_is_refused_when_the_last_seat_is_taken() -> None:
    org = given(
        org_created(),
        seat_limit_of(2),
        event(
            Organization.MemberAdded,
            3,
            user_id=ALICE,
            email="a@x.io",
            provisioning_method="invitation",
        ),
        bob_invited(4, T0 + timedelta(days=1)),
    )
    with pytest.raises(SeatLimitReached) as caught:
        org.record_invitation(
            Newcomer(UUID(int=7), "c@x.io", [], {}),
            Invitation(UUID(int=8), T0 + timedelta(days=2), None),
            Act(T0, ACTOR),
        )
    assert (caught.value.limit, caught.value.in_use) == (2, 2)
    assert org.collect_events() == []


def test_an_invitation_expiring_at_the_moment_of_the_check_frees_its_seat() -> None:
    expiry = T0 + timedelta(days=1)
    history = [
        org_created(),
        seat_limit_of(1),
        bob_invited(3, expiry),
    ]
    org = given(*history)
    assert org.seats_in_use(expiry - timedelta(microseconds=1)) == 1
    assert org.seats_in_use(expiry) == 0
    org.record_invitation(
        Newcomer(ALICE, "a@x.io", [], {}),
        Invitation(UUID(int=9), expiry + timedelta(days=15), None),
        Act(expiry, ACTOR),
    )
    [invited] = then(org, *history)
    assert isinstance(invited, Organization.MemberInvited)
    assert invited.user_id == ALICE
    assert org.seats_in_use(expiry) == 1


def test_accepting_an_invitation_moves_its_seat_from_pending_to_active() -> None:
    expiry = T0 + timedelta(days=15)
    history = [
        org_created(),
        seat_limit_of(1),
        bob_invited(3, expiry),
    ]
    org = given(*history)
    org.record_acceptance(given(membership_invited(expiry)), Act(T0, "b@x.io"))
    [accepted] = then(org, *history)
    assert isinstance(accepted, Organization.InvitationAccepted)
    assert (org.state.active_members, len(org.state.pending_invitations)) == (1, 0)
    assert org.seats_in_use(T0) == 1


def test_a_limit_below_the_seats_in_use_is_recorded_and_removes_no_one() -> None:
    history = [
        org_created(),
        event(
            Organization.MemberAdded,
            2,
            user_id=ALICE,
            email="a@x.io",
            provisioning_method="direct_provision",
        ),
        event(
            Organization.MemberAdded,
            3,
            user_id=BOB,
            email="b@x.io",
            provisioning_method="direct_provision",
        ),
    ]
    org = given(*history)
    org.set_limit(1, T0, ACTOR, None)
    [limit_set] = then(org, *history)
    assert isinstance(limit_set, Organization.LimitSet)
    assert limit_set.max_allowed_users == 1
    assert org.seats_in_use(T0) == 2
    inactive = given(
        membership_invited(),
        membership_event(Membership.InvitationAccepted, 2),
        membership_event(Membership.Deactivated, 3),
    )
    with pytest.raises(SeatLimitReached) as caught:
        org.record_reactivation(inactive, Act(T0, ACTOR))
    assert (caught.value.limit, caught.value.in_use) == (1, 2)


# --- Membership ---------------------------------------------------------------------------------


MEMBERSHIP = UUID("00000000-0000-4000-8000-0000000000d1")


def membership_invited(expires_at: datetime = T0 + timedelta(days=15)) -> Membership.Invited:
    return Membership.Invited(
        originator_id=MEMBERSHIP,
        originator_version=1,
        timestamp=T0,
        actor=ACTOR,
        originator_topic=get_topic(Membership),
        organization_id=ORG,
        user_id=BOB,
        email="b@x.io",
        roles=["member"],
        metadata={},
        inviter_email=ACTOR,
        invitation_id=INV,
        expires_at=expires_at,
    )


def membership_event(cls: type[DomainEvent], version: int, **fields: Any) -> Any:
    return cls(
        originator_id=MEMBERSHIP, originator_version=version, timestamp=T0, actor=ACTOR, **fields
    )


def test_accepting_a_pending_invitation_makes_the_member_active() -> None:
    history = [membership_invited()]
    membership = given(*history)
    membership.accept(T0 + timedelta(days=1), "b@x.io")
    [accepted] = then(membership, *history)
    assert isinstance(accepted, Membership.InvitationAccepted)
    assert membership.state.status == MembershipStatus.ACTIVE
    assert membership.state.invitation_status == InvitationStatus.ACCEPTED
    assert membership.state.join_time == T0 + timedelta(days=1)


def test_accepting_an_expired_invitation_that_no_sweep_saw_is_refused() -> None:
    expiry = T0 + timedelta(days=1)
    membership = given(membership_invited(expiry))
    with pytest.raises(InvitationHasExpired) as caught:
        membership.accept(expiry, "b@x.io")
    assert caught.value.expired_at == expiry
    assert membership.collect_events() == []


def test_accepting_a_swept_invitation_is_refused_as_expired() -> None:
    membership = given(membership_invited(), membership_event(Membership.InvitationExpired, 2))
    with pytest.raises(InvitationHasExpired):
        membership.accept(T0, "b@x.io")


def test_accepting_a_revoked_invitation_is_refused_as_revoked() -> None:
    membership = given(membership_invited(), membership_event(Membership.InvitationRevoked, 2))
    with pytest.raises(InvitationWasRevoked) as caught:
        membership.accept(T0, "b@x.io")
    assert caught.value.code == "invitation_revoked"


def test_resending_a_pending_invitation_extends_it() -> None:
    history = [membership_invited()]
    membership = given(*history)
    later = T0 + timedelta(days=30)
    membership.extend(later, T0 + timedelta(days=1), ACTOR, None)
    [resent] = then(membership, *history)
    assert isinstance(resent, Membership.InvitationResent)
    assert (membership.state.expires_at, membership.state.resent_count) == (later, 1)
    assert membership.state.invitation_id == INV


def test_resending_an_accepted_invitation_is_refused() -> None:
    membership = given(membership_invited(), membership_event(Membership.InvitationAccepted, 2))
    with pytest.raises(InvitationNotPending) as caught:
        membership.extend(T0 + timedelta(days=30), T0, ACTOR, None)
    assert caught.value.status == "accepted"


# --- KeyClaim -----------------------------------------------------------------------------------


def test_a_released_key_can_be_claimed_by_another_organization() -> None:
    claim = KeyClaim.claim(
        id=UUID(int=100), kind="external_id", key="acme", organization_id=ORG, now=T0, actor=ACTOR
    )
    history = claim.collect_events()
    claim.release(ORG, T0, ACTOR)
    claim.reclaim(ALICE, T0, ACTOR)
    released, reclaimed = then(claim, *history)
    assert isinstance(released, KeyClaim.Released)
    assert isinstance(reclaimed, KeyClaim.Reclaimed)
    assert claim.holder == ALICE


def test_a_claim_is_not_released_by_an_organization_that_does_not_hold_it() -> None:
    claim = KeyClaim.claim(
        id=UUID(int=100), kind="slug", key="acme", organization_id=ORG, now=T0, actor=ACTOR
    )
    claim.collect_events()
    claim.release(ALICE, T0, ACTOR)
    assert claim.collect_events() == []
    assert claim.holder == ORG
