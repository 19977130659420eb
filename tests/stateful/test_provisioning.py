"""A hypothesis state machine over SCIM provisioning: random interleavings of a directory's user
operations (create, deactivate, reactivate, replace with another e-mail, delete, membership of a
group mapped to a role) and of direct membership commands (add, remove, deactivate) keep the
organization's members — status and roles — equal to a tiny model, and never take more seats
than ``max_allowed_users``. Each rule predicts success or the exact error (a refusal must record
nothing); a rule rebuilds every aggregate involved from its stored events and compares it with
what the application holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import tenantry
from tenantry.application.app import Tenantry
from tenantry.application.provisioning_dto import ScimKind
from tenantry.domain import ids
from tenantry.domain.directory_roster import DirectoryRoster
from tenantry.errors import (
    AlreadyMember,
    MemberNotActive,
    MembershipNotFound,
    ScimResourceNotFound,
    ScimUniquenessConflict,
    SeatLimitReached,
    TenantryError,
)
from tests.provisioning_support import active_directory, scim_group, scim_user
from tests.support import FakeClock
from tests.unit.helpers import expect_outcome, replay

EMAILS = ("a@acme.test", "b@acme.test", "c@acme.test", "d@acme.test")
NAMES = ("Admins", "ADMINS", "Staff")
LIMIT = 2
DEFAULT, MAPPED = ["member"], ["admin"]
USER, GROUP = ScimKind.USER, ScimKind.GROUP


@dataclass
class Member:
    status: str | None  # ACTIVE, INACTIVE, None: removed
    roles: list[str]


@dataclass
class ScimUser:
    email: str
    active: bool


@dataclass
class Model:
    members: dict[str, Member] = field(default_factory=dict)
    users: dict[str, ScimUser] = field(default_factory=dict)  # live, in creation order
    group: list[str] = field(default_factory=list)  # the group's members
    group_name: str = "Admins"  # mapped to ``admin``; NAMES[1:] are not

    @property
    def mapped(self) -> bool:
        return self.group_name.casefold() == "admins"

    def status(self, email: str) -> str | None:
        member = self.members.get(email)
        return None if member is None else member.status

    def seats(self) -> int:
        return sum(m.status == "ACTIVE" for m in self.members.values())

    def holder(self, email: str) -> str | None:
        return next((u for u, s in self.users.items() if s.email == email), None)

    def roles_for(self, dus: str | None) -> list[str]:
        return MAPPED if self.mapped and dus is not None and dus in self.group else DEFAULT

    def activate(self, email: str, dus: str | None) -> type[TenantryError] | None:
        """What making ``email`` an active member does (as a SCIM user ``dus``); the refusal."""
        member = self.members.get(email)
        if member is None or member.status is None:
            if self.seats() >= LIMIT:
                return SeatLimitReached
            self.members[email] = Member("ACTIVE", self.roles_for(dus))
            return None
        if member.status == "INACTIVE":
            if self.seats() >= LIMIT:
                return SeatLimitReached
            member.status = "ACTIVE"
        if self.mapped and dus is not None and dus in self.group:
            member.roles = MAPPED
        return None


class ProvisioningMachine(RuleBasedStateMachine):
    users = Bundle("users")

    def __init__(self) -> None:
        super().__init__()
        self.app: Tenantry = tenantry.connect("memory://", clock=FakeClock())
        self.model = Model()
        self.org = ""
        self.directory = ""
        self.group_id = ""

    def teardown(self) -> None:
        self.app.close()

    def expect(self, error: type[TenantryError] | None, call: Any, *, records: bool = True) -> Any:
        return expect_outcome(self.app, error, call, records=records)

    @initialize()
    def a_directory_and_a_mapped_group(self) -> None:
        mapping = {"group_roles": {"Admins": "admin"}}
        self.org, self.directory = active_directory(self.app, seats=LIMIT, mapping=mapping)
        self.group_id = self.app.scim_create(self.directory, GROUP, scim_group(NAMES[0], [])).id

    # --- SCIM ----------------------------------------------------------------------------------

    @rule(target=users, email=st.sampled_from(EMAILS), active=st.booleans())
    def create(self, email: str, active: bool) -> str:
        model = self.model
        error: type[TenantryError] | None = None
        if model.holder(email) is not None:
            error = ScimUniquenessConflict
        elif active:
            snapshot = _copy(model.members)
            error = model.activate(email, None)
            if error is not None:
                model.members = snapshot
        elif model.status(email) == "ACTIVE":
            model.members[email].status = "INACTIVE"
        doc = scim_user(email, active=active)
        record = self.expect(error, lambda: self.app.scim_create(self.directory, USER, doc))
        if record is None:
            return ids.encode(ids.DIRECTORY_USER, ids.new_id())  # a user no one has
        model.users[record.id] = ScimUser(email, active)
        return str(record.id)

    @rule(dus=users, active=st.booleans())
    def set_active(self, dus: str, active: bool) -> None:
        self._replace(dus, None, active)

    @rule(dus=users, email=st.sampled_from(EMAILS))
    def change_email(self, dus: str, email: str) -> None:
        self._replace(dus, email, None)

    def _replace(self, dus: str, email: str | None, active: bool | None) -> None:
        model = self.model
        user = model.users.get(dus)
        if user is None:
            doc = scim_user(email or EMAILS[0], active=bool(active))
            call = lambda: self.app.scim_replace(self.directory, USER, dus, doc)  # noqa: E731
            self.expect(ScimResourceNotFound, call)
            return
        new_email = email or user.email
        new_active = user.active if active is None else active
        doc = scim_user(new_email, active=new_active)
        call = lambda: self.app.scim_replace(self.directory, USER, dus, doc)  # noqa: E731
        if (new_email, new_active) == (user.email, user.active):
            self.expect(None, call, records=False)
            return
        holder = model.holder(new_email)
        if holder is not None and holder != dus:
            self.expect(ScimUniquenessConflict, call)
            return
        snapshot = _copy(model.members)
        error: type[TenantryError] | None = None
        if new_email != user.email:
            old = model.members.get(user.email)
            if old is not None and old.status is not None:
                old.status = None
            error = self._link(new_email, dus, new_active)
        elif new_active:
            error = model.activate(new_email, dus)
        elif model.status(new_email) == "ACTIVE":
            model.members[new_email].status = "INACTIVE"
        if error is not None:
            model.members = snapshot
        self.expect(error, call)
        if error is None:
            user.email, user.active = new_email, new_active

    def _link(self, email: str, dus: str, active: bool) -> type[TenantryError] | None:
        if active:
            return self.model.activate(email, dus)
        if self.model.status(email) == "ACTIVE":
            self.model.members[email].status = "INACTIVE"
        return None

    @rule(dus=users)
    def delete(self, dus: str) -> None:
        model = self.model
        user = model.users.pop(dus, None)
        call = lambda: self.app.scim_delete(self.directory, USER, dus)  # noqa: E731
        if user is None:
            self.expect(ScimResourceNotFound, call)
            return
        self.expect(None, call)
        if model.status(user.email) is not None:
            model.members[user.email].status = None
        if dus in model.group:
            model.group.remove(dus)

    @rule(data=st.data())
    def set_group_members(self, data: st.DataObject) -> None:
        live = list(self.model.users)
        wanted = data.draw(st.lists(st.sampled_from(live), unique=True)) if live else []
        self._replace_group(self.model.group_name, wanted)

    @rule(name=st.sampled_from(NAMES))
    def rename_group(self, name: str) -> None:
        self._replace_group(name, list(self.model.group))

    def _replace_group(self, name: str, wanted: list[str]) -> None:
        model = self.model
        changed = set(wanted) ^ set(model.group)
        was_mapped, renamed = model.mapped, name != model.group_name
        doc = scim_group(name, wanted)
        call = lambda: self.app.scim_replace(self.directory, GROUP, self.group_id, doc)  # noqa: E731
        self.expect(None, call, records=bool(changed) or renamed)
        model.group = [m for m in model.group if m in wanted] + [
            m for m in wanted if m not in model.group
        ]
        model.group_name = name
        if model.mapped != was_mapped:
            changed |= set(model.group)
        elif not model.mapped:
            changed = set()
        for dus in changed:
            member = model.members.get(model.users[dus].email)
            if member is not None and member.status is not None:
                member.roles = model.roles_for(dus)

    # --- direct membership commands ------------------------------------------------------------

    @rule(email=st.sampled_from(EMAILS))
    def add_member(self, email: str) -> None:
        status = self.model.status(email)
        error: type[TenantryError] | None = None
        if status is not None:
            error = AlreadyMember
        elif self.model.seats() >= LIMIT:
            error = SeatLimitReached
        self.expect(error, lambda: self.app.add_member(self.org, email))
        if error is None:
            self.model.members[email] = Member("ACTIVE", DEFAULT)

    @rule(email=st.sampled_from(EMAILS))
    def remove_member(self, email: str) -> None:
        error = MembershipNotFound if self.model.status(email) is None else None
        self.expect(error, lambda: self.app.remove_member(self.org, email))
        if error is None:
            self.model.members[email].status = None

    @rule(email=st.sampled_from(EMAILS))
    def deactivate_member(self, email: str) -> None:
        status = self.model.status(email)
        error: type[TenantryError] | None = None
        if status is None:
            error = MembershipNotFound
        elif status != "ACTIVE":
            error = MemberNotActive
        self.expect(error, lambda: self.app.deactivate_member(self.org, email))
        if error is None:
            self.model.members[email].status = "INACTIVE"

    # --- checks --------------------------------------------------------------------------------

    @invariant()
    def members_match_the_model(self) -> None:
        if not self.org:
            return
        for email in EMAILS:
            member = self.model.members.get(email)
            if member is None or member.status is None:
                with pytest.raises(MembershipNotFound):
                    self.app.get_membership(self.org, email)
                continue
            got = self.app.get_membership(self.org, email)
            assert (got.status, got.roles) == (member.status, member.roles), email
        seats = self.app.get_seat_usage(self.org).seats_in_use
        assert seats == self.model.seats() <= LIMIT

    @invariant()
    def the_directory_lists_the_live_users_in_creation_order(self) -> None:
        if self.directory:
            assert self.app.scim_ids(self.directory, USER) == list(self.model.users)
            group = self.app.scim_get(self.directory, GROUP, self.group_id).document
            assert [m["value"] for m in group["members"]] == self.model.group

    @rule()
    def rebuilt_from_stored_events_equals_the_live_state(self) -> None:
        roster = DirectoryRoster.create_id(ids.decode(ids.DIRECTORY, self.directory))
        aggregates = [
            roster,
            ids.decode(ids.ORG, self.org),
            ids.decode(ids.DIRECTORY_GROUP, self.group_id),
            *(ids.decode(ids.DIRECTORY_USER, u) for u in self.model.users),
        ]
        for uid in aggregates:
            live = self.app.repository.get(uid)
            rebuilt = replay(self.app.events.get(uid))
            assert (rebuilt.state, rebuilt.version) == (live.state, live.version)


def _copy(members: dict[str, Member]) -> dict[str, Member]:
    return {k: Member(m.status, list(m.roles)) for k, m in members.items()}


def test_provisioning_keeps_the_members_equal_to_the_model() -> None:
    run_state_machine_as_test(
        ProvisioningMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
