"""One hypothesis state machine over the whole application: organizations, settings, seat limits,
members and invitations, on a clock that moves by seconds to weeks.

Every rule asks the model (tests/stateful/model.py) for the outcome first. A predicted refusal
must raise exactly that error class, with the predicted fields, and record nothing; a predicted
success must succeed, record something, and is then applied to the model. The invariants
(tests/stateful/invariants.py) run after every step.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

import tenantry
from tenantry.application.app import UNSET, Tenantry
from tenantry.domain import ids
from tests.stateful import invariants
from tests.stateful.model import (
    ACTIVE,
    DISPLAY_NAMES,
    EMAILS,
    EXTERNAL_IDS,
    INACTIVE,
    KNOWN_FEATURES,
    LIFETIMES,
    LIMITS,
    MEMBER_EMAILS,
    METADATA,
    PENDING,
    SLUGS,
    UNKNOWN_FEATURES,
    Admission,
    Invalid,
    Model,
    Refusal,
    Sample,
    first_invalid,
)
from tests.support import FakeClock

T = TypeVar("T")
# Few organizations, so that a run's members, limits and invitations meet often.
MAX_ORGANIZATIONS = 4
Member = tuple[str, str]  # (organization id, normalized e-mail)

# From seconds to 20 days, each scale as likely (one integer range would favour seconds), and the
# exact invitation lifetimes, so that "expires at now" (expired) is reached, not only passed.
CLOCK_STEPS = st.one_of(
    st.builds(timedelta, days=st.integers(1, 20)),
    st.builds(timedelta, hours=st.integers(1, 23)),
    st.builds(timedelta, minutes=st.integers(1, 59)),
    st.builds(timedelta, seconds=st.integers(1, 59)),
    st.sampled_from([timedelta(days=15), timedelta(days=3), timedelta(hours=1)]),
)
# How a rule names the user: e-mail, usr_ id, e-mail in other case and spacing, or garbage.
USER_FORMS = st.sampled_from(["email"] * 3 + ["usr_id"] * 3 + ["shouting", "garbage"])
FEATURE_PAIRS = st.lists(
    st.tuples(st.sampled_from([*KNOWN_FEATURES * 3, *UNKNOWN_FEATURES]), st.booleans()),
    max_size=3,
)


def mostly_valid(samples: list[Sample]) -> st.SearchStrategy[Sample]:
    """Each valid sample four times as likely as each invalid one, so that runs get far."""
    valid = [s for s in samples if not isinstance(s[1], Invalid)]
    invalid = [s for s in samples if isinstance(s[1], Invalid)]
    return st.sampled_from(valid * 4 + invalid)


def unset_or(samples: list[Sample]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(UNSET), mostly_valid(samples))


def user_arg(email: str, form: str) -> tuple[str, str | Invalid]:
    """The argument passed as ``user`` and what the model expects it to name."""
    if form == "usr_id":
        return ids.encode(ids.USER, ids.user_uuid(email)), email
    if form == "shouting":
        return f"  {email.upper()} ", email
    if form == "garbage":
        return "not-an-email", Invalid("user")
    return email, email


class OrganizationsMachine(RuleBasedStateMachine):
    """The application against the model, on one store (``memory://`` or a SQLite file)."""

    organizations = Bundle("organizations")
    members = Bundle("members")

    def __init__(self, database_url: str = "memory://") -> None:
        super().__init__()
        self.clock = FakeClock()
        counter = itertools.count(1)
        # Deterministic ids keep every run reproducible (hypothesis replays failures exactly).
        self.app = tenantry.connect(
            database_url, clock=self.clock, id_factory=lambda: UUID(int=next(counter))
        )
        self.other: Tenantry | None = None
        if database_url != "memory://":
            self.other = tenantry.connect(database_url, clock=self.clock)
        self.model = Model()
        self.position = 0

    def teardown(self) -> None:
        self.app.close()
        if self.other is not None:
            self.other.close()

    # --- helpers --------------------------------------------------------------------------------

    def refused(self, expected: Refusal, command: Callable[[], object]) -> None:
        before = self.app.recorder.max_notification_id()
        with pytest.raises(expected.error) as info:
            command()
        assert type(info.value) is expected.error, f"expected {expected}, got {info.value!r}"
        for name, value in expected.fields.items():
            assert getattr(info.value, name) == value, (expected, info.value.details)
        assert self.app.recorder.max_notification_id() == before, f"{expected} recorded events"

    def succeeded(self, command: Callable[[], T]) -> T:
        before = self.app.recorder.max_notification_id() or 0
        result = command()
        after = self.app.recorder.max_notification_id() or 0
        assert after > before, "a successful command recorded nothing"
        self.position = after
        return result

    def attempt(self, expected: Refusal | None, command: Callable[[], T]) -> T | None:
        """Runs ``command`` expecting the model's outcome; returns its result on success."""
        if expected is not None:
            self.refused(expected, command)
            return None
        return self.succeeded(command)

    def note_admission(self, org_id: str) -> None:
        limit = self.model.orgs[org_id].limit
        if limit:
            in_use = self.app.get_seat_usage(org_id).seats_in_use
            self.model.admissions.append(Admission(org_id, in_use, limit))

    @initialize()
    def start_empty(self) -> None:
        assert self.app.recorder.max_notification_id() is None

    # --- time -----------------------------------------------------------------------------------

    @precondition(lambda self: self.model.orgs)
    @rule(step=CLOCK_STEPS)
    def advance_clock(self, step: timedelta) -> None:
        self.clock.advance(step)

    # --- organizations --------------------------------------------------------------------------

    @precondition(lambda self: len(self.model.orgs) < MAX_ORGANIZATIONS)
    @rule(
        target=organizations,
        name=mostly_valid(DISPLAY_NAMES),
        external_id=mostly_valid(EXTERNAL_IDS),
        metadata=mostly_valid(METADATA),
        slug=mostly_valid(SLUGS),
        founder=st.one_of(st.none(), mostly_valid(EMAILS)),
    )
    def create_organization(
        self,
        name: Sample,
        external_id: Sample,
        metadata: Sample,
        slug: Sample,
        founder: Sample | None,
    ) -> Any:
        """Created directly, or by a sign-up that makes ``founder`` the first active admin."""
        expected = self.model.predict_create(name[1], external_id[1], metadata[1], slug[1])
        args = {"external_id": external_id[0], "metadata": metadata[0], "slug": slug[0]}
        if founder is None:
            command: Callable[[], Any] = partial(self.app.create_organization, name[0], **args)
        else:
            expected = first_invalid(founder[1]) or expected
            command = partial(self.app.sign_up, founder[0], name[0], **args)
        created = self.attempt(expected, command)
        if created is None:
            return multiple()
        org = created if founder is None else created.organization
        assert (org.display_name, org.external_id, org.slug, org.metadata) == (
            name[1],
            external_id[1],
            slug[1],
            metadata[1],
        )
        assert org.version == (1 if founder is None else 2)  # Created (+ MemberAdded)
        self.model.apply_create(org.id, name[1], external_id[1], metadata[1], slug[1])
        if founder is not None:
            assert created.membership.status == ACTIVE
            assert created.membership.roles == ["admin"]
            self.model.apply_add(org.id, founder[1])
        return org.id

    @rule(
        org_id=organizations,
        name=unset_or(DISPLAY_NAMES),
        external_id=unset_or(EXTERNAL_IDS),
        metadata=unset_or(METADATA),
        slug=unset_or(SLUGS),
    )
    def update_organization(
        self, org_id: str, name: Any, external_id: Any, metadata: Any, slug: Any
    ) -> None:
        """Any subset of fields, often to the values they already have (a no-op is refused)."""
        given = {
            "display_name": name,
            "external_id": external_id,
            "metadata": metadata,
            "slug": slug,
        }
        given = {k: v for k, v in given.items() if v is not UNSET}
        changes = {k: v[1] for k, v in given.items()}
        expected = self.model.predict_update(org_id, changes)
        kwargs = {k: v[0] for k, v in given.items()}
        updated = self.attempt(expected, partial(self.app.update_organization, org_id, **kwargs))
        if updated is not None:
            self.model.apply_update(org_id, changes)
            for k, v in changes.items():
                assert getattr(updated, k) == v

    @rule(org_id=organizations, pairs=FEATURE_PAIRS)
    def toggle_features(self, org_id: str, pairs: list[tuple[str, bool]]) -> None:
        """Known and unknown names, contradictions, and toggles to the current value."""
        expected = self.model.predict_features(org_id, pairs)
        command = partial(self.app.update_organization_settings, org_id, pairs)
        updated = self.attempt(expected, command)
        if updated is not None:
            self.model.orgs[org_id].features.update(pairs)
            assert {f.name: f.enabled for f in updated.settings.features} == (
                self.model.orgs[org_id].features
            )

    @rule(org_id=organizations, limit=mostly_valid(LIMITS))
    def set_seat_limit(self, org_id: str, limit: Sample) -> None:
        """None (off), 0 (no limit) or n, often below the seats already in use."""
        expected = self.model.predict_limit(org_id, limit[1])
        command = partial(self.app.upsert_user_management_settings, org_id, limit[0])
        if self.attempt(expected, command) is not None:
            self.model.orgs[org_id].limit = limit[1]

    @precondition(lambda self: sum(1 for _ in self.model.live_orgs()) >= 2)
    @rule(org_id=organizations)
    def delete_organization(self, org_id: str) -> None:
        expected = self.model.predict_delete(org_id)
        self.attempt(expected, partial(self.app.delete_organization, org_id))
        if expected is None:
            self.model.orgs[org_id].deleted = True

    # --- admissions -----------------------------------------------------------------------------

    @rule(
        target=members,
        org_id=organizations,
        email=mostly_valid(EMAILS),
        lifetime=mostly_valid(LIFETIMES),
    )
    def invite_member(self, org_id: str, email: Sample, lifetime: Sample) -> Any:
        now = self.clock()
        expected = self.model.predict_admission(org_id, email[1], now, lifetime[1])
        command = partial(self.app.invite_member, org_id, email[0], expires_in=lifetime[0])
        invited = self.attempt(expected, command)
        if invited is None:
            return multiple()
        assert (invited.status, invited.expires_at) == (PENDING, now + lifetime[1])
        assert invited.invitation is not None
        assert invited.invitation.status == "pending"
        self.model.apply_invite(org_id, email[1], now + lifetime[1])
        self.note_admission(org_id)
        return (org_id, email[1])

    @rule(target=members, org_id=organizations, email=mostly_valid(EMAILS))
    def add_member(self, org_id: str, email: Sample) -> Any:
        """Direct provisioning: an active member at once, if a seat is free."""
        expected = self.model.predict_admission(org_id, email[1], self.clock())
        added = self.attempt(expected, partial(self.app.add_member, org_id, email[0]))
        if added is None:
            return multiple()
        assert (added.status, added.provisioning_method) == (ACTIVE, "direct_provision")
        self.model.apply_add(org_id, email[1])
        self.note_admission(org_id)
        return (org_id, email[1])

    # --- invitations and members (members of the bundle, or anyone) ----------------------------

    anyone = st.one_of(members, st.tuples(organizations, st.sampled_from(MEMBER_EMAILS)))

    def on_member(
        self,
        member: Member,
        form: str,
        predict: Callable[[str, object], Refusal | None],
        command: Callable[[str, str], T],
    ) -> tuple[bool, T | None]:
        """Runs a member command on ``member`` named in ``form``; (succeeded, its result)."""
        org_id, email = member
        user, named = user_arg(email, form)
        expected = predict(org_id, named)
        return expected is None, self.attempt(expected, partial(command, org_id, user))

    @precondition(lambda self: self.model.has_invitations())
    @rule(member=anyone, form=USER_FORMS)
    def accept_invitation(self, member: Member, form: str) -> None:
        predict = partial(self.model.predict_accept, now=self.clock())
        _, accepted = self.on_member(member, form, predict, self.app.accept_invitation)
        if accepted is not None:
            assert (accepted.status, accepted.accepted_at) == (ACTIVE, self.clock())
            self.model.apply_accept(*member)

    @precondition(lambda self: self.model.has_invitations())
    @rule(member=anyone, form=USER_FORMS, lifetime=mostly_valid(LIFETIMES))
    def resend_invitation(self, member: Member, form: str, lifetime: Sample) -> None:
        """Extends a pending invitation; replaces an expired one (an admission)."""
        org_id, email = member
        now = self.clock()
        predict = partial(self.model.predict_resend, lifetime=lifetime[1], now=now)
        command = partial(self.app.resend_invitation, expires_in=lifetime[0])
        _, resent = self.on_member(member, form, predict, command)
        if resent is not None:
            was_pending = self.model.orgs[org_id].members[email].status_at(now) == PENDING
            m = self.model.apply_resend(org_id, email, now + lifetime[1], now)
            assert (resent.status, resent.expires_at) == (PENDING, now + lifetime[1])
            assert resent.invitation is not None
            assert resent.invitation.resent_count == m.resent_count
            if not was_pending:
                self.note_admission(org_id)

    @precondition(lambda self: self.model.has_invitations())
    @rule(member=anyone, form=USER_FORMS)
    def revoke_invitation(self, member: Member, form: str) -> None:
        """Only a pending invitation; one past its expiry is refused, swept or not."""
        predict = partial(self.model.predict_revoke, now=self.clock())
        ok, _ = self.on_member(member, form, predict, self.app.revoke_invitation)
        if ok:
            self.model.apply_revoke(*member)

    @precondition(lambda self: self.model.has_members())
    @rule(member=anyone, form=USER_FORMS)
    def remove_member(self, member: Member, form: str) -> None:
        ok, _ = self.on_member(member, form, self.model.predict_remove, self.app.remove_member)
        if ok:
            self.model.apply_remove(*member)

    @precondition(lambda self: self.model.has_members())
    @rule(member=anyone, form=USER_FORMS)
    def deactivate_member(self, member: Member, form: str) -> None:
        predict = partial(self.model.predict_deactivate, now=self.clock())
        _, done = self.on_member(member, form, predict, self.app.deactivate_member)
        if done is not None:
            assert done.status == INACTIVE
            self.model.set_status(*member, INACTIVE)

    @precondition(lambda self: self.model.has_members())
    @rule(member=anyone, form=USER_FORMS)
    def reactivate_member(self, member: Member, form: str) -> None:
        """An admission: refused while the seat limit is reached."""
        predict = partial(self.model.predict_reactivate, now=self.clock())
        _, done = self.on_member(member, form, predict, self.app.reactivate_member)
        if done is not None:
            assert done.status == ACTIVE
            self.model.set_status(*member, ACTIVE)
            self.note_admission(member[0])

    @precondition(lambda self: self.model.has_invitations())
    @rule(org_id=st.one_of(st.none(), organizations))
    def expire_invitations(self, org_id: str | None) -> None:
        """The sweep, over one organization or all; with nothing due it records nothing."""
        expected = self.model.predict_sweep(org_id)
        if expected is not None:
            self.refused(expected, partial(self.app.expire_invitations, org_id))
            return
        before = self.app.recorder.max_notification_id() or 0
        swept = self.app.expire_invitations(org_id)
        checked, expired = self.model.apply_sweep(org_id, self.clock())
        assert (swept.organizations_checked, swept.invitations_expired) == (checked, expired)
        after = self.app.recorder.max_notification_id() or 0
        assert (after > before) == (expired > 0)
        self.position = after

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def seats_in_use_match_the_model(self) -> None:
        invariants.seats_in_use_match_the_model(self.app, self.model, self.clock())

    @invariant()
    def admissions_stayed_within_limits(self) -> None:
        invariants.admissions_stayed_within_limits(self.model)

    @invariant()
    def natural_keys_are_unique(self) -> None:
        invariants.natural_keys_are_unique(self.app, self.model)

    @invariant()
    def organizations_match_the_model(self) -> None:
        invariants.organizations_match_the_model(self.app, self.model)

    @invariant()
    def memberships_match_the_model(self) -> None:
        invariants.memberships_match_the_model(self.app, self.model, self.clock())

    @invariant()
    def nothing_recorded_outside_successes(self) -> None:
        invariants.nothing_recorded_outside_successes(self.app, self.position)

    @invariant()
    def aggregates_replay_to_live_state(self) -> None:
        invariants.aggregates_replay_to_live_state(self.app, self.model)

    @precondition(lambda self: self.other is not None)
    @invariant()
    def a_second_connection_reads_the_same(self) -> None:
        assert self.other is not None
        invariants.a_second_connection_reads_the_same(
            self.app, self.other, self.model, self.clock()
        )


MACHINE_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_the_application_behaves_like_the_model_in_memory() -> None:
    run_state_machine_as_test(
        OrganizationsMachine,
        settings=settings(MACHINE_SETTINGS, max_examples=150, stateful_step_count=50),
    )


def test_the_application_behaves_like_the_model_on_a_sqlite_file(tmp_path: Path) -> None:
    class OnASQLiteFile(OrganizationsMachine):
        """A fresh database file per run; a second connection reads it beside the first."""

        def __init__(self) -> None:
            super().__init__(f"sqlite:///{tempfile.mkdtemp(dir=tmp_path)}/tenantry.db")

    run_state_machine_as_test(
        OnASQLiteFile, settings=settings(MACHINE_SETTINGS, max_examples=25, stateful_step_count=40)
    )
