"""The tenantry application: use cases over the Organization, Membership, User and KeyClaim
aggregates. Each command validates its arguments, loads what it needs, and saves every changed
aggregate in one transaction; a command that loses an optimistic-concurrency race is run again
(a bounded number of times) on freshly loaded state, so no update is lost and no limit overrun.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final, TypeVar, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.persistence import IntegrityError, Mapper, Recording, Transcoder
from eventsourcing.utils import Environment, EnvType, get_topic
from pydantic import ValidationError

from tenantry.application import dto
from tenantry.application.serialization import JSONTranscoder, PydanticMapper
from tenantry.domain import admission, ids, values
from tenantry.domain.base import Act, Aggregate, utc
from tenantry.domain.errors import (
    ConcurrentModification,
    InvalidField,
    MembershipNotFound,
    NothingChanged,
    OrganizationNotFound,
    UserNotFound,
    VersionNotFound,
)
from tenantry.domain.key_claim import EXTERNAL_ID, SLUG, KeyClaim
from tenantry.domain.membership import Invitation, Membership, Newcomer
from tenantry.domain.organization import Organization
from tenantry.domain.user import User, parse_user_reference
from tenantry.domain.values import Feature, MembershipStatus, SessionPolicy

T = TypeVar("T")
Clock = Callable[[], datetime]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
"""Marks an argument of ``update_organization`` that is not to change."""

DEFAULT_INVITATION_LIFETIME: Final = timedelta(days=15)
MAX_INVITATION_LIFETIME: Final = timedelta(days=90)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _expiry(now: datetime, lifetime: timedelta) -> datetime:
    """Invitations expire on a whole second (rounded up), which keeps the seat ledger compact."""
    at = now + lifetime
    return at if not at.microsecond else at.replace(microsecond=0) + timedelta(seconds=1)


@dataclass(frozen=True)
class _OrganizationFields:
    """An organization's creation fields, validated and normalized."""

    display_name: str
    external_id: str | None
    metadata: dict[str, str]
    slug: str | None
    logo_url: str | None
    region_code: str

    @classmethod
    def check(
        cls,
        display_name: str,
        external_id: str | None,
        metadata: Mapping[str, str] | None,
        slug: str | None,
        logo_url: str | None,
        region_code: str | None,
    ) -> _OrganizationFields:
        return cls(
            display_name=values.display_name(display_name),
            external_id=values.external_id(external_id),
            metadata=values.metadata(metadata),
            slug=values.slug(slug),
            logo_url=values.logo_url(logo_url),
            region_code=values.region_code(region_code),
        )


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """Folds events into an aggregate (eventsourcing's default also asserts a Protocol per event,
    which costs more than applying the event on Python 3.11)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class Tenantry(Application[UUID]):
    """Organizations, their settings, seat limits, members and invitations, event-sourced.

    Build it with :func:`tenantry.connect` (one setting: the database URL) rather than directly.
    """

    name = "tenantry"
    snapshotting_intervals = {Organization: 50, Membership: 50}
    snapshotting_projectors = {Organization: _project, Membership: _project}
    env = {"AGGREGATE_CACHE_MAXSIZE": "1000"}

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock = utc_now,
        id_factory: Callable[[], UUID] = ids.new_id,
        invitation_lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
        # Each race round lets at least one contender commit; with 16 contenders on one
        # organization (PostgreSQL) single commands were measured needing 11 attempts.
        max_attempts: int = 32,
    ) -> None:
        self.clock = clock
        self.id_factory = id_factory
        self.invitation_lifetime = invitation_lifetime
        self.max_attempts = max_attempts
        self._local = threading.local()
        self._known_users: set[UUID] = set()  # bounded below; only ever a shortcut
        self.database_url: str | None = None
        """The URL this application was built on (set by ``tenantry.connect``): the adapters
        that store beside its events (projections, API clients) build their engines from it."""
        super().__init__(env)

    # --- infrastructure ----------------------------------------------------------------------

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only the class defaults and what the composition root passes: a stray variable in
        # os.environ (PERSISTENCE_MODULE, TENANTRY_*) must never switch the backend silently.
        merged = dict(type(self).env)
        merged["IS_SNAPSHOTTING_ENABLED"] = "y"
        merged.update(env or {})
        return Environment(name, merged)

    def construct_transcoder(self) -> Transcoder:
        return JSONTranscoder()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=PydanticMapper
        )

    @property
    def last_position(self) -> int | None:
        """Log position (notification id) of the last event this thread's last command recorded."""
        return cast(int | None, getattr(self._local, "position", None))

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Saves the aggregates' new events in one transaction (and takes due snapshots)."""
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if obj is None:
                continue
            # Collected directly: eventsourcing's generic path checks runtime Protocols per
            # object, which is slow on Python 3.11.
            processing.events.extend(obj.collect_events())
            processing.aggregates[obj.id] = obj
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        for aggregate in processing.aggregates.values():
            if isinstance(aggregate, User):  # committed: it exists from now on
                self._remember_user(aggregate.id)
        self._snapshot(processing)
        self._notify(recordings)
        return recordings

    def _snapshot(self, processing: ProcessingEvent[UUID]) -> None:
        """Snapshots every aggregate whose save crossed a multiple of its interval, from the
        aggregate in hand (eventsourcing's default reloads it from the store first)."""
        if self.snapshots is None:
            return
        for event in processing.events:
            aggregate = cast(Aggregate | None, processing.aggregates.get(event.originator_id))
            interval = self.snapshotting_intervals.get(type(aggregate))  # type: ignore[arg-type]
            if aggregate is not None and interval and event.originator_version % interval == 0:
                self.snapshots.put([aggregate.Snapshot.take(aggregate)])
                processing.aggregates.pop(event.originator_id)  # once per save is enough

    def _save(self, *aggregates: Aggregate | None) -> None:
        recordings = self.save(*aggregates)
        if recordings:
            self._local.position = recordings[-1].notification.id

    def _run(self, command: Callable[[], T]) -> T:
        self._local.position = None  # a command that records nothing has no position
        for attempt in range(1, self.max_attempts + 1):
            self._local.retrying = attempt > 1
            try:
                return command()
            except IntegrityError:
                # Lost a race (same aggregate version or same key claim): reload and retry.
                if attempt == self.max_attempts:
                    break
                time.sleep(random.uniform(0, min(0.05, 0.0005 * 2**attempt)))
        raise ConcurrentModification(self.max_attempts)

    def _get(self, aggregate_id: UUID, cls: type[T], *, for_update: bool = True) -> T | None:
        try:
            agg: object = self.repository.get(
                aggregate_id, deepcopy_from_cache=for_update, projector_func=_project
            )
        except AggregateNotFoundError:
            return None
        return agg if isinstance(agg, cls) else None

    def _org(self, organization_id: str, *, for_update: bool = True) -> Organization:
        uid = ids.decode(ids.ORG, organization_id, "organization_id")
        org = self._get(uid, Organization, for_update=for_update)
        if org is None or org.is_deleted:
            raise OrganizationNotFound(organization_id)
        return org

    def _now(self, *aggregates: Aggregate | None) -> datetime:
        """The command's time: the clock, but never before what an aggregate already recorded,
        so each aggregate's history is in time order even if clocks step back."""
        now = utc(self.clock())
        for a in aggregates:
            if a is not None and a.modified_on > now:
                now = a.modified_on
        return now

    def _new_id(self) -> UUID:
        return self.id_factory()

    # --- organizations -------------------------------------------------------------------------

    def create_organization(
        self,
        display_name: str,
        *,
        external_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        slug: str | None = None,
        logo_url: str | None = None,
        region_code: str | None = None,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.Organization:
        fields = _OrganizationFields.check(
            display_name, external_id, metadata, slug, logo_url, region_code
        )
        who, why = values.actor(actor), values.reason(reason)
        org_id = self._new_id()

        def command() -> dto.Organization:
            org, claims = self._new_organization(org_id, self._now(), who, why, fields)
            self._save(org, *claims)
            return self._org_dto(org)

        return self._run(command)

    def get_organization(self, organization_id: str) -> dto.Organization:
        return self._org_dto(self._org(organization_id, for_update=False))

    def get_organization_by_external_id(self, external_id: str) -> dto.Organization:
        ext = values.external_id(external_id)
        if ext is None:
            raise InvalidField("external_id", "must not be empty")
        claim = self._get(KeyClaim.create_id(EXTERNAL_ID, ext), KeyClaim, for_update=False)
        if claim is None or claim.holder is None:
            raise OrganizationNotFound(ext)
        org = self._get(claim.holder, Organization, for_update=False)
        if org is None or org.is_deleted:
            raise OrganizationNotFound(ext)
        return self._org_dto(org)

    def update_organization(
        self,
        organization_id: str,
        *,
        display_name: str | _Unset = UNSET,
        external_id: str | _Unset | None = UNSET,
        metadata: Mapping[str, str] | _Unset | None = UNSET,
        slug: str | _Unset | None = UNSET,
        logo_url: str | _Unset | None = UNSET,
        region_code: str | _Unset = UNSET,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.Organization:
        """Changes the given fields; ``""`` or ``None`` clears an optional field. Only real changes
        are recorded (one event each); if nothing would change, :class:`NothingChanged`."""
        name = UNSET if isinstance(display_name, _Unset) else values.display_name(display_name)
        ext = UNSET if isinstance(external_id, _Unset) else values.external_id(external_id)
        md = UNSET if isinstance(metadata, _Unset) else values.metadata(metadata)
        slug_ = UNSET if isinstance(slug, _Unset) else values.slug(slug)
        logo = UNSET if isinstance(logo_url, _Unset) else values.logo_url(logo_url)
        region = UNSET if isinstance(region_code, _Unset) else values.region_code(region_code)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.Organization:
            org = self._org(organization_id)
            now = self._now(org)
            if not isinstance(region, _Unset):
                org.check_region(region)
            claims: list[KeyClaim | None] = []
            s = org.state
            if not isinstance(name, _Unset) and name != s.display_name:
                org.rename(name, now, who, why)
            if not isinstance(ext, _Unset) and ext != s.external_id:
                claims += self._move_claim(EXTERNAL_ID, s.external_id, ext, org.id, now, who)
                org.change_external_id(ext, now, who, why)
            if not isinstance(slug_, _Unset) and slug_ != s.slug:
                claims += self._move_claim(SLUG, s.slug, slug_, org.id, now, who)
                org.change_slug(slug_, now, who, why)
            if not isinstance(logo, _Unset) and logo != s.logo_url:
                org.change_logo(logo, now, who, why)
            if not isinstance(md, _Unset) and md != s.metadata:
                org.change_metadata(md, now, who, why)
            if not org.pending_events:
                raise NothingChanged("organization")
            self._save(org, *claims)
            return self._org_dto(org)

        return self._run(command)

    def delete_organization(
        self, organization_id: str, *, actor: str = "system", reason: str | None = None
    ) -> None:
        """Deletes the organization; its external id and slug become free for reuse.
        Its history stays readable."""
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            org = self._org(organization_id)
            now = self._now(org)
            claims = [
                *self._move_claim(EXTERNAL_ID, org.state.external_id, None, org.id, now, who),
                *self._move_claim(SLUG, org.state.slug, None, org.id, now, who),
            ]
            org.delete(now, who, why)
            self._save(org, *claims)

        self._run(command)

    def update_organization_settings(
        self,
        organization_id: str,
        features: Iterable[tuple[str, bool]] | Mapping[str, bool] | Iterable[dto.FeatureSetting],
        *,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.Organization:
        """Turns features on or off: ``[("sso", True), ("dir_sync", False)]`` (or a mapping, or
        ``FeatureSetting`` items). One ``FeatureToggled`` event per feature that changes."""
        pairs: list[tuple[str, bool]] = []
        items: Iterable[Any] = features.items() if isinstance(features, Mapping) else features
        for item in items:
            if isinstance(item, dto.FeatureSetting):
                pairs.append((item.name, item.enabled))
            else:
                name, enabled = item
                pairs.append((name, enabled))
        wanted = values.features(pairs)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.Organization:
            org = self._org(organization_id)
            org.toggle_features(wanted, self._now(org), who, why)
            self._save(org)
            return self._org_dto(org)

        return self._run(command)

    # --- seat limit ----------------------------------------------------------------------------

    def get_user_management_settings(self, organization_id: str) -> dto.UserManagementSettings:
        org = self._org(organization_id, for_update=False)
        return dto.UserManagementSettings(max_allowed_users=org.state.max_allowed_users)

    def upsert_user_management_settings(
        self,
        organization_id: str,
        max_allowed_users: int | None,
        *,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.UserManagementSettings:
        """Sets the seat limit: ``None`` turns the feature off, ``0`` means no limit, ``n`` caps
        seats at n. It may be set below the seats in use: no one is removed, but admissions are
        refused until seats free up."""
        limit = values.max_allowed_users(max_allowed_users)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.UserManagementSettings:
            org = self._org(organization_id)
            org.set_limit(limit, self._now(org), who, why)
            self._save(org)
            return dto.UserManagementSettings(max_allowed_users=org.state.max_allowed_users)

        return self._run(command)

    def get_seat_usage(self, organization_id: str, *, at: datetime | None = None) -> dto.SeatUsage:
        org = self._org(organization_id, for_update=False)
        now = utc(at) if at is not None else self._now(org)
        in_use = org.seats_in_use(now)
        limit = org.state.max_allowed_users
        return dto.SeatUsage(
            organization_id=org.public_id,
            max_allowed_users=limit,
            active_members=org.state.active_members,
            pending_invitations=org.state.pending_invitations.count_after(now),
            seats_in_use=in_use,
            seats_free=max(limit - in_use, 0) if limit else None,
            at=now,
        )

    # --- policies ------------------------------------------------------------------------------

    def get_session_policy(self, organization_id: str) -> dto.SessionPolicyView:
        org = self._org(organization_id, for_update=False)
        return dto.SessionPolicyView(
            organization_id=org.public_id, **org.state.session_policy.model_dump()
        )

    def update_session_policy(
        self,
        organization_id: str,
        policy: SessionPolicy | Mapping[str, Any],
        *,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.SessionPolicyView:
        if not isinstance(policy, SessionPolicy):
            try:
                policy = SessionPolicy.model_validate(dict(policy))
            except ValidationError as e:
                err = e.errors()[0]
                field = ".".join(str(p) for p in ("session_policy", *err["loc"]))
                raise InvalidField(field, err["msg"]) from None
        checked = values.session_policy(policy)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.SessionPolicyView:
            org = self._org(organization_id)
            org.set_session_policy(checked, self._now(org), who, why)
            self._save(org)
            return dto.SessionPolicyView(organization_id=org.public_id, **checked.model_dump())

        return self._run(command)

    def get_allowed_sign_in_methods(self, organization_id: str) -> dto.SignInMethods:
        org = self._org(organization_id, for_update=False)
        return dto.SignInMethods(
            organization_id=org.public_id, allowed_sign_in_methods=org.state.sign_in_methods
        )

    def set_allowed_sign_in_methods(
        self,
        organization_id: str,
        methods: Iterable[str] | None,
        *,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.SignInMethods:
        """Restricts how members may sign in (e.g. ``["sso"]``); ``None`` inherits the app's."""
        checked = None if methods is None else values.sign_in_methods(methods)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.SignInMethods:
            org = self._org(organization_id)
            org.set_sign_in_methods(checked, self._now(org), who, why)
            self._save(org)
            return dto.SignInMethods(organization_id=org.public_id, allowed_sign_in_methods=checked)

        return self._run(command)

    # --- members and invitations ---------------------------------------------------------------

    def invite_member(
        self,
        organization_id: str,
        email: str,
        *,
        roles: Sequence[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        inviter_email: str | None = None,
        expires_in: timedelta | None = None,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.Membership:
        """Invites ``email``: a pending membership that holds a seat until it expires.
        Re-inviting someone whose invitation expired or was revoked issues a new invitation."""
        address = values.email(email)
        roles_ = values.roles(roles)
        md = values.metadata(metadata, "membership.metadata")
        inviter = None if inviter_email is None else values.email(inviter_email, "inviter_email")
        lifetime = self._lifetime(expires_in)
        who, why = values.actor(actor), values.reason(reason)
        newcomer = Newcomer(ids.user_uuid(address), address, roles_, md)

        def admit(org: Organization, membership: Membership | None, now: datetime) -> Membership:
            invitation = Invitation(self._new_id(), _expiry(now, lifetime), inviter)
            return admission.invite(org, membership, newcomer, invitation, Act(now, who, why))

        return self._admit(organization_id, newcomer, who, admit)

    def add_member(
        self,
        organization_id: str,
        email: str,
        *,
        roles: Sequence[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        provisioning_method: str = "direct_provision",
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.Membership:
        """Makes ``email`` an active member at once (direct, SCIM or JIT provisioning)."""
        address = values.email(email)
        roles_ = values.roles(roles)
        md = values.metadata(metadata, "membership.metadata")
        try:
            method = values.ProvisioningMethod(provisioning_method).value
        except ValueError:
            raise InvalidField(
                "provisioning_method",
                "must be one of " + ", ".join(m.value for m in values.ProvisioningMethod),
            ) from None
        who, why = values.actor(actor), values.reason(reason)
        newcomer = Newcomer(ids.user_uuid(address), address, roles_, md)

        def admit(org: Organization, membership: Membership | None, now: datetime) -> Membership:
            return admission.add(org, membership, newcomer, method, Act(now, who, why))

        return self._admit(organization_id, newcomer, who, admit)

    def accept_invitation(
        self, organization_id: str, user: str, *, actor: str | None = None
    ) -> dto.Membership:
        """Accepts a still-valid invitation (``user`` is a ``usr_`` id or an e-mail). It takes
        no new seat: the invitation already held one."""

        def command() -> dto.Membership:
            org, membership = self._member(organization_id, user)
            now = self._now(org, membership)
            who = values.actor(actor) if actor else membership.state.email
            admission.accept(org, membership, Act(now, who))
            self._save(org, membership)
            return self._membership_dto(membership, now)

        return self._run(command)

    def resend_invitation(
        self,
        organization_id: str,
        user: str,
        *,
        expires_in: timedelta | None = None,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.Membership:
        """Resends an invitation: a pending one is extended; an expired one is replaced by a new
        invitation, which needs a free seat."""
        lifetime = self._lifetime(expires_in)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.Membership:
            org, membership = self._member(organization_id, user)
            now = self._now(org, membership)
            act = Act(now, who, why)
            admission.resend(org, membership, _expiry(now, lifetime), act, self._new_id)
            self._save(org, membership)
            return self._membership_dto(membership, now)

        return self._run(command)

    def revoke_invitation(
        self, organization_id: str, user: str, *, actor: str = "system", reason: str | None = None
    ) -> None:
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            org, membership = self._member(organization_id, user)
            now = self._now(org, membership)
            admission.revoke(org, membership, Act(now, who, why))
            self._save(org, membership)

        self._run(command)

    def remove_member(
        self, organization_id: str, user: str, *, actor: str = "system", reason: str | None = None
    ) -> None:
        """Removes a member, or withdraws a pending invitation; the seat is freed."""
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            org, membership = self._member(organization_id, user)
            now = self._now(org, membership)
            admission.remove(org, membership, Act(now, who, why))
            self._save(org, membership)

        self._run(command)

    def deactivate_member(
        self, organization_id: str, user: str, *, actor: str = "system", reason: str | None = None
    ) -> dto.Membership:
        """Suspends an active member (status INACTIVE); the seat is freed."""
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.Membership:
            org, membership = self._member(organization_id, user)
            now = self._now(org, membership)
            admission.deactivate(org, membership, Act(now, who, why))
            self._save(org, membership)
            return self._membership_dto(membership, now)

        return self._run(command)

    def reactivate_member(
        self, organization_id: str, user: str, *, actor: str = "system", reason: str | None = None
    ) -> dto.Membership:
        """Makes an inactive member active again; this is an admission and needs a free seat."""
        who, why = values.actor(actor), values.reason(reason)

        def command() -> dto.Membership:
            org, membership = self._member(organization_id, user)
            now = self._now(org, membership)
            admission.reactivate(org, membership, Act(now, who, why))
            self._save(org, membership)
            return self._membership_dto(membership, now)

        return self._run(command)

    def set_membership_status(
        self,
        organization_id: str,
        user: str,
        status: str,
        *,
        actor: str | None = None,
        reason: str | None = None,
    ) -> dto.Membership:
        """Gives a membership the status an admin sets, as the hosted API's membership update
        does: ``INACTIVE`` deactivates an active member; ``ACTIVE`` reactivates an inactive one
        or accepts a pending invitation; a membership that has the status already is left as it
        is (nothing recorded). Refusals are those of the transition (e.g.
        :class:`MemberNotActive`, :class:`InvitationHasExpired`).

        ``actor`` defaults to ``"system"``, and for an acceptance to the member, as for
        :meth:`accept_invitation`; an acceptance records no reason."""
        wanted = values.member_status(status)
        given = values.actor(actor) if actor else None
        why = values.reason(reason)

        def command() -> dto.Membership:
            org, membership = self._member(organization_id, user)
            now = self._now(org, membership)
            transition = admission.transition_to(membership, wanted, now)
            if transition is not None:
                member = membership.state.email if transition is admission.accept else "system"
                transition(org, membership, Act(now, given or member, why))
                self._save(org, membership)
            return self._membership_dto(membership, now)

        return self._run(command)

    def update_member_roles(
        self,
        organization_id: str,
        user: str,
        roles: Sequence[str],
        *,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.Membership:
        roles_ = values.roles(roles)
        who, why = values.actor(actor), values.reason(reason)
        return self._change_member(
            organization_id, user, lambda m, now: m.change_roles(roles_, now, who, why)
        )

    def update_member_metadata(
        self,
        organization_id: str,
        user: str,
        metadata: Mapping[str, str],
        *,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.Membership:
        md = values.metadata(metadata, "membership.metadata")
        who, why = values.actor(actor), values.reason(reason)
        return self._change_member(
            organization_id, user, lambda m, now: m.change_metadata(md, now, who, why)
        )

    def update_membership(
        self,
        organization_id: str,
        user: str,
        *,
        roles: Sequence[str] | _Unset = UNSET,
        metadata: Mapping[str, str] | _Unset = UNSET,
        actor: str = "system",
        reason: str | None = None,
    ) -> dto.Membership:
        """Changes roles and metadata together in one save: one event per field that really
        changes; :class:`NothingChanged` if none does."""
        roles_ = UNSET if isinstance(roles, _Unset) else values.roles(roles)
        md = (
            UNSET
            if isinstance(metadata, _Unset)
            else values.metadata(metadata, "membership.metadata")
        )
        who, why = values.actor(actor), values.reason(reason)

        def change(membership: Membership, now: datetime) -> None:
            membership.check_exists()
            if not isinstance(roles_, _Unset) and roles_ != membership.state.roles:
                membership.change_roles(roles_, now, who, why)
            if not isinstance(md, _Unset) and md != membership.state.metadata:
                membership.change_metadata(md, now, who, why)
            if not membership.pending_events:
                raise NothingChanged("membership")

        return self._change_member(organization_id, user, change)

    def _change_member(
        self,
        organization_id: str,
        user: str,
        change: Callable[[Membership, datetime], None],
    ) -> dto.Membership:
        """A command on one membership alone (its organization must be live)."""

        def command() -> dto.Membership:
            _, membership = self._member(organization_id, user)
            now = self._now(membership)
            change(membership, now)
            self._save(membership)
            return self._membership_dto(membership, now)

        return self._run(command)

    def get_membership(self, organization_id: str, user: str) -> dto.Membership:
        _, membership = self._member(organization_id, user, for_update=False)
        membership.check_exists()
        return self._membership_dto(membership, self._now())

    def get_user(self, user: str) -> tuple[str, str]:
        """Returns ``(usr_ id, e-mail)`` of a user given by id or e-mail."""
        uid = parse_user_reference(user)
        u = self._get(uid, User, for_update=False)
        if u is None:
            raise UserNotFound(user)
        return u.public_id, u.state.email

    def sign_up(
        self,
        email: str,
        display_name: str,
        *,
        external_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        slug: str | None = None,
        logo_url: str | None = None,
        region_code: str | None = None,
        reason: str | None = None,
    ) -> dto.SignUp:
        """Creates an organization and makes ``email`` its first active admin, atomically."""
        address = values.email(email)
        fields = _OrganizationFields.check(
            display_name, external_id, metadata, slug, logo_url, region_code
        )
        why = values.reason(reason)
        org_id = self._new_id()
        user_id = ids.user_uuid(address)

        def command() -> dto.SignUp:
            now = self._now()
            org, claims = self._new_organization(org_id, now, address, why, fields)
            user = self._ensure_user(user_id, address, now, address)
            founder = Newcomer(user_id, address, ["admin"], {})
            act = Act(now, address, why)
            membership = admission.add(org, None, founder, "org_creator", act)
            self._save(org, membership, user, *claims)
            return dto.SignUp(
                organization=self._org_dto(org),
                membership=self._membership_dto(membership, now),
            )

        return self._run(command)

    def expire_invitations(
        self,
        organization_id: str | None = None,
        *,
        batch_size: int = 200,
        actor: str = "expiry-sweep",
        progress: Callable[[int], None] | None = None,
    ) -> dto.ExpirySweep:
        """Records ``InvitationExpired`` for every pending invitation whose time has passed, in
        one organization or in all. Seats never depended on it (expired invitations stop counting
        at their expiry); the sweep makes expiry visible to feeds and replays."""
        who = values.actor(actor)
        org_ids = (
            # An organization named explicitly must exist and be live, as for any command.
            [self._org(organization_id, for_update=False).id]
            if organization_id is not None
            else list(self._all_organization_ids())
        )
        expired = 0
        for uid in org_ids:
            while True:
                done = self._run(partial(self._expire_batch, uid, batch_size, who))
                expired += done
                if progress is not None and done:
                    progress(done)
                if done < batch_size:
                    break
        return dto.ExpirySweep(organizations_checked=len(org_ids), invitations_expired=expired)

    def _expire_batch(self, org_uuid: UUID, limit: int, who: str) -> int:
        org = self._get(org_uuid, Organization)
        if org is None or org.is_deleted:
            return 0
        now = self._now(org)
        if not org.state.pending_invitations.count_due(now):
            return 0  # the ledger says nothing is due: no need to look further
        memberships = []
        for user_id in self._due_invitations(org, now)[:limit]:
            membership = self._get(ids.membership_uuid(org.id, user_id), Membership)
            if membership is None:  # pragma: no cover - the ledger and memberships agree
                continue
            admission.expire(org, membership, Act(self._now(org, membership), who))
            memberships.append(membership)
        if memberships:
            self._save(org, *memberships)
        return len(memberships)

    def _due_invitations(self, org: Organization, now: datetime) -> list[UUID]:
        """Users whose pending invitation has expired at ``now``, oldest expiry first.

        The organization keeps only expiry times (what the seat rule needs), so the sweep finds
        the users in the organization's own seat events. That costs a read of its history, but
        only for an organization whose ledger says something is due.
        """
        pending: dict[UUID, datetime] = {}
        for event in self.events.get(org.id):
            if isinstance(event, Organization.MemberInvited | Organization.InvitationResent):
                pending[event.user_id] = event.expires_at
            elif isinstance(event, Organization.SeatEvent):
                pending.pop(event.user_id, None)
        return [u for u, at in sorted(pending.items(), key=lambda p: p[1]) if at <= now]

    def _all_organization_ids(self) -> Iterator[UUID]:
        topic = get_topic(Organization.Created)
        start: int | None = None
        while True:
            page = self.recorder.select_notifications(
                start=start, limit=1000, topics=[topic], inclusive_of_start=start is None
            )
            for n in page:
                yield (
                    n.originator_id
                    if isinstance(n.originator_id, UUID)
                    else UUID(str(n.originator_id))
                )
            if len(page) < 1000:
                return
            start = page[-1].id

    # --- audit history -------------------------------------------------------------------------

    def list_history(
        self, organization_id: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[dto.HistoryEntry]:
        """The organization's events in order, each with actor, time and the fields it changed."""
        uid = ids.decode(ids.ORG, organization_id, "organization_id")
        if from_version < 1:
            raise InvalidField("from_version", "must be at least 1")
        org: Organization | None = None
        if from_version > 1:
            try:
                org = cast(
                    Organization,
                    self.repository.get(uid, version=from_version - 1, projector_func=_project),
                )
            except AggregateNotFoundError:
                raise OrganizationNotFound(organization_id) from None
        out: list[dto.HistoryEntry] = []
        for event in self.events.get(uid, gt=from_version - 1 if from_version > 1 else None):
            before = _org_view(org) if org is not None else {}
            org = cast(Organization, event.mutate(org))  # type: ignore[attr-defined]
            after = _org_view(org)
            e = cast(Organization.Event, event)
            data = e.model_dump(
                mode="json",
                exclude={"originator_id", "originator_version", "timestamp", "actor", "reason"},
            )
            data.pop("originator_topic", None)
            changes = [
                dto.FieldChange(field=k, before=before.get(k), after=after[k])
                for k in after
                if before.get(k) != after[k]
            ]
            out.append(
                dto.HistoryEntry(
                    version=e.originator_version,
                    event=type(e).__name__,
                    timestamp=e.timestamp,
                    actor=e.actor,
                    reason=e.reason,
                    data=data,
                    changes=changes,
                )
            )
            if limit is not None and len(out) >= limit:
                break
        if not out and from_version == 1:
            raise OrganizationNotFound(organization_id)
        return out

    def get_organization_as_of(
        self, organization_id: str, *, version: int | None = None, at: datetime | None = None
    ) -> dto.Organization:
        """The organization as it was at a version, or at a moment (UTC)."""
        uid = ids.decode(ids.ORG, organization_id, "organization_id")
        if (version is None) == (at is None):
            raise InvalidField("as_of", "give exactly one of version or at")
        if version is not None:
            if version < 1:
                raise InvalidField("version", "must be at least 1")
            try:
                org = cast(
                    Organization, self.repository.get(uid, version=version, projector_func=_project)
                )
            except AggregateNotFoundError:
                raise OrganizationNotFound(organization_id) from None
            if org.version != version:
                raise VersionNotFound(organization_id, f"version {version}")
        else:
            moment = utc(at)  # type: ignore[arg-type]  # exactly one of version/at is given
            found: Organization | None = None
            for event in self.events.get(uid):
                if cast(Organization.Event, event).timestamp > moment:
                    break
                found = cast(Organization, event.mutate(found))  # type: ignore[attr-defined]
            if found is None:
                raise VersionNotFound(organization_id, moment.isoformat())
            org = found
        if org.is_deleted:
            raise VersionNotFound(organization_id, f"version {org.version} (deleted)")
        return self._org_dto(org)

    # --- helpers -------------------------------------------------------------------------------

    def _lifetime(self, expires_in: timedelta | None) -> timedelta:
        lifetime = self.invitation_lifetime if expires_in is None else expires_in
        if not timedelta(minutes=1) <= lifetime <= MAX_INVITATION_LIFETIME:
            raise InvalidField("expires_in", "must be between 1 minute and 90 days")
        return lifetime

    def _member(
        self, organization_id: str, user: str, *, for_update: bool = True
    ) -> tuple[Organization, Membership]:
        user_id = parse_user_reference(user)
        org = self._org(organization_id, for_update=for_update)
        membership = self._get(
            ids.membership_uuid(org.id, user_id), Membership, for_update=for_update
        )
        if membership is None:
            raise MembershipNotFound(organization_id, user)
        return org, membership

    def _admit(
        self,
        organization_id: str,
        newcomer: Newcomer,
        actor: str,
        admit: Callable[[Organization, Membership | None, datetime], Membership],
    ) -> dto.Membership:
        """Runs an admission (invite or direct provisioning): registers a user new to tenantry,
        then ``admit`` checks and records the admission on the organization and the new or
        returning membership; all saved together."""

        def command() -> dto.Membership:
            org = self._org(organization_id)
            membership = self._find_membership(ids.membership_uuid(org.id, newcomer.user_id))
            now = self._now(org, membership)
            user = None
            if membership is None:
                user = self._ensure_user(newcomer.user_id, newcomer.email, now, actor)
            membership = admit(org, membership, now)
            self._save(org, membership, user)
            return self._membership_dto(membership, now)

        return self._run(command)

    def _find_membership(self, membership_id: UUID) -> Membership | None:
        """Like ``_get``, but a membership that does not exist (the usual case when admitting
        someone new) costs one query instead of a snapshot lookup and an event read."""
        if not any(True for _ in self.events.get(membership_id, limit=1)):
            return None
        return self._get(membership_id, Membership)

    def _ensure_user(self, user_id: UUID, email: str, now: datetime, actor: str) -> User | None:
        """Returns a new User to save, or None if the user exists already.

        Users never change once registered, so one known to exist stays known. An unknown one is
        registered optimistically, without a read: if it did exist, the save fails as a lost race
        and the retry (``_local.retrying``) asks the store.
        """
        if user_id in self._known_users:
            return None
        if getattr(self._local, "retrying", False) and any(
            True for _ in self.events.get(user_id, limit=1)
        ):
            self._remember_user(user_id)
            return None
        return User.register(email, now, actor)

    def _remember_user(self, user_id: UUID) -> None:
        if len(self._known_users) >= 100_000:
            self._known_users.clear()
        self._known_users.add(user_id)

    def _new_organization(
        self, org_id: UUID, now: datetime, actor: str, reason: str | None, f: _OrganizationFields
    ) -> tuple[Organization, list[KeyClaim | None]]:
        """A new organization and the claims of its natural keys, to be saved together."""
        org = Organization.create(
            id=org_id,
            now=now,
            actor=actor,
            reason=reason,
            display_name=f.display_name,
            external_id=f.external_id,
            slug=f.slug,
            logo_url=f.logo_url,
            region_code=f.region_code,
            metadata=f.metadata,
        )
        claims = [
            self._claim(EXTERNAL_ID, f.external_id, org_id, now, actor),
            self._claim(SLUG, f.slug, org_id, now, actor),
        ]
        return org, claims

    def _claim(
        self, kind: str, key: str | None, org_id: UUID, now: datetime, actor: str
    ) -> KeyClaim | None:
        """The claim of ``key`` for the organization, to be saved with it (None: nothing to
        save); the claim refuses a key another live organization holds."""
        if key is None:
            return None
        claim = self._get(KeyClaim.create_id(kind, key), KeyClaim)
        if claim is None:
            return KeyClaim.claim(kind=kind, key=key, organization_id=org_id, now=now, actor=actor)
        return claim if claim.claim_for(org_id, self._now(claim), actor) else None

    def _move_claim(
        self, kind: str, old: str | None, new: str | None, org_id: UUID, now: datetime, actor: str
    ) -> list[KeyClaim | None]:
        """Claims ``new`` and releases ``old``, to be saved with the organization."""
        out: list[KeyClaim | None] = [self._claim(kind, new, org_id, now, actor)]
        if old is not None:
            claim = self._get(KeyClaim.create_id(kind, old), KeyClaim)
            if claim is not None:
                claim.release(org_id, self._now(claim), actor)
                out.append(claim)
        return out

    def _org_dto(self, org: Organization) -> dto.Organization:
        s = org.state
        return dto.Organization(
            id=org.public_id,
            display_name=s.display_name,
            external_id=s.external_id,
            slug=s.slug,
            logo_url=s.logo_url,
            region_code=s.region_code,
            metadata=dict(s.metadata),
            settings=dto.OrganizationSettings(
                features=[
                    dto.FeatureSetting(name=f.value, enabled=s.features.get(f.value, False))
                    for f in Feature
                ]
            ),
            create_time=org.created_on,
            update_time=org.modified_on,
            version=org.version,
        )

    def _membership_dto(self, m: Membership, now: datetime) -> dto.Membership:
        s = m.state
        status = m.status_at(now)
        invitation = None
        # A member provisioned directly after an invitation (Reprovisioned) has no invitation
        # status any more: that old invitation is not shown (it used to read as "pending").
        if (
            s.invitation_id is not None
            and s.invitation_status is not None
            and s.invited_at is not None
            and s.expires_at is not None
        ):
            inv_status = s.invitation_status.value
            if status == MembershipStatus.INVITE_EXPIRED:
                inv_status = "expired"
            invitation = dto.Invitation(
                id=ids.encode(ids.INVITATION, s.invitation_id),
                status=inv_status,
                created_at=s.invited_at,
                expires_at=s.expires_at,
                resent_at=s.resent_at,
                resent_count=s.resent_count,
            )
        return dto.Membership(
            organization_id=ids.encode(ids.ORG, s.organization_id),
            user_id=ids.encode(ids.USER, s.user_id),
            email=s.email,
            status=str(status) if status is not None else "REMOVED",
            roles=list(s.roles),
            metadata=dict(s.metadata),
            inviter_email=s.inviter_email,
            provisioning_method=s.provisioning_method,
            created_at=s.created_at,
            join_time=s.join_time,
            accepted_at=s.accepted_at,
            expires_at=s.expires_at,
            invitation=invitation,
        )


def _org_view(org: Organization) -> dict[str, Any]:
    """The fields of an organization a person reads in a history diff."""
    s = org.state
    return {
        "display_name": s.display_name,
        "external_id": s.external_id,
        "slug": s.slug,
        "logo_url": s.logo_url,
        "region_code": s.region_code,
        "metadata": dict(s.metadata),
        "features": dict(s.features),
        "max_allowed_users": s.max_allowed_users,
        "session_policy": s.session_policy.model_dump(mode="json", exclude_none=True),
        "allowed_sign_in_methods": s.sign_in_methods,
        "deleted": s.deleted,
        "active_members": s.active_members,
        "pending_invitations": len(s.pending_invitations),
    }
