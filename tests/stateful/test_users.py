"""The users' rule set of the state machine: deleting a user removes each of their memberships
and frees its seat, a deleted user is not found until admitted again, and an external id is held
by at most one live user. It extends the organizations machine (tests/stateful/
test_organizations.py), so users are deleted between every other command of the application.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from functools import partial
from pathlib import Path

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test

from tenantry.domain import errors as e
from tenantry.domain.user_errors import UserExternalIdTaken
from tests.stateful.model import MEMBER_EMAILS, Member, Model, Refusal, refusal
from tests.stateful.test_organizations import (
    MACHINE_SETTINGS,
    USER_FORMS,
    OrganizationsMachine,
    user_arg,
)

USER_EXTERNAL_IDS = ["crm-1", "crm-2"]


class UsersModel(Model):
    """The organizations model, plus which users are live and which external ids they hold."""

    def __init__(self) -> None:
        super().__init__()
        self.live_users: set[str] = set()
        self.external_ids: dict[str, str] = {}  # user e-mail -> external id

    def apply_invite(self, org_id: str, email: str, expires_at: datetime) -> Member:
        self.live_users.add(email)  # an admission registers (or brings back) the user
        return super().apply_invite(org_id, email, expires_at)

    def apply_add(self, org_id: str, email: str) -> Member:
        self.live_users.add(email)
        return super().apply_add(org_id, email)

    def predict_user(self, email: object) -> Refusal | None:
        if not isinstance(email, str):
            return refusal(e.InvalidField, field="user")
        if email not in self.live_users:
            return refusal(e.UserNotFound)
        return None

    def predict_external_id(self, email: object, key: str) -> Refusal | None:
        unknown = self.predict_user(email)
        if unknown is not None:
            return unknown
        holder = next((u for u, k in self.external_ids.items() if k == key), None)
        if holder == email:
            return refusal(e.NothingChanged)
        return None if holder is None else refusal(UserExternalIdTaken, external_id=key)

    def apply_delete_user(self, email: str) -> list[str]:
        """Removes the user's memberships, in deleted organizations too (this machine does not
        purge); their org ids."""
        self.live_users.discard(email)
        self.external_ids.pop(email, None)
        removed = []
        for org in self.orgs.values():
            member = org.members.get(email)
            if member is not None and member.status is not None:
                self.apply_remove(org.id, email)
                removed.append(org.id)
        return removed


class UsersMachine(OrganizationsMachine):
    def __init__(self, database_url: str = "memory://") -> None:
        super().__init__(database_url)
        self.model = UsersModel()

    @property
    def users(self) -> UsersModel:
        assert isinstance(self.model, UsersModel)
        return self.model

    @precondition(lambda self: self.model.emails_used)
    @rule(email=st.sampled_from(MEMBER_EMAILS), form=USER_FORMS)
    def delete_user(self, email: str, form: str) -> None:
        """Every membership goes (its seat freed), in batches, then the user."""
        user, named = user_arg(email, form)
        expected = self.users.predict_user(named)
        deleted = self.attempt(expected, partial(self.app.delete_user, user))
        event("delete_user: " + ("refused" if deleted is None else "deleted"))
        if deleted is not None:
            removed = self.users.apply_delete_user(email)
            assert sorted(deleted.removed_from) == sorted(removed)

    @precondition(lambda self: self.model.emails_used)
    @rule(email=st.sampled_from(MEMBER_EMAILS), key=st.sampled_from(USER_EXTERNAL_IDS))
    def give_external_id(self, email: str, key: str) -> None:
        expected = self.users.predict_external_id(email, key)
        changed = self.attempt(expected, partial(self.app.update_user, email, external_id=key))
        if changed is not None:
            assert changed.external_id == key
            self.users.external_ids[email] = key

    @invariant()
    def seats_in_use_are_the_live_memberships_holding_one(self) -> None:
        now = self.clock()
        for org in self.model.live_orgs():
            holding = 0
            for email in org.members:
                try:
                    m = self.app.get_membership(org.id, email)
                except e.MembershipNotFound:
                    continue
                holding += m.status == "ACTIVE" or m.status == "PENDING_INVITE"
            assert self.app.get_seat_usage(org.id).seats_in_use == holding, org.id
            assert holding == org.seats_in_use(now), org.id

    @invariant()
    def users_are_found_while_live(self) -> None:
        for email in sorted(self.model.emails_used):
            if email in self.users.live_users:
                user = self.app.get_user(email)
                assert user.external_id == self.users.external_ids.get(email), email
            else:
                try:
                    self.app.get_user(email)
                except e.UserNotFound:
                    continue
                raise AssertionError(f"{email} was deleted yet is found")
        for email, key in self.users.external_ids.items():
            assert self.app.get_user_by_external_id(key).email == email


def test_deleting_users_frees_their_seats_in_memory() -> None:
    run_state_machine_as_test(
        UsersMachine, settings=settings(MACHINE_SETTINGS, max_examples=80, stateful_step_count=40)
    )


def test_deleting_users_frees_their_seats_on_a_sqlite_file(tmp_path: Path) -> None:
    class OnASQLiteFile(UsersMachine):
        def __init__(self) -> None:
            super().__init__(f"sqlite:///{tempfile.mkdtemp(dir=tmp_path)}/tenantry.db")

    run_state_machine_as_test(
        OnASQLiteFile, settings=settings(MACHINE_SETTINGS, max_examples=15, stateful_step_count=30)
    )
