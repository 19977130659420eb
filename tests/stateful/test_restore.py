"""A hypothesis state machine for deletion, restore and purge: organizations compete for a few
external ids and slugs while others are deleted, restored (with or without the keys taken
meanwhile) and purged, on a clock that moves by hours to weeks. A small explicit model predicts
each outcome; a predicted refusal must raise exactly that error and record nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

import tenantry
from tenantry.adapters.embedded import Embedded
from tenantry.domain import errors as e
from tenantry.domain import restore_errors as r
from tests.support import FakeClock

RESTORE_PERIOD = timedelta(days=30)
KEYS = st.sampled_from([None, "a", "b"])
STEPS = st.one_of(
    st.builds(timedelta, hours=st.integers(1, 23)), st.builds(timedelta, days=st.integers(1, 20))
)


@dataclass
class Org:
    external_id: str | None
    slug: str | None
    deleted_at: datetime | None = None
    purged: bool = False


class RestoreMachine(RuleBasedStateMachine):
    organizations = Bundle("organizations")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.app: Embedded = tenantry.connect("memory://", clock=self.clock)
        self.orgs: dict[str, Org] = {}

    def teardown(self) -> None:
        self.app.close()

    def holder(self, kind: str, key: str | None) -> str | None:
        return next(
            (
                i
                for i, o in self.orgs.items()
                if key and not o.deleted_at and getattr(o, kind) == key
            ),
            None,
        )

    def refused(self, error: type[e.TenantryError], command: Any, **fields: object) -> None:
        before = self.app.recorder.max_notification_id()
        with pytest.raises(error) as info:
            command()
        assert type(info.value) is error
        for name, value in fields.items():
            assert getattr(info.value, name) == value
        assert self.app.recorder.max_notification_id() == before

    @rule(target=organizations, external_id=KEYS, slug=KEYS)
    def create(self, external_id: str | None, slug: str | None) -> Any:
        if self.holder("external_id", external_id):
            self.refused(
                e.ExternalIdTaken,
                lambda: self.app.create_organization("O", external_id=external_id, slug=slug),
            )
            return multiple()
        if self.holder("slug", slug):
            self.refused(
                e.SlugTaken,
                lambda: self.app.create_organization("O", external_id=external_id, slug=slug),
            )
            return multiple()
        org = self.app.create_organization("O", external_id=external_id, slug=slug)
        self.orgs[org.id] = Org(external_id, slug)
        return org.id

    @rule(org_id=organizations)
    def delete(self, org_id: str) -> None:
        org = self.orgs[org_id]
        if org.deleted_at is not None:
            self.refused(e.OrganizationNotFound, lambda: self.app.delete_organization(org_id))
            return
        self.app.delete_organization(org_id)
        org.deleted_at = self.clock()

    @rule(org_id=organizations, release=st.booleans())
    def restore(self, org_id: str, release: bool) -> None:
        org = self.orgs[org_id]

        def command() -> Any:
            return self.app.restore_organization(org_id, release_taken_keys=release)

        if org.deleted_at is None:
            self.refused(r.OrganizationNotDeleted, command)
            return
        if org.purged or self.clock() >= org.deleted_at + RESTORE_PERIOD:
            self.refused(r.RestorePeriodOver, command, purge_at=org.deleted_at + RESTORE_PERIOD)
            return
        kept = {}
        for kind in ("external_id", "slug"):
            key = getattr(org, kind)
            taken = self.holder(kind, key) is not None
            if taken and not release:
                self.refused(r.RestoreKeyTaken, command, field=kind, key=key)
                return
            kept[kind] = None if taken else key
        restored = command()
        assert (restored.external_id, restored.slug) == (kept["external_id"], kept["slug"])
        org.external_id, org.slug, org.deleted_at = kept["external_id"], kept["slug"], None

    @precondition(lambda self: self.orgs)
    @rule(step=STEPS)
    def advance_clock(self, step: timedelta) -> None:
        self.clock.advance(step)

    @rule()
    def purge(self) -> None:
        due = [
            o
            for o in self.orgs.values()
            if o.deleted_at and not o.purged and self.clock() >= o.deleted_at + RESTORE_PERIOD
        ]
        sweep = self.app.purge_deleted_organizations()
        assert (sweep.organizations_checked, sweep.organizations_purged) == (
            len(self.orgs),
            len(due),
        )
        for o in due:
            o.purged = True

    @invariant()
    def the_live_organizations_and_their_keys_match_the_model(self) -> None:
        live = {i: o for i, o in self.orgs.items() if o.deleted_at is None}
        listed = self.app.list_organizations(page_size=100).organizations
        assert {o.id: (o.external_id, o.slug) for o in listed} == {
            i: (o.external_id, o.slug) for i, o in live.items()
        }
        for i, o in live.items():
            if o.external_id is not None:
                assert self.app.get_organization_by_external_id(o.external_id).id == i


def test_delete_restore_and_purge_behave_like_the_model() -> None:
    run_state_machine_as_test(
        RestoreMachine,
        settings=settings(
            deadline=None,
            max_examples=60,
            stateful_step_count=30,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
