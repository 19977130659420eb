"""An organization's e-mail domains: add, list, delete, verify (by a DNS TXT record, or by an
admin's word), and home-realm discovery: from an e-mail address to the active SSO connection of
the organization that verified its domain.

A verified domain belongs to one organization (:class:`DomainClaim`); adding a domain does not
claim it, so any organization may add one and the first to verify it holds it.
"""

from __future__ import annotations

import secrets
from typing import Final
from uuid import UUID

import dns.exception
import dns.resolver

from tenantry.application.connection_dto import Connection, OrganizationDomain, domain_of
from tenantry.application.connection_dto import connection_of as _connection_of
from tenantry.application.kernel import command
from tenantry.application.sso_config import SsoKernel
from tenantry.domain import connection_values as cv
from tenantry.domain import ids, values
from tenantry.domain.base import Act
from tenantry.domain.connection import Connection as ConnectionAggregate
from tenantry.domain.connection_errors import (
    DomainNotFound,
    DomainNotVerified,
    NoConnectionForEmail,
)
from tenantry.domain.connection_values import VerificationMethod
from tenantry.domain.errors import InvalidField
from tenantry.domain.org_domain import DomainClaim
from tenantry.domain.org_domain import OrganizationDomain as DomainAggregate
from tenantry.domain.organization import Organization

TOKEN_BYTES: Final = 24


class Domains(SsoKernel):
    """Organization domains and home-realm discovery (see the module's docstring)."""

    @command
    def add_domain(
        self,
        organization_id: str,
        domain: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> OrganizationDomain:
        """Adds ``domain`` (unverified); its ``verification`` tells the TXT record to publish."""
        name = cv.domain_name(domain)
        who, why = values.actor(actor), values.reason(reason)
        token = secrets.token_urlsafe(TOKEN_BYTES)

        def command() -> OrganizationDomain:
            org = self._org(organization_id)
            act = Act(self.now(org), who, why)
            added = DomainAggregate.add(self._new_id(), org.id, name, token, act)
            registry = self._registry(org.id, act)
            registry.list_domain(name, added.id, act)
            self._save(added, registry)
            return domain_of(added)

        return self.run_command(command)

    def get_domain(self, organization_id: str, domain_id: str) -> OrganizationDomain:
        org = self._org(organization_id, for_update=False)
        return domain_of(self._domain(org, domain_id, for_update=False))

    def list_domains(self, organization_id: str) -> list[OrganizationDomain]:
        """The organization's domains, in the order they were added."""
        org = self._org(organization_id, for_update=False)
        found = []
        for uid in self._listed(org.id).domains.values():
            domain = self._get(uid, DomainAggregate, for_update=False)
            if domain is not None and not domain.state.deleted:
                found.append(domain_of(domain))
        return found

    @command
    def verify_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        method: str = "DNS",
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> OrganizationDomain:
        """Verifies the domain: ``DNS`` looks up its TXT record (:class:`DomainNotVerified`
        until it is there), ``ADMIN`` takes the caller's word. Another organization's verified
        domain is refused (:class:`DomainTaken`)."""
        how = _method(method)
        who, why = values.actor(actor), values.reason(reason)
        if how is VerificationMethod.DNS:
            org = self._org(organization_id, for_update=False)
            self._check_dns(self._domain(org, domain_id, for_update=False))

        def command() -> OrganizationDomain:
            org = self._org(organization_id)
            domain = self._domain(org, domain_id)
            claim = self._get(DomainClaim.create_id(domain.state.name), DomainClaim)
            act = Act(self.now(org, domain, claim), who, why)
            if claim is None:
                claim = DomainClaim.claim(domain, act)
            else:
                claim.claim_for(domain, act, holder_live=self._lives(claim.holder))
            domain.verify(how, act)
            self._save(domain, claim)
            return domain_of(domain)

        return self.run_command(command)

    @command
    def delete_domain(
        self,
        organization_id: str,
        domain_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Deletes the domain; a verified one is released for any organization to verify."""
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            org = self._org(organization_id)
            domain = self._domain(org, domain_id)
            claim = self._get(DomainClaim.create_id(domain.state.name), DomainClaim)
            act = Act(self.now(org, domain, claim), who, why)
            domain.delete(act)
            if claim is not None:
                claim.release(domain, act)
            registry = self._registry(org.id, act)
            registry.unlist_domain(domain.state.name, act)
            self._save(domain, claim, registry)

        self.run_command(command)

    def list_connections_by_domain(self, domain: str) -> list[Connection]:
        """The connections (oldest first, enabled or not) of the organization that verified
        ``domain``; none if no live organization did."""
        name = cv.domain_name(domain)
        claim = self._get(DomainClaim.create_id(name), DomainClaim, for_update=False)
        org = self._holder(claim)
        if org is None:
            return []
        sso_on, found = self._sso_on(org), []
        for uid in self._listed(org.id).connections:
            conn = self._get(uid, ConnectionAggregate, for_update=False)
            if conn is not None and not conn.state.deleted:
                found.append(_connection_of(conn, sso_on, self.sso_config, self.now()))
        return found

    def discover_connection(self, email: str) -> Connection:
        """Home-realm discovery: the active connection (oldest first) of the organization that
        verified the domain of ``email``; :class:`NoConnectionForEmail` if there is none."""
        name = cv.domain_name(values.email(email).rpartition("@")[2], "email")
        claim = self._get(DomainClaim.create_id(name), DomainClaim, for_update=False)
        org = self._holder(claim)
        if org is None or not self._sso_on(org):
            raise NoConnectionForEmail(name)
        for uid in self._listed(org.id).connections:
            conn = self._get(uid, ConnectionAggregate, for_update=False)
            if conn is not None and conn.is_active(True):
                return _connection_of(conn, True, self.sso_config, self.now())
        raise NoConnectionForEmail(name)

    def _lives(self, organization_id: UUID | None) -> bool:
        if organization_id is None:
            return False
        holder = self._get(organization_id, Organization, for_update=False)
        return holder is not None and not holder.is_deleted

    def _holder(self, claim: DomainClaim | None) -> Organization | None:
        """The live organization that holds a verified domain's claim, if any."""
        holder = None if claim is None else claim.holder
        org = None if holder is None else self._get(holder, Organization, for_update=False)
        return None if org is None or org.is_deleted else org

    def _domain(
        self, org: Organization, domain_id: str, *, for_update: bool = True
    ) -> DomainAggregate:
        uid = ids.decode(ids.DOMAIN, domain_id, "domain_id")
        domain = self._get(uid, DomainAggregate, for_update=for_update)
        if domain is None or domain.state.deleted or domain.state.organization_id != org.id:
            raise DomainNotFound(domain_id)
        return domain

    def _check_dns(self, domain: DomainAggregate) -> None:
        """Refuses with :class:`DomainNotVerified` unless DNS has the domain's TXT value."""
        name, value = domain.txt_name, domain.txt_value
        try:
            answer = self.sso_config.dns().resolve(name, "TXT")
        except dns.resolver.NXDOMAIN:
            found = "the name does not exist"
        except dns.resolver.NoAnswer:
            found = "the name has no TXT record"
        except dns.exception.DNSException as e:
            found = f"DNS did not answer: {type(e).__name__}"
        else:
            texts = [b"".join(record.strings).decode("utf-8", "replace") for record in answer]
            if value in texts:
                return
            found = f"{len(texts)} other TXT record(s)"
        raise DomainNotVerified(domain.state.name, name, value, found)


def _method(value: str) -> VerificationMethod:
    try:
        return VerificationMethod(str(value).upper())
    except ValueError:
        raise InvalidField("method", "must be DNS or ADMIN") from None
