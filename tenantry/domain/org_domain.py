"""The OrganizationDomain aggregate: an e-mail domain an organization says is its own, and
whether that is verified (by a DNS TXT record, or by an admin); and the DomainClaim aggregate
that lets one organization at most hold a verified domain.

A domain is verified when its DNS has the TXT record ``_tenantry-verification.<domain>`` with
the value ``tenantry-domain-verification=<token>`` (the token is made when the domain is added
and shown to the admin), or when an admin says so. Home-realm discovery follows only verified
domains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid5

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids
from tenantry.domain.base import Act, Aggregate, AggregateState, Timestamp
from tenantry.domain.connection_errors import DomainTaken
from tenantry.domain.connection_values import VerificationMethod
from tenantry.domain.errors import NothingChanged

TXT_PREFIX: Final = "_tenantry-verification"
TXT_VALUE_PREFIX: Final = "tenantry-domain-verification="


class OrganizationDomainState(AggregateState):
    organization_id: UUID
    name: str
    token: str
    verified_by: VerificationMethod | None = None
    verified_at: Timestamp | None = None
    deleted: bool = False


class OrganizationDomain(Aggregate):
    """One domain of one organization (see the module's docstring)."""

    State = OrganizationDomainState
    if TYPE_CHECKING:
        state: OrganizationDomainState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: OrganizationDomainState) -> None:
            pass

    class Added(Event, CanInitAggregate[UUID]):
        originator_topic: str
        organization_id: UUID
        name: str
        token: str
        """The verification token: public (it goes into DNS), not a secret."""

        def apply(self, aggregate: Any) -> None:
            aggregate.state = OrganizationDomainState(
                organization_id=self.organization_id, name=self.name, token=self.token
            )

    class Verified(Event):
        method: VerificationMethod

        def apply_to(self, s: OrganizationDomainState) -> None:
            s.verified_by = self.method
            s.verified_at = self.timestamp

    class Deleted(Event):
        def apply_to(self, s: OrganizationDomainState) -> None:
            s.deleted = True

    @classmethod
    def add(
        cls, domain_id: UUID, organization_id: UUID, name: str, token: str, act: Act
    ) -> OrganizationDomain:
        return cls._create(
            cls.Added,
            id=domain_id,
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            organization_id=organization_id,
            name=name,
            token=token,
        )

    @property
    def public_id(self) -> str:
        return ids.encode(ids.DOMAIN, self.id)

    @property
    def verified(self) -> bool:
        return self.state.verified_by is not None

    @property
    def txt_name(self) -> str:
        return f"{TXT_PREFIX}.{self.state.name}"

    @property
    def txt_value(self) -> str:
        return f"{TXT_VALUE_PREFIX}{self.state.token}"

    def verify(self, method: VerificationMethod, act: Act) -> None:
        if self.verified:
            raise NothingChanged("verification_status")
        self._record(self.Verified, act, method=method)

    def delete(self, act: Act) -> None:
        self._record(self.Deleted, act)


class DomainClaimState(AggregateState):
    name: str
    organization_id: UUID | None
    domain_id: UUID | None


class DomainClaim(Aggregate):
    """Holds one verified domain for at most one organization; its id is
    ``uuid5(NS_VERIFIED_DOMAIN, name)``, so two racing verifications of one domain write the same
    aggregate version and the store lets only one commit."""

    State = DomainClaimState
    if TYPE_CHECKING:
        state: DomainClaimState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: DomainClaimState) -> None:
            pass

    class Claimed(Event, CanInitAggregate[UUID]):
        originator_topic: str
        name: str
        organization_id: UUID
        domain_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.state = DomainClaimState(
                name=self.name, organization_id=self.organization_id, domain_id=self.domain_id
            )

    class Reclaimed(Event):
        organization_id: UUID
        domain_id: UUID

        def apply_to(self, s: DomainClaimState) -> None:
            s.organization_id = self.organization_id
            s.domain_id = self.domain_id

    class Released(Event):
        def apply_to(self, s: DomainClaimState) -> None:
            s.organization_id = None
            s.domain_id = None

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(ids.NS_VERIFIED_DOMAIN, name)

    @classmethod
    def claim(cls, domain: OrganizationDomain, act: Act) -> DomainClaim:
        """The first claim of the domain's name."""
        return cls._create(
            cls.Claimed,
            id=cls.create_id(domain.state.name),
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            name=domain.state.name,
            organization_id=domain.state.organization_id,
            domain_id=domain.id,
        )

    @property
    def holder(self) -> UUID | None:
        return self.state.organization_id

    def claim_for(self, domain: OrganizationDomain, act: Act, *, holder_live: bool) -> None:
        """Takes the name for the domain's organization; :class:`DomainTaken` while another
        organization holds it and lives (a deleted organization's domains are free)."""
        taken = self.holder is not None and self.holder != domain.state.organization_id
        if taken and holder_live:
            raise DomainTaken(self.state.name)
        if self.state.domain_id != domain.id:
            self._record(
                self.Reclaimed,
                act,
                organization_id=domain.state.organization_id,
                domain_id=domain.id,
            )

    def release(self, domain: OrganizationDomain, act: Act) -> None:
        if self.state.domain_id == domain.id:
            self._record(self.Released, act)
