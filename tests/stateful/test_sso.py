"""A hypothesis state machine over SSO connections and domains: a tiny explicit model predicts
each command's outcome — the exact error class of a refusal (which must record nothing), or
success — and after every step the invariants compare what the application answers (a
connection's ``enabled``/``active``, each domain's holder, home-realm discovery) with the model,
and a rebuild of every SSO aggregate from its stored events with what the application holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.fernet import Fernet
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
from tenantry.domain import ids
from tenantry.errors import (
    ConnectionIncomplete,
    ConnectionNotFound,
    DomainAlreadyAdded,
    DomainNotFound,
    DomainTaken,
    FeatureDisabled,
    NoConnectionForEmail,
    NothingChanged,
    TenantryError,
)
from tests.sso_support import make_certificate, pem
from tests.support import FakeClock
from tests.unit.helpers import expect_outcome, replay

NAMES = ("acme.example", "beta.example")
CERT = pem(make_certificate())


@dataclass
class Conn:
    org: str
    complete: bool = False
    enabled: bool = False
    deleted: bool = False


@dataclass
class Dom:
    org: str
    name: str
    verified: bool = False
    deleted: bool = False


@dataclass
class Model:
    sso: dict[str, bool] = field(default_factory=dict)
    conns: dict[str, Conn] = field(default_factory=dict)  # in creation order
    doms: dict[str, Dom] = field(default_factory=dict)

    def holder(self, name: str) -> str | None:
        held = [
            d.org for d in self.doms.values() if d.name == name and d.verified and not d.deleted
        ]
        return held[0] if held else None

    def discovered(self, name: str) -> str | None:
        org = self.holder(name)
        if org is None or not self.sso[org]:
            return None
        live = [
            cid for cid, c in self.conns.items() if c.org == org and c.enabled and not c.deleted
        ]
        return live[0] if live else None


class SsoMachine(RuleBasedStateMachine):
    conns = Bundle("conns")
    doms = Bundle("doms")

    def __init__(self) -> None:
        super().__init__()
        self.app: Tenantry = tenantry.connect("memory://", clock=FakeClock())
        self.app.configure_sso(secret_keys=[Fernet.generate_key().decode()])
        self.model = Model()
        self.orgs: list[str] = []

    def teardown(self) -> None:
        self.app.close()

    def expect(self, error: type[TenantryError] | None, call: Any) -> Any:
        return expect_outcome(self.app, error, call)

    @initialize()
    def two_organizations(self) -> None:
        for name in ("One", "Two"):
            org = self.app.create_organization(name).id
            self.orgs.append(org)
            self.model.sso[org] = False

    @rule(i=st.integers(0, 1), on=st.booleans())
    def toggle_sso(self, i: int, on: bool) -> None:
        org = self.orgs[i]
        error = NothingChanged if self.model.sso[org] == on else None
        self.expect(error, lambda: self.app.update_organization_settings(org, [("sso", on)]))
        self.model.sso[org] = on

    @rule(target=conns, i=st.integers(0, 1), kind=st.sampled_from(["SAML", "OIDC"]))
    def create_connection(self, i: int, kind: str) -> str:
        conn_id: str = self.expect(None, lambda: self.app.create_connection(self.orgs[i], kind)).id
        self.model.conns[conn_id] = Conn(self.orgs[i])
        return conn_id

    @rule(conn_id=conns)
    def complete(self, conn_id: str) -> None:
        c = self.model.conns[conn_id]
        view = None if c.deleted else self.app.get_connection(c.org, conn_id)
        if view is None or view.type == "SAML":
            saml = {
                "idp_entity_id": "https://idp",
                "sso_url": "https://idp/sso",
                "certificates": [CERT],
            }
            settings_: dict[str, Any] = {"saml": saml}
        else:
            settings_ = {"oidc": {"issuer": "https://idp", "client_id": "c", "client_secret": "s"}}
        error = ConnectionNotFound if c.deleted else None
        if error is None and c.complete and view is not None and view.type == "SAML":
            error = NothingChanged
        self.expect(error, lambda: self.app.update_connection(c.org, conn_id, **settings_))
        c.complete = c.complete or error is None

    @rule(conn_id=conns)
    def enable(self, conn_id: str) -> None:
        c = self.model.conns[conn_id]
        error: type[TenantryError] | None = None
        if c.deleted:
            error = ConnectionNotFound
        elif c.enabled:
            error = NothingChanged
        elif not c.complete:
            error = ConnectionIncomplete
        elif not self.model.sso[c.org]:
            error = FeatureDisabled
        self.expect(error, lambda: self.app.enable_connection(c.org, conn_id))
        c.enabled = c.enabled or error is None

    @rule(conn_id=conns)
    def disable(self, conn_id: str) -> None:
        c = self.model.conns[conn_id]
        error = ConnectionNotFound if c.deleted else None if c.enabled else NothingChanged
        self.expect(error, lambda: self.app.disable_connection(c.org, conn_id))
        c.enabled = c.enabled and error is not None

    @rule(conn_id=conns)
    def delete_connection(self, conn_id: str) -> None:
        c = self.model.conns[conn_id]
        error = ConnectionNotFound if c.deleted else None
        self.expect(error, lambda: self.app.delete_connection(c.org, conn_id))
        c.deleted, c.enabled = True, False

    @rule(target=doms, i=st.integers(0, 1), name=st.sampled_from(NAMES))
    def add_domain(self, i: int, name: str) -> str:
        org = self.orgs[i]
        listed = any(
            d.org == org and d.name == name and not d.deleted for d in self.model.doms.values()
        )
        added = self.expect(
            DomainAlreadyAdded if listed else None, lambda: self.app.add_domain(org, name)
        )
        if added is None:
            return "dom_00000000000000000000000000"  # a well-formed id no domain has
        self.model.doms[added.id] = Dom(org, name)
        return str(added.id)

    @rule(dom_id=doms, i=st.integers(0, 1))
    def verify_domain(self, dom_id: str, i: int) -> None:
        d = self.model.doms.get(dom_id)
        org = d.org if d is not None else self.orgs[i]
        error: type[TenantryError] | None = None
        if d is None or d.deleted:
            error = DomainNotFound
        elif self.model.holder(d.name) not in (None, d.org):
            error = DomainTaken
        elif d.verified:
            error = NothingChanged
        self.expect(error, lambda: self.app.verify_domain(org, dom_id, method="ADMIN"))
        if d is not None:
            d.verified = d.verified or error is None

    @rule(dom_id=doms, i=st.integers(0, 1))
    def delete_domain(self, dom_id: str, i: int) -> None:
        d = self.model.doms.get(dom_id)
        org = d.org if d is not None else self.orgs[i]
        error = DomainNotFound if d is None or d.deleted else None
        self.expect(error, lambda: self.app.delete_domain(org, dom_id))
        if d is not None:
            d.deleted = True

    @invariant()
    def connections_are_active_exactly_when_enabled_with_the_feature_on(self) -> None:
        for conn_id, c in self.model.conns.items():
            if c.deleted:
                continue
            view = self.app.get_connection(c.org, conn_id)
            assert (view.enabled, view.active) == (c.enabled, c.enabled and self.model.sso[c.org])

    @invariant()
    def discovery_finds_the_holders_oldest_active_connection(self) -> None:
        for name in NAMES:
            expected = self.model.discovered(name)
            if expected is None:
                with pytest.raises(NoConnectionForEmail):
                    self.app.discover_connection(f"ann@{name}")
            else:
                assert self.app.discover_connection(f"ann@{name}").id == expected

    @invariant()
    def every_sso_aggregate_rebuilds_from_its_stored_events(self) -> None:
        for conn_id in self.model.conns:
            uid = ids.decode(ids.CONNECTION, conn_id)
            held = self.app.repository.get(uid)
            assert replay(self.app.events.get(uid)).state == held.state


def test_sso_state_machine() -> None:
    run_state_machine_as_test(
        SsoMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
