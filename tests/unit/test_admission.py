"""The domain's transitions of a membership and its organization's seat ledger (admission), the
status rule an admin's status change follows, and the key claim's own rules; given events →
when → then events on both aggregates, each replayed."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from tenantry.domain import admission, ids
from tenantry.domain.base import Act
from tenantry.domain.errors import (
    AlreadyMember,
    ExternalIdTaken,
    InvalidField,
    InvitationNotPending,
    MemberNotActive,
    MembershipNotFound,
    SeatLimitReached,
    SlugTaken,
)
from tenantry.domain.key_claim import EXTERNAL_ID, SLUG, KeyClaim
from tenantry.domain.membership import Invitation, Membership, Newcomer
from tenantry.domain.organization import Organization
from tenantry.domain.user import parse_user_reference
from tenantry.domain.values import MembershipStatus
from tests.unit.test_aggregates import (
    ACTOR,
    BOB,
    INV,
    ORG,
    T0,
    bob_invited,
    given,
    membership_event,
    membership_invited,
    org_created,
    seat_limit_of,
    then,
)

CY = UUID("00000000-0000-4000-8000-00000000000c")
EXPIRY = T0 + timedelta(days=15)
NEWCOMER = Newcomer(CY, "c@x.io", ["member"], {"team": "ops"})


def bob_pending() -> tuple[list[object], list[object]]:
    """Bob invited: the organization's history and the membership's."""
    return [org_created(), bob_invited(2, EXPIRY)], [membership_invited(EXPIRY)]


def test_inviting_a_newcomer_takes_a_seat_and_opens_a_membership() -> None:
    history = [org_created()]
    org = given(*history)
    invitation = Invitation(INV, EXPIRY, ACTOR)
    membership = admission.invite(org, None, NEWCOMER, invitation, Act(T0, ACTOR, "hired"))
    [invited] = then(org, *history)
    [opened] = then(membership)
    assert isinstance(invited, Organization.MemberInvited)
    assert (invited.user_id, invited.expires_at, invited.reason) == (CY, EXPIRY, "hired")
    assert isinstance(opened, Membership.Invited)
    assert opened.originator_id == ids.membership_uuid(ORG, CY)
    assert (opened.roles, opened.metadata, opened.inviter_email) == (
        ["member"],
        {"team": "ops"},
        ACTOR,
    )
    assert org.seats_in_use(T0) == 1


def test_inviting_on_the_last_seat_taken_is_refused_before_any_membership_opens() -> None:
    org = given(org_created(), seat_limit_of(1), bob_invited(3, EXPIRY))
    invitation = Invitation(UUID(int=9), EXPIRY, None)
    with pytest.raises(SeatLimitReached):
        admission.invite(org, None, NEWCOMER, invitation, Act(T0, ACTOR))
    assert org.collect_events() == []


def test_inviting_someone_pending_is_refused_as_already_a_member() -> None:
    org_history, member_history = bob_pending()
    org, membership = given(*org_history), given(*member_history)
    again = Newcomer(BOB, "b@x.io", ["member"], {})
    with pytest.raises(AlreadyMember):
        admission.invite(
            org, membership, again, Invitation(UUID(int=9), EXPIRY, None), Act(T0, ACTOR)
        )
    assert (org.collect_events(), membership.collect_events()) == ([], [])


def test_re_inviting_after_a_lapsed_invitation_records_its_expiry_first() -> None:
    org_history, member_history = bob_pending()
    org, membership = given(*org_history), given(*member_history)
    later = EXPIRY + timedelta(days=1)
    again = Newcomer(BOB, "b@x.io", ["admin"], {})
    invitation = Invitation(UUID(int=9), later + timedelta(days=15), None)
    admission.invite(org, membership, again, invitation, Act(later, ACTOR))
    assert [type(e) for e in then(org, *org_history)] == [
        Organization.InvitationExpired,
        Organization.MemberInvited,
    ]
    assert [type(e) for e in then(membership, *member_history)] == [
        Membership.InvitationExpired,
        Membership.Reinvited,
    ]
    assert membership.state.roles == ["admin"]


def test_adding_a_newcomer_takes_a_seat_and_provisions_an_active_membership() -> None:
    history = [org_created()]
    org = given(*history)
    membership = admission.add(org, None, NEWCOMER, "org_creator", Act(T0, "c@x.io"))
    [added] = then(org, *history)
    [provisioned] = then(membership)
    assert isinstance(added, Organization.MemberAdded)
    assert isinstance(provisioned, Membership.Provisioned)
    assert provisioned.provisioning_method == added.provisioning_method == "org_creator"
    assert membership.status_at(T0) == MembershipStatus.ACTIVE


def test_accepting_moves_the_seat_from_pending_to_active() -> None:
    org_history, member_history = bob_pending()
    org, membership = given(*org_history), given(*member_history)
    admission.accept(org, membership, Act(T0 + timedelta(days=1), "b@x.io"))
    [booked] = then(org, *org_history)
    [accepted] = then(membership, *member_history)
    assert isinstance(booked, Organization.InvitationAccepted)
    assert (booked.invitation_id, booked.expires_at) == (INV, EXPIRY)
    assert isinstance(accepted, Membership.InvitationAccepted)
    assert (org.state.active_members, len(org.state.pending_invitations)) == (1, 0)


def test_resending_a_pending_invitation_extends_it_on_both_sides() -> None:
    org_history, member_history = bob_pending()
    org, membership = given(*org_history), given(*member_history)
    later = EXPIRY + timedelta(days=5)
    admission.resend(org, membership, later, Act(T0, ACTOR), lambda: pytest.fail("no new id"))
    [booked] = then(org, *org_history)
    [resent] = then(membership, *member_history)
    assert isinstance(booked, Organization.InvitationResent)
    assert (booked.previous_expires_at, booked.expires_at) == (EXPIRY, later)
    assert isinstance(resent, Membership.InvitationResent)


def test_resending_an_expired_invitation_issues_a_new_one_on_a_free_seat() -> None:
    org_history, member_history = bob_pending()
    org, membership = given(*org_history), given(*member_history)
    now = EXPIRY + timedelta(hours=1)
    admission.resend(
        org, membership, now + timedelta(days=15), Act(now, ACTOR), lambda: UUID(int=9)
    )
    assert [type(e) for e in then(org, *org_history)] == [
        Organization.InvitationExpired,
        Organization.MemberInvited,
    ]
    assert [type(e) for e in then(membership, *member_history)] == [
        Membership.InvitationExpired,
        Membership.Reinvited,
    ]
    assert membership.state.invitation_id == UUID(int=9)


def test_resending_an_accepted_invitation_is_refused() -> None:
    org_history, member_history = bob_pending()
    org = given(*org_history)
    membership = given(*member_history, membership_event(Membership.InvitationAccepted, 2))
    with pytest.raises(InvitationNotPending) as caught:
        admission.resend(org, membership, EXPIRY, Act(T0, ACTOR), lambda: UUID(int=9))
    assert caught.value.status == "ACTIVE"


@pytest.mark.parametrize(
    ("transition", "org_event", "member_event"),
    [
        (admission.revoke, Organization.InvitationRevoked, Membership.InvitationRevoked),
        (admission.remove, Organization.MemberRemoved, Membership.Removed),
    ],
)
def test_revoking_or_removing_a_pending_invitation_frees_its_seat(
    transition: admission.Transition, org_event: type, member_event: type
) -> None:
    org_history, member_history = bob_pending()
    org, membership = given(*org_history), given(*member_history)
    transition(org, membership, Act(T0, ACTOR, "mistake"))
    [booked] = then(org, *org_history)
    [changed] = then(membership, *member_history)
    assert (type(booked), type(changed)) == (org_event, member_event)
    assert booked.reason == changed.reason == "mistake"
    assert org.seats_in_use(T0) == 0


def test_deactivating_and_reactivating_free_and_take_a_seat() -> None:
    org_history = [org_created(), seat_limit_of(1)]
    org = given(*org_history)
    membership = admission.add(org, None, NEWCOMER, "direct_provision", Act(T0, ACTOR))
    admission.deactivate(org, membership, Act(T0, ACTOR))
    assert org.seats_in_use(T0) == 0
    admission.reactivate(org, membership, Act(T0, ACTOR))
    assert org.seats_in_use(T0) == 1
    assert [type(e) for e in then(org, *org_history)] == [
        Organization.MemberAdded,
        Organization.MemberDeactivated,
        Organization.MemberReactivated,
    ]
    assert membership.status_at(T0) == MembershipStatus.ACTIVE


def test_expiring_records_a_lapsed_invitation_once_and_nothing_before_its_time() -> None:
    org_history, member_history = bob_pending()
    org, membership = given(*org_history), given(*member_history)
    assert not admission.expire(org, membership, Act(EXPIRY - timedelta(seconds=1), ACTOR))
    assert admission.expire(org, membership, Act(EXPIRY, ACTOR))
    assert not admission.expire(org, membership, Act(EXPIRY, ACTOR))
    [booked] = then(org, *org_history)
    [expired] = then(membership, *member_history)
    assert isinstance(booked, Organization.InvitationExpired)
    assert isinstance(expired, Membership.InvitationExpired)


# --- the status an admin sets ------------------------------------------------------------------


def active() -> Membership:
    m: Membership = given(membership_invited(), membership_event(Membership.InvitationAccepted, 2))
    return m


def inactive() -> Membership:
    m: Membership = given(
        membership_invited(),
        membership_event(Membership.InvitationAccepted, 2),
        membership_event(Membership.Deactivated, 3),
    )
    return m


@pytest.mark.parametrize(
    ("membership", "status", "expected"),
    [
        (active, "INACTIVE", admission.deactivate),
        (active, "ACTIVE", None),
        (inactive, "ACTIVE", admission.reactivate),
        (inactive, "INACTIVE", None),
        (lambda: given(membership_invited()), "ACTIVE", admission.accept),
        (lambda: given(membership_invited()), "INACTIVE", admission.deactivate),
        (lambda: given(membership_invited(T0)), "ACTIVE", admission.accept),
    ],
    ids=[
        "active-inactive",
        "active-active",
        "inactive-active",
        "inactive-inactive",
        "pending-active",
        "pending-inactive",
        "lapsed-active",
    ],
)
def test_the_status_an_admin_sets_picks_its_transition(
    membership: object, status: str, expected: object
) -> None:
    m = membership()  # type: ignore[operator]
    assert admission.transition_to(m, status, T0) is expected


def test_the_transition_to_a_status_refuses_as_the_transition_does() -> None:
    org_history, member_history = bob_pending()
    org, membership = given(*org_history), given(*member_history)
    transition = admission.transition_to(membership, "INACTIVE", T0)
    assert transition is not None
    with pytest.raises(MemberNotActive):
        transition(org, membership, Act(T0, ACTOR))


def test_a_removed_membership_has_no_status_to_set() -> None:
    membership = given(membership_invited(), membership_event(Membership.Removed, 2))
    with pytest.raises(MembershipNotFound):
        admission.transition_to(membership, "ACTIVE", T0)


def test_only_active_or_inactive_can_be_set() -> None:
    with pytest.raises(InvalidField):
        admission.transition_to(active(), "PENDING_INVITE", T0)


# --- key claims and user references ------------------------------------------------------------


def test_a_claims_id_follows_from_its_kind_and_key() -> None:
    assert KeyClaim.create_id(EXTERNAL_ID, "acme") == KeyClaim.create_id(EXTERNAL_ID, "acme")
    assert KeyClaim.create_id(EXTERNAL_ID, "acme") != KeyClaim.create_id(SLUG, "acme")
    claim = KeyClaim.claim(kind=SLUG, key="acme", organization_id=ORG, now=T0, actor=ACTOR)
    assert claim.id == KeyClaim.create_id(SLUG, "acme")


@pytest.mark.parametrize(("kind", "error"), [(EXTERNAL_ID, ExternalIdTaken), (SLUG, SlugTaken)])
def test_a_key_held_by_another_organization_is_refused_by_its_claim(
    kind: str, error: type[Exception]
) -> None:
    claim = KeyClaim.claim(kind=kind, key="acme", organization_id=ORG, now=T0, actor=ACTOR)
    claim.collect_events()
    with pytest.raises(error):
        claim.claim_for(CY, T0, ACTOR)
    assert claim.collect_events() == []


def test_a_claim_is_taken_again_only_once_released() -> None:
    claim = KeyClaim.claim(kind=SLUG, key="acme", organization_id=ORG, now=T0, actor=ACTOR)
    history = claim.collect_events()
    assert claim.claim_for(ORG, T0, ACTOR) is False  # held already: nothing to record
    claim.release(ORG, T0, ACTOR)
    assert claim.claim_for(CY, T0, ACTOR) is True
    released, reclaimed = then(claim, *history)
    assert isinstance(released, KeyClaim.Released)
    assert isinstance(reclaimed, KeyClaim.Reclaimed)
    assert claim.holder == CY


def test_a_user_is_named_by_its_usr_id_or_its_e_mail() -> None:
    by_email = parse_user_reference(" Ann@Acme.Example ")
    assert by_email == ids.user_uuid("ann@acme.example")
    assert parse_user_reference(ids.encode(ids.USER, by_email)) == by_email
    with pytest.raises(InvalidField) as e:
        parse_user_reference("usr_tooshort")
    assert e.value.field == "user_id"
    with pytest.raises(InvalidField) as e:
        parse_user_reference("not an e-mail")
    assert e.value.field == "user"


def test_a_membership_recorded_pending_reads_expired_from_its_expiry_on() -> None:
    membership = given(membership_invited(EXPIRY))
    assert not membership.expiry_is_due(EXPIRY - timedelta(microseconds=1))
    assert membership.expiry_is_due(EXPIRY)
    assert membership.status_at(EXPIRY) == MembershipStatus.INVITE_EXPIRED
