"""An organization's settings: features, the seat limit and seat usage, the session policy and
the allowed sign-in methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from tenantry.application import dto, presenters
from tenantry.application.kernel import Kernel, command
from tenantry.domain import arguments, policies, values
from tenantry.domain.errors import InvalidField
from tenantry.domain.organization import Organization
from tenantry.domain.values import SessionPolicy

T = TypeVar("T")


class OrganizationSettings(Kernel):
    """An organization's settings and policies."""

    @command
    def update_organization_settings(
        self,
        organization_id: str,
        features: Iterable[tuple[str, bool]]
        | Mapping[str, bool]
        | Iterable[dto.FeatureSetting]
        | Iterable[Mapping[str, Any]],
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.Organization:
        """Turns features on or off: ``[("sso", True), ("dir_sync", False)]``, or a mapping, or
        ``FeatureSetting`` items, or the hosted SDKs' ``[{"name": "sso", "enabled": True}]`` /
        ``[{"sso": True}]``. One ``FeatureToggled`` event per feature that changes."""
        wanted = values.features(_feature_pairs(features))
        who, why = values.actor(actor), values.reason(reason)
        return self._change(
            organization_id,
            lambda org, now: org.toggle_features(wanted, now, who, why),
            presenters.organization_of,
        )

    def get_user_management_settings(self, organization_id: str) -> dto.UserManagementSettings:
        return _user_management(self._org(organization_id, for_update=False))

    @command
    def upsert_user_management_settings(
        self,
        organization_id: str,
        max_allowed_users: int | None,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.UserManagementSettings:
        """Sets the seat limit: ``None`` turns the feature off, ``0`` means no limit, ``n`` caps
        seats at n. It may be set below the seats in use: no one is removed, but admissions are
        refused until seats free up."""
        limit = values.max_allowed_users(max_allowed_users)
        who, why = values.actor(actor), values.reason(reason)
        return self._change(
            organization_id,
            lambda org, now: org.set_limit(limit, now, who, why),
            lambda org, _: _user_management(org),
        )

    def get_seat_usage(self, organization_id: str, *, at: datetime | None = None) -> dto.SeatUsage:
        org = self._org(organization_id, for_update=False)
        now = arguments.moment(at, "at") if at is not None else self.now(org)
        return presenters.seat_usage(
            organization_id=org.public_id,
            max_allowed_users=org.state.max_allowed_users,
            active_members=org.state.active_members,
            pending_invitations=org.state.pending_invitations.count_after(now),
            at=now,
        )

    def get_session_policy(self, organization_id: str) -> dto.SessionPolicyView:
        """The organization's session policy, with the ``effective`` one (the stricter of the
        application's and the organization's, field by field)."""
        return self._session_policy(self._org(organization_id, for_update=False))

    @command
    def update_session_policy(
        self,
        organization_id: str,
        policy: SessionPolicy | Mapping[str, Any],
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.SessionPolicyView:
        if not isinstance(policy, SessionPolicy | Mapping):
            raise InvalidField("session_policy", "must be a SessionPolicy or a map of its fields")
        if not isinstance(policy, SessionPolicy):
            try:
                policy = SessionPolicy.model_validate(dict(policy))
            except ValidationError as e:
                err = e.errors()[0]
                field = ".".join(str(p) for p in ("session_policy", *err["loc"]))
                raise InvalidField(field, err["msg"]) from None
        checked = values.session_policy(policy)
        who, why = values.actor(actor), values.reason(reason)
        return self._change(
            organization_id,
            lambda org, now: org.set_session_policy(checked, now, who, why),
            lambda org, _: self._session_policy(org),
        )

    get_organization_session_policy = get_session_policy
    """:meth:`get_session_policy`, by the hosted SDK's name."""

    update_organization_session_policy = update_session_policy
    """:meth:`update_session_policy`, by the hosted SDK's name."""

    def get_allowed_sign_in_methods(self, organization_id: str) -> dto.SignInMethods:
        """The methods the organization allows, with the effective set (those the application
        offers too)."""
        return self._sign_in_methods(self._org(organization_id, for_update=False))

    @command
    def set_allowed_sign_in_methods(
        self,
        organization_id: str,
        methods: Iterable[str] | None,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> dto.SignInMethods:
        """Restricts how members may sign in (e.g. ``["sso"]``); ``None`` inherits the app's.
        At least one of the methods must be one the application offers."""
        checked = None if methods is None else values.sign_in_methods(methods)
        policies.check_sign_in_methods(self.policy.sign_in_methods, checked)
        who, why = values.actor(actor), values.reason(reason)
        return self._change(
            organization_id,
            lambda org, now: org.set_sign_in_methods(checked, now, who, why),
            lambda org, _: self._sign_in_methods(org),
        )

    def _session_policy(self, org: Organization) -> dto.SessionPolicyView:
        own = org.state.session_policy
        effective = policies.effective_session_policy(self.policy.session_policy, own)
        return dto.SessionPolicyView(
            organization_id=org.public_id, effective=effective, **own.model_dump()
        )

    def _sign_in_methods(self, org: Organization) -> dto.SignInMethods:
        own = org.state.sign_in_methods
        return dto.SignInMethods(
            organization_id=org.public_id,
            allowed_sign_in_methods=own,
            effective_sign_in_methods=policies.effective_sign_in_methods(
                self.policy.sign_in_methods, own
            ),
        )

    def _change(
        self,
        organization_id: str,
        change: Callable[[Organization, datetime], None],
        answer: Callable[[Organization, datetime], T],
    ) -> T:
        """A command on one setting of the organization: ``change`` records it, ``answer``
        shows the organization as it is after the change."""

        def command() -> T:
            org = self._org(organization_id)
            now = self.now(org)
            change(org, now)
            self._save(org)
            return answer(org, now)

        return self.run_command(command)


def _user_management(org: Organization) -> dto.UserManagementSettings:
    return dto.UserManagementSettings(max_allowed_users=org.state.max_allowed_users)


def _feature_pairs(
    features: Iterable[tuple[str, bool]]
    | Mapping[str, bool]
    | Iterable[dto.FeatureSetting]
    | Iterable[Mapping[str, Any]],
) -> list[tuple[str, bool]]:
    """``(name, enabled)`` pairs from the shapes a caller may give features in: pairs,
    ``FeatureSetting`` items, a mapping of names to booleans, or the hosted SDKs' items —
    ``{"name": "sso", "enabled": True}`` or ``{"sso": True}``."""
    if isinstance(features, Mapping):
        return list(features.items())
    wrong = InvalidField(
        "settings.features",
        "must be a list of (name, enabled) pairs, FeatureSetting items or "
        '{"name": …, "enabled": …} items, or a map of names to true or false',
    )
    if isinstance(features, str | bytes) or not isinstance(features, Iterable):
        raise wrong
    pairs: list[tuple[str, bool]] = []
    for item in features:
        if isinstance(item, dto.FeatureSetting):
            pairs.append((item.name, item.enabled))
        elif isinstance(item, tuple | list) and len(item) == 2:
            pairs.append((item[0], item[1]))
        elif isinstance(item, Mapping) and set(item) == {"name", "enabled"}:
            pairs.append((item["name"], item["enabled"]))
        elif isinstance(item, Mapping) and len(item) == 1 and not {"name", "enabled"} & set(item):
            pairs.extend(item.items())
        else:
            raise wrong
    return pairs
