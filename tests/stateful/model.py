"""A tiny, explicit model of tenantry's organizations and memberships, for the state machine.

The model knows which sample inputs are valid by construction (the tables below pair each sample
with what tenantry normalizes it to, or :class:`Invalid`), keeps organizations and memberships in
plain dicts, and for every command *predicts* the outcome before the command runs: a
:class:`Refusal` (the exact error class tenantry must raise, in the order tenantry checks things,
and the fields it must carry) or ``None`` for success. ``apply_*`` methods record a success.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from tenantry.domain import errors as e

ACTIVE, INACTIVE, PENDING, EXPIRED = "ACTIVE", "INACTIVE", "PENDING_INVITE", "INVITE_EXPIRED"
KNOWN_FEATURES = ("sso", "dir_sync", "domain_verification", "session_policy")
ADMITTED = (ACTIVE, INACTIVE, PENDING)  # statuses that make a new admission a conflict

V = TypeVar("V")


@dataclass(frozen=True)
class Invalid:
    """A sample input tenantry must refuse with ``InvalidField(field)``."""

    field: str


@dataclass(frozen=True)
class Refusal:
    """The error a command must raise, and fields the error must carry."""

    error: type[e.TenantryError]
    fields: Mapping[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"{self.error.__name__}({dict(self.fields)})"


def refusal(error: type[e.TenantryError], **fields: object) -> Refusal:
    return Refusal(error, fields)


# --- sample inputs, each paired with what tenantry makes of it ---------------------------------

Sample = tuple[Any, Any]

DISPLAY_NAMES: list[Sample] = [
    ("Acme", "Acme"),
    ("  Beta Corp ", "Beta Corp"),
    ("Gamma", "Gamma"),
    ("", Invalid("display_name")),
    ("   ", Invalid("display_name")),
]
EXTERNAL_IDS: list[Sample] = [  # "" and None both mean "no external id" (clear it on update)
    (None, None),
    ("", None),
    ("ext-1", "ext-1"),
    (" ext-1 ", "ext-1"),
    ("ext-2", "ext-2"),
    ("ext-3", "ext-3"),
]
SLUGS: list[Sample] = [
    (None, None),
    ("", None),
    ("acme", "acme"),
    ("beta", "beta"),
    ("acme.example.com", "acme.example.com"),
    ("Acme", Invalid("slug")),
    ("-acme", Invalid("slug")),
]
METADATA: list[Sample] = [
    (None, {}),
    ({}, {}),
    ({"tier": "gold"}, {"tier": "gold"}),
    ({"tier": "silver", "seats": "10"}, {"seats": "10", "tier": "silver"}),
    ({"ab": "too short a key"}, Invalid("metadata.ab")),
]
EMAILS: list[Sample] = [
    ("ann@example.com", "ann@example.com"),
    (" Bob@Example.COM ", "bob@example.com"),
    ("cy@example.com", "cy@example.com"),
    ("dee@example.com", "dee@example.com"),
    ("not-an-email", Invalid("email")),
]
MEMBER_EMAILS = [v for _, v in EMAILS if not isinstance(v, Invalid)]
LIMITS: list[Sample] = [
    (None, None),
    (0, 0),
    (1, 1),
    (2, 2),
    (3, 3),
    (-1, Invalid("max_allowed_users")),
]
DEFAULT_LIFETIME = timedelta(days=15)
LIFETIMES: list[Sample] = [
    (None, DEFAULT_LIFETIME),
    (timedelta(minutes=1), timedelta(minutes=1)),
    (timedelta(hours=1), timedelta(hours=1)),
    (timedelta(days=3), timedelta(days=3)),
    (timedelta(days=90), timedelta(days=90)),
    (timedelta(seconds=30), Invalid("expires_in")),
    (timedelta(days=91), Invalid("expires_in")),
]
UNKNOWN_FEATURES = ("SSO", "scim")


def first_invalid(*normalized: object) -> Refusal | None:
    """The refusal for the first invalid input, in the order tenantry validates them."""
    for value in normalized:
        if isinstance(value, Invalid):
            return refusal(e.InvalidField, field=value.field)
    return None


def features_refusal(pairs: Sequence[tuple[str, bool]]) -> Refusal | None:
    seen: dict[str, bool] = {}
    for name, enabled in pairs:
        if name not in KNOWN_FEATURES:
            return refusal(e.UnknownFeature, name=name)
        if seen.get(name, enabled) != enabled:
            return refusal(e.InvalidField, field="settings.features")
        seen[name] = enabled
    if not seen:
        return refusal(e.InvalidField, field="settings.features")
    return None


# --- state -------------------------------------------------------------------------------------


@dataclass
class Member:
    email: str
    status: str | None  # None: removed, or invitation revoked
    invitation: str | None = None  # pending | accepted | expired | revoked
    expires_at: datetime | None = None
    resent_count: int = 0

    def readable(self) -> bool:
        """Found by a query: a membership that is not over, or one whose invitation was revoked
        (it reads as REMOVED, so the revocation can be seen)."""
        return self.status is not None or self.invitation == "revoked"

    def status_at(self, now: datetime) -> str | None:
        """A pending invitation past its expiry reads as expired before any sweep records it."""
        if self.status == PENDING and self.expires_at is not None and self.expires_at <= now:
            return EXPIRED
        return self.status

    def holds_seat(self, now: datetime) -> bool:
        return self.status_at(now) in (ACTIVE, PENDING)

    def expire(self) -> None:
        self.status, self.invitation = EXPIRED, "expired"

    def invite(self, expires_at: datetime) -> None:
        self.status, self.invitation = PENDING, "pending"
        self.expires_at, self.resent_count = expires_at, 0


@dataclass
class Org:
    id: str
    display_name: str
    external_id: str | None
    slug: str | None
    metadata: dict[str, str]
    features: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(KNOWN_FEATURES, False))
    limit: int | None = None
    deleted: bool = False
    members: dict[str, Member] = field(default_factory=dict)

    def seats_in_use(self, now: datetime) -> int:
        return sum(m.holds_seat(now) for m in self.members.values())

    def active_members(self) -> int:
        return sum(m.status == ACTIVE for m in self.members.values())

    def seat_refusal(self, now: datetime) -> Refusal | None:
        """None (feature off) and 0 (no limit) never refuse; n refuses once n seats are taken."""
        in_use = self.seats_in_use(now)
        if self.limit and in_use >= self.limit:
            return refusal(e.SeatLimitReached, limit=self.limit, in_use=in_use)
        return None


@dataclass
class Admission:
    """A seat taken under a positive limit, with the seats in use right after (per tenantry)."""

    organization_id: str
    in_use: int
    limit: int


@dataclass
class Model:
    orgs: dict[str, Org] = field(default_factory=dict)
    keys_used: set[tuple[str, str]] = field(default_factory=set)  # (kind, key) ever claimed
    emails_used: set[str] = field(default_factory=set)
    admissions: list[Admission] = field(default_factory=list)

    # --- queries ------------------------------------------------------------------------------

    def live_orgs(self) -> Iterator[Org]:
        return (o for o in self.orgs.values() if not o.deleted)

    def holder(self, kind: str, key: str | None) -> str | None:
        """The live organization holding an external id or slug."""
        for o in self.live_orgs():
            if key is not None and getattr(o, kind) == key:
                return o.id
        return None

    def has_invitations(self) -> bool:
        return any(m.invitation is not None for o in self.orgs.values() for m in o.members.values())

    def has_members(self) -> bool:
        return any(o.members for o in self.orgs.values())

    def _org(self, org_id: str) -> tuple[Org | None, Refusal | None]:
        org = self.orgs.get(org_id)
        if org is None or org.deleted:
            return None, refusal(e.OrganizationNotFound, organization=org_id)
        return org, None

    def _valid_and_live(
        self, org_id: str, bad: Refusal | None
    ) -> tuple[Org | None, Refusal | None]:
        """Arguments are validated first; then the organization must be live."""
        return (None, bad) if bad else self._org(org_id)

    def _member(
        self, org_id: str, user: object
    ) -> tuple[Org | None, Member | None, Refusal | None]:
        """The org and membership a member command loads (``user`` is checked first)."""
        org, refused = self._valid_and_live(org_id, first_invalid(user))
        if org is None:
            return None, None, refused
        member = org.members.get(str(user))
        if member is None:
            return org, None, refusal(e.MembershipNotFound, organization_id=org_id)
        return org, member, None

    # --- organizations ------------------------------------------------------------------------

    def predict_create(
        self, name: object, external_id: object, metadata: object, slug: object
    ) -> Refusal | None:
        bad = first_invalid(name, external_id, metadata, slug)
        if bad:
            return bad
        return self._keys_refusal(None, external_id, slug)

    def _keys_refusal(
        self, org_id: str | None, external_id: object, slug: object
    ) -> Refusal | None:
        """ExternalIdTaken before SlugTaken, as the claims are taken in that order."""
        holder = self.holder("external_id", external_id if isinstance(external_id, str) else None)
        if holder not in (None, org_id):
            return refusal(e.ExternalIdTaken, external_id=external_id)
        holder = self.holder("slug", slug if isinstance(slug, str) else None)
        if holder not in (None, org_id):
            return refusal(e.SlugTaken, slug=slug)
        return None

    def apply_create(
        self,
        org_id: str,
        name: str,
        external_id: str | None,
        metadata: dict[str, str],
        slug: str | None,
    ) -> Org:
        org = Org(org_id, name, external_id, slug, dict(metadata))
        self.orgs[org_id] = org
        self._note_keys(org)
        return org

    def _note_keys(self, org: Org) -> None:
        if org.external_id is not None:
            self.keys_used.add(("external_id", org.external_id))
        if org.slug is not None:
            self.keys_used.add(("slug", org.slug))

    def predict_update(self, org_id: str, changes: Mapping[str, object]) -> Refusal | None:
        """``changes`` holds only the fields given, in tenantry's validation order."""
        org, refused = self._valid_and_live(org_id, first_invalid(*changes.values()))
        if org is None:
            return refused
        changed = {k: v for k, v in changes.items() if getattr(org, k) != v}
        keys = self._keys_refusal(org_id, changed.get("external_id"), changed.get("slug"))
        if keys:
            return keys
        if not changed:
            return refusal(e.NothingChanged, what="organization")
        return None

    def apply_update(self, org_id: str, changes: Mapping[str, Any]) -> None:
        org = self.orgs[org_id]
        for name, value in changes.items():
            setattr(org, name, value)
        self._note_keys(org)

    def predict_features(self, org_id: str, pairs: Sequence[tuple[str, bool]]) -> Refusal | None:
        org, refused = self._valid_and_live(org_id, features_refusal(pairs))
        if org is None:
            return refused
        if all(org.features[name] == on for name, on in pairs):
            return refusal(e.NothingChanged, what="settings.features")
        return None

    def predict_limit(self, org_id: str, limit: object) -> Refusal | None:
        org, refused = self._valid_and_live(org_id, first_invalid(limit))
        if org is None:
            return refused
        if org.limit == limit:
            return refusal(e.NothingChanged, what="max_allowed_users")
        return None

    def predict_delete(self, org_id: str) -> Refusal | None:
        return self._org(org_id)[1]

    def predict_sweep(self, org_id: str | None) -> Refusal | None:
        """A sweep of one organization needs it live; a sweep of all never refuses."""
        return None if org_id is None else self._org(org_id)[1]

    # --- admissions ---------------------------------------------------------------------------

    def predict_admission(
        self, org_id: str, email: object, now: datetime, *extra: object
    ) -> Refusal | None:
        """invite_member and add_member: AlreadyMember is checked before the seat limit."""
        org, refused = self._valid_and_live(org_id, first_invalid(email, *extra))
        if org is None:
            return refused
        member = org.members.get(str(email))
        if member is not None and member.status_at(now) in ADMITTED:
            return refusal(e.AlreadyMember, status=member.status_at(now))
        return org.seat_refusal(now)

    def apply_invite(self, org_id: str, email: str, expires_at: datetime) -> Member:
        member = self.orgs[org_id].members.setdefault(email, Member(email, None))
        member.invite(expires_at)
        self.emails_used.add(email)
        return member

    def apply_add(self, org_id: str, email: str) -> Member:
        member = self.orgs[org_id].members.setdefault(email, Member(email, None))
        member.status, member.invitation = ACTIVE, None
        self.emails_used.add(email)
        return member

    def predict_accept(self, org_id: str, email: object, now: datetime) -> Refusal | None:
        _, m, refused = self._member(org_id, email)
        if m is None:
            return refused
        if m.invitation == "revoked":
            return refusal(e.InvitationWasRevoked, email=email)
        if m.invitation == "expired":
            return refusal(e.InvitationHasExpired, expired_at=m.expires_at)
        pending = self._pending_refusal(org_id, m)
        if pending:
            return pending
        if m.expires_at is not None and m.expires_at <= now:
            return refusal(e.InvitationHasExpired, expired_at=m.expires_at)
        return None

    def apply_accept(self, org_id: str, email: str) -> None:
        m = self.orgs[org_id].members[email]
        m.status, m.invitation = ACTIVE, "accepted"

    @staticmethod
    def _pending_refusal(org_id: str, m: Member) -> Refusal | None:
        """What accept, revoke and the sweep require: a membership with a pending invitation."""
        if m.status is None and m.invitation != "revoked":
            return refusal(e.MembershipNotFound, organization_id=org_id)
        if m.invitation != "pending":
            return refusal(e.InvitationNotPending, status=m.invitation or "none")
        return None

    def predict_resend(
        self, org_id: str, email: object, lifetime: object, now: datetime
    ) -> Refusal | None:
        bad = first_invalid(lifetime)
        if bad:
            return bad
        org, m, refused = self._member(org_id, email)
        if m is None:
            return refused
        status = m.status_at(now)
        if status == PENDING:
            return None
        if status == EXPIRED and org is not None:  # a new invitation: an admission
            return org.seat_refusal(now)
        return refusal(e.InvitationNotPending, status=status or m.invitation or "none")

    def apply_resend(self, org_id: str, email: str, expires_at: datetime, now: datetime) -> Member:
        m = self.orgs[org_id].members[email]
        if m.status_at(now) == PENDING:
            m.expires_at, m.resent_count = expires_at, m.resent_count + 1
        else:
            m.invite(expires_at)
        return m

    def predict_revoke(self, org_id: str, email: object, now: datetime) -> Refusal | None:
        """Only a pending invitation can be revoked; past its expiry it is expired, swept or not."""
        _, m, refused = self._member(org_id, email)
        if m is None:
            return refused
        pending = self._pending_refusal(org_id, m)
        if pending is None and m.status_at(now) == EXPIRED:
            return refusal(e.InvitationNotPending, status="expired")
        return pending

    def apply_revoke(self, org_id: str, email: str) -> None:
        m = self.orgs[org_id].members[email]
        m.status, m.invitation = None, "revoked"

    def _existing(
        self, org_id: str, email: object
    ) -> tuple[Org | None, Member | None, Refusal | None]:
        org, m, refused = self._member(org_id, email)
        if m is not None and m.status is None:
            return org, None, refusal(e.MembershipNotFound, organization_id=org_id)
        return org, m, refused

    def predict_remove(self, org_id: str, email: object) -> Refusal | None:
        return self._existing(org_id, email)[2]

    def apply_remove(self, org_id: str, email: str) -> None:
        m = self.orgs[org_id].members[email]
        m.status = None
        if m.invitation == "pending":
            m.invitation = "revoked"

    def _in_status(
        self,
        org_id: str,
        email: object,
        now: datetime,
        needed: str,
        error: type[e.MemberNotActive | e.MemberNotInactive],
    ) -> tuple[Org | None, Refusal | None]:
        """Deactivation needs an ACTIVE member, reactivation an INACTIVE one (recorded status)."""
        org, m, refused = self._existing(org_id, email)
        if m is None:
            return None, refused
        if m.status != needed:
            return None, refusal(error, email=email, status=str(m.status_at(now)))
        return org, None

    def predict_deactivate(self, org_id: str, email: object, now: datetime) -> Refusal | None:
        return self._in_status(org_id, email, now, ACTIVE, e.MemberNotActive)[1]

    def predict_reactivate(self, org_id: str, email: object, now: datetime) -> Refusal | None:
        """An admission: the seat limit is checked last."""
        org, refused = self._in_status(org_id, email, now, INACTIVE, e.MemberNotInactive)
        return refused if org is None else org.seat_refusal(now)

    def set_status(self, org_id: str, email: str, status: str) -> None:
        self.orgs[org_id].members[email].status = status

    # --- expiry sweep -------------------------------------------------------------------------

    def apply_sweep(self, org_id: str | None, now: datetime) -> tuple[int, int]:
        """Marks due pending invitations expired in one live org (or all, deleted ones
        included but untouched); returns (organizations checked, invitations expired)."""
        orgs = list(self.orgs.values()) if org_id is None else [self.orgs[org_id]]
        expired = 0
        for org in orgs:
            if org.deleted:
                continue
            for m in org.members.values():
                if m.status == PENDING and m.status_at(now) == EXPIRED:
                    m.expire()
                    expired += 1
        return len(orgs), expired
