"""The Connection aggregate: one organization's SSO connection to its identity provider (SAML or
OIDC), its settings, attribute mapping, enabled state and last test result.

A connection signs people in only while it is *active*: enabled, and its organization's ``sso``
feature on. Turning the feature off therefore stops sign-in without touching the connection;
turning it on again brings back every connection that was enabled. Settings carry the OIDC
client secret only encrypted (the application encrypts it before it reaches an event).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids
from tenantry.domain.base import Act, Aggregate, AggregateState, Timestamp
from tenantry.domain.connection_errors import ConnectionIncomplete, WrongConnectionType
from tenantry.domain.connection_values import (
    AttributeMapping,
    ConnectionType,
    OidcSettings,
    Provider,
    SamlSettings,
    TestResult,
    not_expired,
)
from tenantry.domain.errors import NothingChanged
from tenantry.domain.feature_errors import FeatureDisabled

SSO_FEATURE = "sso"


class ConnectionState(AggregateState):
    organization_id: UUID
    type: ConnectionType
    provider: Provider
    saml: SamlSettings | None = None
    oidc: OidcSettings | None = None
    mapping: AttributeMapping = AttributeMapping()
    enabled: bool = False
    test_result: TestResult = TestResult.NOT_TESTED
    test_reason: str | None = None
    tested_at: Timestamp | None = None
    deleted: bool = False


class Connection(Aggregate):
    """An organization's SSO connection (see the module's docstring)."""

    State = ConnectionState
    if TYPE_CHECKING:
        state: ConnectionState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: ConnectionState) -> None:
            pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
        organization_id: UUID
        type: ConnectionType
        provider: Provider

        def apply(self, aggregate: Any) -> None:
            saml = SamlSettings() if self.type is ConnectionType.SAML else None
            oidc = OidcSettings() if self.type is ConnectionType.OIDC else None
            aggregate.state = ConnectionState(
                organization_id=self.organization_id,
                type=self.type,
                provider=self.provider,
                saml=saml,
                oidc=oidc,
            )

    class Configured(Event):
        """New settings (each field the whole new value; ``None``: unchanged)."""

        provider: Provider | None = None
        saml: SamlSettings | None = None
        oidc: OidcSettings | None = None
        mapping: AttributeMapping | None = None

        def apply_to(self, s: ConnectionState) -> None:
            s.provider = self.provider or s.provider
            s.saml = self.saml or s.saml
            s.oidc = self.oidc or s.oidc
            s.mapping = self.mapping or s.mapping

    class Enabled(Event):
        def apply_to(self, s: ConnectionState) -> None:
            s.enabled = True

    class Disabled(Event):
        def apply_to(self, s: ConnectionState) -> None:
            s.enabled = False

    class Deleted(Event):
        def apply_to(self, s: ConnectionState) -> None:
            s.deleted = True
            s.enabled = False

    class Tested(Event):
        """The outcome of an admin's test login: success, or the exact reason it failed."""

        result: TestResult
        test_reason: str | None = None

        def apply_to(self, s: ConnectionState) -> None:
            s.test_result = self.result
            s.test_reason = self.test_reason
            s.tested_at = self.timestamp

    class SignInRefused(Event):
        """A sign-in through the connection was refused after the IdP vouched for the person
        (``refusal``: e.g. ``seat_limit_reached``); the e-mail names who, never a credential."""

        refusal: str
        email: str

    @classmethod
    def create(
        cls,
        connection_id: UUID,
        organization_id: UUID,
        connection_type: ConnectionType,
        provider: Provider,
        act: Act,
    ) -> Connection:
        return cls._create(
            cls.Created,
            id=connection_id,
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            organization_id=organization_id,
            type=connection_type,
            provider=provider,
        )

    @property
    def public_id(self) -> str:
        return ids.encode(ids.CONNECTION, self.id)

    def missing(self) -> list[str]:
        """The settings an enabled connection needs and this one lacks."""
        s = self.state
        settings = s.saml if s.type is ConnectionType.SAML else s.oidc
        return settings.missing() if settings is not None else [s.type.lower()]

    def is_active(self, sso_feature_on: bool) -> bool:
        """Whether it signs people in: enabled, and the organization's ``sso`` feature on."""
        return self.state.enabled and sso_feature_on and not self.state.deleted

    def configure(
        self,
        act: Act,
        *,
        provider: Provider | None = None,
        saml: SamlSettings | None = None,
        oidc: OidcSettings | None = None,
        mapping: AttributeMapping | None = None,
    ) -> None:
        """Changes settings; a certificate must not have expired, settings must be of the
        connection's type, and something must change."""
        s = self.state
        if saml is not None and s.type is not ConnectionType.SAML:
            raise WrongConnectionType(s.type, ConnectionType.SAML)
        if oidc is not None and s.type is not ConnectionType.OIDC:
            raise WrongConnectionType(s.type, ConnectionType.OIDC)
        changes: dict[str, Any] = {}
        if provider is not None and provider != s.provider:
            changes["provider"] = provider
        if saml is not None and saml != s.saml:
            for i, certificate in enumerate(saml.certificates):
                not_expired(certificate, act.now, f"saml.certificates[{i}]")
            changes["saml"] = saml
        if oidc is not None and oidc != s.oidc:
            changes["oidc"] = oidc
        if mapping is not None and mapping != s.mapping:
            changes["mapping"] = mapping
        if not changes:
            raise NothingChanged("connection")
        self._record(self.Configured, act, **changes)

    def update(
        self,
        act: Act,
        *,
        provider: Provider | None = None,
        saml: Mapping[str, Any] | None = None,
        oidc: Mapping[str, Any] | None = None,
        mapping: Mapping[str, Any] | None = None,
    ) -> None:
        """Replaces the settings named in ``saml``, ``oidc`` and ``mapping`` (and the provider
        label), as one change (see :meth:`configure`)."""
        s = self.state
        if saml is not None and s.saml is None:
            raise WrongConnectionType(s.type, ConnectionType.SAML)
        if oidc is not None and s.oidc is None:
            raise WrongConnectionType(s.type, ConnectionType.OIDC)
        self.configure(
            act,
            provider=provider,
            saml=None if saml is None or s.saml is None else s.saml.model_copy(update=saml),
            oidc=None if oidc is None or s.oidc is None else s.oidc.model_copy(update=oidc),
            mapping=None if mapping is None else s.mapping.model_copy(update=mapping),
        )

    def enable(self, sso_feature_on: bool, act: Act) -> None:
        """Enables sign-in: needs a complete configuration and the ``sso`` feature on."""
        if self.state.enabled:
            raise NothingChanged("enabled")
        missing = self.missing()
        if missing:
            raise ConnectionIncomplete(missing)
        if not sso_feature_on:
            raise FeatureDisabled(ids.encode(ids.ORG, self.state.organization_id), SSO_FEATURE)
        self._record(self.Enabled, act)

    def disable(self, act: Act) -> None:
        if not self.state.enabled:
            raise NothingChanged("enabled")
        self._record(self.Disabled, act)

    def delete(self, act: Act) -> None:
        self._record(self.Deleted, act)

    def record_test(self, result: TestResult, test_reason: str | None, act: Act) -> None:
        self._record(self.Tested, act, result=result, test_reason=test_reason)

    def refuse_sign_in(self, refusal: str, email: str, act: Act) -> None:
        """Records a refused sign-in (the audit trail of a full organization, for example)."""
        self._record(self.SignInRefused, act, refusal=refusal, email=email)
