"""The hosted SDKs' verbs on organizations and invites, by the same names on what
``tenantry.connect`` returns, with the SDKs' argument shapes and answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenantry.adapters.embedded import Embedded
from tenantry.application.dto import Invite
from tenantry.domain.errors import InvalidField, InvitationNotPending, UnknownFeature
from tests.support import FakeClock
from tests.unit.helpers import records_nothing

HOSTED_VERBS = (
    "create_organization",
    "get_organization",
    "get_organization_by_external_id",
    "list_organizations",
    "search_organizations",
    "update_organization",
    "update_organization_by_external_id",
    "delete_organization",
    "update_organization_settings",
    "upsert_user_management_settings",
    "get_organization_session_policy",
    "update_organization_session_policy",
    "resend_invite",
)


@pytest.mark.parametrize("verb", HOSTED_VERBS)
def test_every_hosted_organization_verb_is_a_method_of_the_connected_application(
    verb: str,
) -> None:
    assert callable(getattr(Embedded, verb, None)), verb


def test_resend_invite_answers_the_hosted_invite(app: Embedded, clock: FakeClock) -> None:
    org = app.create_organization("Acme").id
    invited = app.invite_member(org, "ada@x.io", inviter_email="boss@x.io")
    clock.advance(timedelta(days=1))

    invite = app.resend_invite(org, invited.user_id, actor="boss@x.io")

    assert isinstance(invite, Invite)
    assert invite.model_dump() == {
        "organization_id": org,
        "user_id": invited.user_id,
        "inviter_email": "boss@x.io",
        "status": "pending",
        "created_at": invited.created_at,
        "expires_at": clock() + timedelta(days=15),
        "resent_at": clock(),
        "resent_count": 1,
    }
    app.add_member(org, "bob@x.io")
    with records_nothing(app), pytest.raises(InvitationNotPending):
        app.resend_invite(org, "bob@x.io")


def test_feature_settings_are_taken_in_the_hosted_sdks_shapes(app: Embedded) -> None:
    org = app.create_organization("Acme").id

    named = app.update_organization_settings(org, [{"name": "sso", "enabled": True}])
    keyed = app.update_organization_settings(org, [{"dir_sync": True}, {"sso": False}])

    assert {f.name: f.enabled for f in named.settings.features}["sso"] is True
    assert {
        f.name: f.enabled for f in keyed.settings.features if f.name in {"sso", "dir_sync"}
    } == {
        "sso": False,
        "dir_sync": True,
    }
    with records_nothing(app), pytest.raises(InvalidField) as refused:
        app.update_organization_settings(org, [{"name": "sso"}])  # no "enabled"
    assert refused.value.field == "settings.features"
    with records_nothing(app), pytest.raises(UnknownFeature):
        app.update_organization_settings(org, [{"name": "telepathy", "enabled": True}])
