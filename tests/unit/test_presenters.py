"""The presenters: one DTO of an organization and of a membership, from plain values (what the
read side has) or from aggregates (what the application has)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tenantry.application import presenters
from tenantry.application.app import Tenantry
from tests.support import FakeClock

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def recorded_membership(**overrides: Any) -> dict[str, Any]:
    """A pending invitation as the read side records it: public ids, datetimes."""
    return {
        "organization_id": "org_01j0000000e008000000000001",
        "user_id": "usr_01j0000000e008000000000002",
        "email": "bob@x.io",
        "status": "PENDING_INVITE",
        "roles": ["member"],
        "metadata": {},
        "inviter_email": "ann@x.io",
        "provisioning_method": "invitation",
        "created_at": T0,
        "join_time": None,
        "accepted_at": None,
        "invitation_id": "inv_01j0000000e008000000000003",
        "invitation_status": "pending",
        "invited_at": T0,
        "expires_at": T0 + timedelta(days=1),
        "resent_at": None,
        "resent_count": 0,
        **overrides,
    }


def test_a_pending_invitation_shows_as_expired_from_its_expiry_on() -> None:
    fields = recorded_membership()
    before = presenters.membership(**fields, now=T0 + timedelta(hours=23))
    after = presenters.membership(**fields, now=T0 + timedelta(days=1))
    assert (before.status, before.invitation and before.invitation.status) == (
        "PENDING_INVITE",
        "pending",
    )
    assert (after.status, after.invitation and after.invitation.status) == (
        "INVITE_EXPIRED",
        "expired",
    )


def test_a_removed_membership_shows_as_removed() -> None:
    shown = presenters.membership(**recorded_membership(status=None), now=T0)
    assert shown.status == "REMOVED"


def test_an_invitation_superseded_by_direct_provisioning_is_not_shown() -> None:
    fields = recorded_membership(status="ACTIVE", invitation_status=None, join_time=T0)
    assert presenters.membership(**fields, now=T0).invitation is None


def test_an_organization_shows_every_known_feature_off_unless_set_on() -> None:
    shown = presenters.organization(
        id="org_01j0000000e008000000000001",
        display_name="Acme",
        external_id=None,
        slug=None,
        logo_url=None,
        region_code="US",
        metadata={},
        features={"sso": True, "dir_sync": False},
        max_allowed_users=None,
        seats_in_use=0,
        create_time=T0,
        update_time=T0,
        version=2,
    )
    assert [(f.name, f.enabled) for f in shown.settings.features] == [
        ("sso", True),
        ("dir_sync", False),
        ("domain_verification", False),
        ("session_policy", False),
    ]


def test_the_application_shows_what_the_presenters_make_of_its_aggregates(
    app: Tenantry, clock: FakeClock
) -> None:
    org = app.create_organization("Acme", external_id="acme")
    app.invite_member(org.id, "bob@x.io", expires_in=timedelta(days=1))
    app.update_organization_settings(org.id, {"sso": True})
    clock.advance(timedelta(days=2))
    membership = app.get_membership(org.id, "bob@x.io")
    assert membership.status == "INVITE_EXPIRED"
    assert membership.invitation is not None
    shown = presenters.membership(
        **{
            **membership.model_dump(
                exclude={"status", "invitation", "role_details", "permissions"}
            ),
            "status": "PENDING_INVITE",
            "invitation_id": membership.invitation.id,
            "invitation_status": "pending",
            "invited_at": membership.invitation.created_at,
            "resent_at": None,
            "resent_count": 0,
        },
        now=clock(),
    )
    assert shown == membership.model_copy(update={"role_details": [], "permissions": []})
    assert [f.name for f in app.get_organization(org.id).settings.features if f.enabled] == ["sso"]
