"""Links into an organization's admin portal: generate (single-use for a minute, or shareable
for 7 days), list, revoke (one or all: their sessions end), open (a portal session of 6 hours
bound to the link's organization and features), read and end a session, and the expiry sweep.

A link's token is ``<link id hex>.<secret>`` and a session's cookie
``<link id hex>.<session id hex>.<secret>``: both are made here (``secrets.token_urlsafe``),
returned once, and recorded only as SHA-256 hashes, compared in constant time. Every event of a
link is paired with one of its organization (:mod:`tenantry.domain.portal_link_ledger`), saved
in the same transaction: the organization's history shows them, each with its actor. Two
openings of a single-use link race on the link's version: one commits, the other is retried on
the stored state and refused (``portal_link_used``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from functools import partial
from typing import Final, TypeVar
from uuid import UUID

from tenantry.application.kernel import command
from tenantry.application.portal_link_dto import (
    OpenedSession,
    PortalLink,
    PortalLinkInfo,
    PortalLinkSweep,
    PortalSession,
    portal_link_info_of,
    portal_link_of,
    portal_session_of,
)
from tenantry.application.sso_config import SsoKernel
from tenantry.domain import arguments, ids, values
from tenantry.domain.base import Act
from tenantry.domain.errors import InvalidField, TenantryError
from tenantry.domain.organization import Organization
from tenantry.domain.portal_link import PortalLink as LinkAggregate
from tenantry.domain.portal_link_errors import (
    PortalLinkInvalid,
    PortalLinkNotFound,
    PortalSessionInvalid,
)
from tenantry.domain.portal_link_values import (
    LINK_LIFETIME,
    SHAREABLE_LIFETIME,
    portal_features,
)

TOKEN_BYTES: Final = 32
TOKEN_MAX: Final = 256
"""The longest token or cookie looked at (ours are about 110 characters)."""
SWEEP_ACTOR: Final = "system:expiry-sweep"
E = TypeVar("E", bound=TenantryError)


def new_secret() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def parse_token(value: str, field: str, parts: int, refused: Callable[[], E]) -> list[str]:
    """The ``parts`` dot-separated parts of a token or cookie (ids in hex, then the secret).
    A wrong type is the calling code's mistake (:class:`InvalidField`); any malformed string is
    ``refused()``, which never echoes it."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    found = value.split(".") if len(value) <= TOKEN_MAX else []
    if len(found) != parts or not found[-1]:
        raise refused()
    for part in found[:-1]:
        if len(part) != 32 or any(c not in "0123456789abcdef" for c in part):
            raise refused()
    return found


class PortalLinks(SsoKernel):
    """Portal links' use cases (see the module's docstring)."""

    @command
    def generate_portal_link(
        self,
        organization_id: str,
        features: Sequence[str] | None = None,
        *,
        shareable: bool = False,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> PortalLink:
        """A new link into the organization's admin portal for ``features`` (some of ``sso``,
        ``dir_sync``, ``domain_verification``; default ``sso`` and ``dir_sync``): single-use
        within a minute, or ``shareable`` (as often as wanted) for 7 days. Its ``location``
        is shown this once."""
        chosen = portal_features(features)
        share = arguments.flag(shareable, "shareable")
        who, why = values.actor(actor), values.reason(reason)
        secret = new_secret()

        def command() -> PortalLink:
            org = self._org(organization_id)
            act = Act(self.now(org), who, why)
            lifetime = SHAREABLE_LIFETIME if share else LINK_LIFETIME
            link = LinkAggregate.generate(
                self._new_id(),
                org.id,
                chosen,
                shareable=share,
                secret=secret,
                expire_time=act.now + lifetime,
                act=act,
            )
            org.record_link_generated(link, act)
            self._save(org, link)
            token = f"{link.id.hex}.{secret}"
            return portal_link_of(link, f"{self.sso_config.base_url}/portal/open?token={token}")

        return self.run_command(command)

    def list_portal_links(self, organization_id: str) -> list[PortalLinkInfo]:
        """The organization's links that can still be opened or have a live session, oldest
        first (never a secret)."""
        org = self._org(organization_id, for_update=False)
        now = self.now()
        found = []
        for uid in org.state.portal_links:
            link = self._get(uid, LinkAggregate, for_update=False)
            if link is not None and now < link.live_until and link.state.revoked_at is None:
                found.append(portal_link_info_of(link, now))
        return found

    @command
    def revoke_portal_links(
        self,
        organization_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> list[str]:
        """Revokes every link of the organization that can still be opened or has a live
        session (their sessions end); the ids revoked (none: nothing is recorded)."""
        who, why = values.actor(actor), values.reason(reason)

        def command() -> list[str]:
            org = self._org(organization_id)
            act = Act(self.now(org), who, why)
            revoked: list[LinkAggregate] = []
            for uid in list(org.state.portal_links):
                link = self._get(uid, LinkAggregate)
                if link is not None and act.now < link.live_until:
                    link.revoke(act)
                    org.record_link_revoked(link.id, act)
                    revoked.append(link)
            if revoked:
                self._save(org, *revoked)
            return [link.public_id for link in revoked]

        return self.run_command(command)

    @command
    def revoke_portal_link(
        self,
        organization_id: str,
        link_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Revokes a link: it can no longer be opened and its sessions end at once
        (:class:`PortalLinkNotFound`; one revoked or over already: :class:`NothingChanged`)."""
        uid = ids.decode(ids.PORTAL_LINK, link_id, "link_id")
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            org = self._org(organization_id)
            link = self._get(uid, LinkAggregate)
            if link is None or link.state.organization_id != org.id:
                raise PortalLinkNotFound(organization_id, link_id)
            act = Act(self.now(org, link), who, why)
            link.revoke(act)
            org.record_link_revoked(link.id, act)
            self._save(org, link)

        self.run_command(command)

    @command
    def open_portal_link(self, token: str) -> OpenedSession:
        """Exchanges a link's token for a portal session of 6 hours (``cookie``: its secret
        identifier). A link that cannot be opened is refused, saying why: ``portal_link_used``,
        ``portal_link_expired``, ``portal_link_revoked``; an unknown or wrong token (or a link
        of a deleted organization) is ``portal_link_invalid``."""
        link_hex, secret = parse_token(token, "token", 2, PortalLinkInvalid)
        session_secret = new_secret()

        def command() -> OpenedSession:
            link = self._get(UUID(link_hex), LinkAggregate)
            if link is None:
                raise PortalLinkInvalid()
            org = self._get(link.state.organization_id, Organization)
            if org is None or org.is_deleted:
                raise PortalLinkInvalid()
            act = Act(self.now(org, link), link.actor)
            session = link.open(secret, self._new_id(), session_secret, act)
            org.record_link_opened(link, session, act)
            self._save(org, link)
            cookie = f"{link.id.hex}.{session.id.hex}.{session_secret}"
            opened = portal_session_of(link, session.expire_time)
            return OpenedSession(cookie=cookie, session=opened)

        return self.run_command(command)

    def portal_session(self, cookie: str) -> PortalSession:
        """The live session ``cookie`` identifies; :class:`PortalSessionInvalid` if it is
        unknown, signed out, past its time, its link revoked or its organization deleted."""
        link, session_id, secret = self._session_parts(cookie)
        session = link.session(session_id, secret, self.now())
        org = self._get(link.state.organization_id, Organization, for_update=False)
        if session is None or org is None or org.is_deleted:
            raise PortalSessionInvalid()
        return portal_session_of(link, session.expire_time)

    @command
    def end_portal_session(self, cookie: str) -> None:
        """Signs the session out (recorded in the organization's history); an invalid one is
        :class:`PortalSessionInvalid`."""
        parts = parse_token(cookie, "cookie", 3, PortalSessionInvalid)

        def command() -> None:
            link, session_id, secret = self._session_parts(cookie, parts, for_update=True)
            org = self._get(link.state.organization_id, Organization)
            now = self.now(org, link)
            if org is None or link.session(session_id, secret, now) is None:
                raise PortalSessionInvalid()
            act = Act(now, link.actor)
            link.end_session(session_id, act)
            org.record_session_ended(link.id, session_id, act)
            self._save(org, link)

        self.run_command(command)

    def _session_parts(
        self, cookie: str, parts: list[str] | None = None, *, for_update: bool = False
    ) -> tuple[LinkAggregate, UUID, str]:
        link_hex, session_hex, secret = parts or parse_token(
            cookie, "cookie", 3, PortalSessionInvalid
        )
        link = self._get(UUID(link_hex), LinkAggregate, for_update=for_update)
        if link is None:
            raise PortalSessionInvalid()
        return link, UUID(session_hex), secret

    @command
    def expire_portal_links(
        self, organization_id: str | None = None, *, actor: str = SWEEP_ACTOR
    ) -> PortalLinkSweep:
        """Records ``PortalLinkExpired`` for every link, of one organization or of all, that can
        no longer be opened and has no session that can still be live. Opening never waited
        for it (a link stops at its time); the sweep makes it visible in the history."""
        who = values.actor(actor)
        org_ids = (
            [self._org(organization_id, for_update=False).id]
            if organization_id is not None
            else list(self._all_organization_ids())
        )
        expired = 0
        for uid in org_ids:
            org = self._get(uid, Organization, for_update=False)
            if org is not None and not org.is_deleted and org.portal_links_due(self.now(org)):
                expired += self.run_command(partial(self._expire_links, uid, who))
        return PortalLinkSweep(organizations_checked=len(org_ids), links_expired=expired)

    def _expire_links(self, org_uuid: UUID, who: str) -> int:
        org = self._get(org_uuid, Organization)
        if org is None or org.is_deleted:
            return 0
        links: list[LinkAggregate] = []
        for uid in org.portal_links_due(self.now(org)):
            link = self._get(uid, LinkAggregate)
            act = Act(self.now(org, link), who)
            if link is None:  # not in this database (an imported organization's)
                org.record_link_expired(uid, act)
            elif link.is_due(act.now):
                link.expire(act)
                org.record_link_expired(uid, act)
                links.append(link)
        self._save(org, *links)
        return len(links)
