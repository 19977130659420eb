"""Events are stored as readable JSON under stable topics; old schemas are upcast on load."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import CanInitAggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry
from tenantry.domain import (
    dashboard_login,
    key_claim,
    membership,
    organization,
    portal_link,
    roles,
    user,
    user_claim,
)
from tenantry.domain.base import Aggregate, DomainEvent
from tenantry.domain.organization import Organization
from tests.support import FakeClock
from tests.unit.helpers import org_uuid, stored, topics

# Every topic tenantry persists. A change here breaks every stored history: a moved class keeps
# its topics (see MOVED_AGGREGATES), a changed schema gets a class_version and an upcaster.
GOLDEN_TOPICS = sorted(
    [
        "tenantry.domain.base:Snapshot",
        "tenantry.domain.membership:KeyClaim.Claimed",
        "tenantry.domain.membership:KeyClaim.Reclaimed",
        "tenantry.domain.membership:KeyClaim.Released",
        "tenantry.domain.membership:Membership.Deactivated",
        "tenantry.domain.membership:Membership.InvitationAccepted",
        "tenantry.domain.membership:Membership.InvitationExpired",
        "tenantry.domain.membership:Membership.InvitationResent",
        "tenantry.domain.membership:Membership.InvitationRevoked",
        "tenantry.domain.membership:Membership.Invited",
        "tenantry.domain.membership:Membership.MetadataChanged",
        "tenantry.domain.membership:Membership.Provisioned",
        "tenantry.domain.membership:Membership.Reactivated",
        "tenantry.domain.membership:Membership.Reinvited",
        "tenantry.domain.membership:Membership.Removed",
        "tenantry.domain.membership:Membership.Reprovisioned",
        "tenantry.domain.membership:Membership.RolesChanged",
        "tenantry.domain.membership:User.Registered",
        "tenantry.domain.membership:User.ExternalIdChanged",
        "tenantry.domain.membership:User.MetadataChanged",
        "tenantry.domain.membership:User.ProfileChanged",
        "tenantry.domain.membership:User.Deleted",
        "tenantry.domain.membership:User.Reregistered",
        "tenantry.domain.user_claim:UserExternalIdClaim.Taken",
        "tenantry.domain.user_claim:UserExternalIdClaim.Released",
        "tenantry.domain.user_claim:UserExternalIdClaim.Retaken",
        "tenantry.domain.organization:Organization.Created",
        "tenantry.domain.organization:Organization.Deleted",
        "tenantry.domain.organization:Organization.ExternalIdChanged",
        "tenantry.domain.organization:Organization.FeatureToggled",
        "tenantry.domain.organization:Organization.InvitationAccepted",
        "tenantry.domain.organization:Organization.InvitationExpired",
        "tenantry.domain.organization:Organization.InvitationResent",
        "tenantry.domain.organization:Organization.InvitationRevoked",
        "tenantry.domain.organization:Organization.LimitSet",
        "tenantry.domain.organization:Organization.LogoChanged",
        "tenantry.domain.organization:Organization.MemberAdded",
        "tenantry.domain.organization:Organization.MemberDeactivated",
        "tenantry.domain.organization:Organization.MemberInvited",
        "tenantry.domain.organization:Organization.MemberReactivated",
        "tenantry.domain.organization:Organization.MemberRemoved",
        "tenantry.domain.organization:Organization.MetadataChanged",
        "tenantry.domain.organization:Organization.Renamed",
        "tenantry.domain.organization:Organization.SessionPolicySet",
        "tenantry.domain.organization:Organization.SignInMethodsSet",
        "tenantry.domain.organization:Organization.SlugChanged",
        "tenantry.domain.organization:Organization.MemberRolesChanged",
        "tenantry.domain.organization:Organization.MemberMetadataChanged",
        "tenantry.domain.roles:RoleBook.Opened",
        "tenantry.domain.roles:RoleBook.Defined",
        "tenantry.domain.roles:RoleBook.Updated",
        "tenantry.domain.roles:RoleBook.Deleted",
        "tenantry.domain.roles:RoleBook.DefaultSet",
        "tenantry.domain.organization:Organization.Restored",
        "tenantry.domain.organization:Organization.Purged",
        "tenantry.domain.organization:Organization.PortalLinkGenerated",
        "tenantry.domain.organization:Organization.PortalLinkOpened",
        "tenantry.domain.organization:Organization.PortalSessionEnded",
        "tenantry.domain.organization:Organization.PortalLinkRevoked",
        "tenantry.domain.organization:Organization.PortalLinkExpired",
        "tenantry.domain.portal_link:PortalLink.Generated",
        "tenantry.domain.portal_link:PortalLink.Opened",
        "tenantry.domain.portal_link:PortalLink.SessionEnded",
        "tenantry.domain.portal_link:PortalLink.Revoked",
        "tenantry.domain.portal_link:PortalLink.Expired",
        "tenantry.domain.dashboard_login:DashboardLogin.Issued",
        "tenantry.domain.dashboard_login:DashboardLogin.Opened",
        "tenantry.domain.dashboard_login:DashboardLogin.SessionEnded",
    ]
)


# Aggregates that moved to another module keep writing the topics they were first stored under
# (eventsourcing's explicit ``TOPIC``s): stored bytes never change with the code's layout, so the
# versions before a move still read what is written after it.
MOVED_AGGREGATES = {
    "tenantry.domain.membership:KeyClaim": "tenantry.domain.key_claim",
    "tenantry.domain.membership:User": "tenantry.domain.user",
}


def aggregate_classes() -> list[type[Aggregate]]:
    modules = (
        organization,
        membership,
        user,
        key_claim,
        user_claim,
        roles,
        portal_link,
        dashboard_login,
    )
    return sorted(
        {
            value
            for module in modules
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Aggregate) and value is not Aggregate
        },
        key=lambda cls: cls.__qualname__,
    )


def persisted_topics() -> list[str]:
    """Topics of the events the aggregates define and their snapshots. Left out: the abstract
    bases other nested events extend (``Event``, ``SeatEvent``), and the ``Created`` class
    eventsourcing derives for every aggregate where the aggregate is created by its own event
    (``Invited``, ``Provisioned``, ``Registered``, ``Claimed``) and never triggers it."""
    found: set[type[Any]] = set()
    for aggregate in aggregate_classes():
        nested = {
            value
            for value in vars(aggregate).values()
            if isinstance(value, type) and issubclass(value, DomainEvent)
        }
        concrete = {
            cls for cls in nested if not any(o is not cls and issubclass(o, cls) for o in nested)
        }
        initial = {cls for cls in concrete if issubclass(cls, CanInitAggregate)}
        if len(initial) > 1:
            concrete.discard(aggregate.Created)
        found |= concrete | {aggregate.Snapshot}
    return sorted(get_topic(cls) for cls in found)


def test_the_persisted_event_topics_are_the_golden_list() -> None:
    assert [cls.__name__ for cls in aggregate_classes()] == [
        "DashboardLogin",
        "KeyClaim",
        "Membership",
        "Organization",
        "PortalLink",
        "RoleBook",
        "User",
        "UserExternalIdClaim",
    ]
    assert persisted_topics() == GOLDEN_TOPICS
    for topic in GOLDEN_TOPICS:
        assert get_topic(resolve_topic(topic)) == topic


def test_a_moved_aggregate_keeps_writing_and_reading_the_topics_it_was_first_stored_under() -> None:
    for old, module in MOVED_AGGREGATES.items():
        aggregate = resolve_topic(old)
        assert (aggregate.__module__, get_topic(aggregate)) == (module, old)
        moved = [topic for topic in GOLDEN_TOPICS if topic.startswith(f"{old}.")]
        assert moved
        for topic in moved:
            assert resolve_topic(topic).__module__ == module
            assert get_topic(resolve_topic(topic)) == topic


def test_a_fresh_process_with_the_application_resolves_every_golden_topic() -> None:
    """Old topics resolve through the moved classes' registration, not through what their old
    module happens to import."""
    check = (
        "import sys, tenantry.application.app\n"
        "from eventsourcing.utils import get_topic, resolve_topic\n"
        "for topic in sys.argv[1:]:\n"
        "    assert get_topic(resolve_topic(topic)) == topic, topic\n"
    )
    subprocess.run([sys.executable, "-c", check, *GOLDEN_TOPICS], check=True)


def every_kind_of_event(app: Tenantry, clock: FakeClock) -> str:
    signed = app.sign_up("founder@acme.io", "Acme", external_id="acme", slug="acme")
    org = signed.organization.id
    app.update_organization(
        org,
        display_name="Acme Corp",
        external_id="acme-2",
        slug="",
        logo_url="https://cdn.acme.io/l.png",
        metadata={"tier": "gold"},
    )
    app.update_organization(org, external_id="acme")
    app.update_organization_settings(org, {"sso": True})
    app.upsert_user_management_settings(org, 50)
    app.update_session_policy(
        org,
        {
            "policy_source": "CUSTOM",
            "absolute_session_timeout": 8,
            "absolute_session_timeout_unit": "HOURS",
        },
    )
    app.set_allowed_sign_in_methods(org, ["sso"])
    app.invite_member(org, "accepts@x.io")
    app.accept_invitation(org, "accepts@x.io")
    app.invite_member(org, "revoked@x.io")
    app.resend_invitation(org, "revoked@x.io")
    app.revoke_invitation(org, "revoked@x.io")
    app.invite_member(org, "revoked@x.io")
    app.invite_member(org, "expires@x.io", expires_in=timedelta(days=1))
    app.add_member(org, "direct@x.io", roles=["member"])
    app.update_member_roles(org, "direct@x.io", ["admin"])
    app.update_member_metadata(org, "direct@x.io", {"team": "core"})
    app.deactivate_member(org, "direct@x.io")
    app.reactivate_member(org, "direct@x.io")
    app.remove_member(org, "direct@x.io")
    app.add_member(org, "direct@x.io")
    app.update_user("direct@x.io", external_id="u-1", metadata={"team": "core"})
    app.update_user("direct@x.io", external_id="u-2", user_profile={"name": "Di Rect"})
    app.update_user("direct@x.io", external_id="u-1")
    app.delete_user("direct@x.io")
    app.add_member(org, "direct@x.io")
    clock.advance(timedelta(days=2))
    app.expire_invitations(org)
    link = app.generate_portal_link(org, ["sso"], shareable=True, actor="admin@acme.io")
    opened = app.open_portal_link(link.location.partition("token=")[2])
    app.end_portal_session(opened.cookie)
    app.revoke_portal_link(org, link.id)
    app.generate_portal_link(org)
    clock.advance(timedelta(minutes=2))
    app.expire_portal_links(org)
    login = app.issue_dashboard_login("ops", actor="cli:ops")
    app.end_dashboard_session(
        app.open_dashboard_login(login.location.partition("token=")[2]).cookie
    )
    app.create_role("viewer", permissions=["users:read"])
    app.update_role("viewer", description="Reads users")
    app.set_default_role("viewer")
    app.create_organization_role(org, "billing", extends="viewer")
    app.update_member_roles(org, "direct@x.io", ["billing"])
    app.delete_organization_role(org, "billing", reassign_to="admin")
    app.delete_organization(org)
    app.restore_organization(org)
    app.delete_organization(org)
    clock.advance(timedelta(days=31))
    app.purge_deleted_organizations()
    return org


def test_a_scenario_of_every_command_stores_only_golden_topics(
    app: Tenantry, clock: FakeClock
) -> None:
    every_kind_of_event(app, clock)
    used = {topic for _, topic, _ in stored(app)}
    assert used <= set(GOLDEN_TOPICS)
    # Only the snapshot needs 100 events of one organization to appear.
    assert set(GOLDEN_TOPICS) - used == {"tenantry.domain.base:Snapshot"}


def test_stored_events_are_readable_json(app: Tenantry, clock: FakeClock) -> None:
    org = app.create_organization(
        "Acme", external_id="acme", metadata={"tier": "gold"}, reason="onboarding"
    )
    app.invite_member(org.id, "bob@x.io")
    records = app.recorder.select_notifications(start=None, limit=10)
    created = json.loads(records[0].state)
    command_id = UUID(created.pop("command_id"))  # the command's own id: a fresh UUID
    assert json.loads(records[1].state)["command_id"] == str(command_id)  # its claim: the same
    assert records[0].topic == "tenantry.domain.organization:Organization.Created"
    assert records[0].originator_id == org_uuid(org.id)
    assert created == {
        "timestamp": "2026-01-01T12:00:00Z",
        "originator_topic": "tenantry.domain.organization:Organization",
        "actor": "system",
        "reason": "onboarding",
        "display_name": "Acme",
        "external_id": "acme",
        "slug": None,
        "logo_url": None,
        "region_code": "US",
        "metadata": {"tier": "gold"},
    }
    invited = next(state for _, topic, state in stored(app) if topic.endswith("MemberInvited"))
    assert invited["email"] == "bob@x.io"
    assert invited["expires_at"] == "2026-01-16T12:00:00Z"


class RenamedV2(Organization.Renamed):
    """A later schema of ``Renamed``: it also records the language of the new name."""

    class_version: ClassVar[int] = 2
    language: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["language"] = "und"  # names recorded before v2 have no known language


def v1_record(app: Tenantry, organization_id: str, version: int) -> StoredEvent:
    state = {
        "timestamp": "2026-01-02T09:30:00Z",
        "actor": "ceo@acme.io",
        "reason": None,
        "display_name": "Acme Corp",
    }
    return StoredEvent(
        originator_id=org_uuid(organization_id),
        originator_version=version,
        topic=get_topic(RenamedV2),
        state=json.dumps(state).encode(),
    )


def test_a_v1_record_is_upcast_when_its_class_is_at_v2(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    event = app.mapper.to_domain_event(v1_record(app, org.id, 2))
    assert isinstance(event, RenamedV2)
    assert (event.display_name, event.language, event.actor) == ("Acme Corp", "und", "ceo@acme.io")


def test_a_v2_event_is_stored_with_its_class_version_and_not_upcast_again(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    event = app.mapper.to_domain_event(v1_record(app, org.id, 2))
    assert isinstance(event, RenamedV2)
    again = RenamedV2.model_validate({**event.model_dump(), "language": "en"})
    record = app.mapper.to_stored_event(again)
    assert json.loads(record.state)["class_version"] == 2
    reloaded = app.mapper.to_domain_event(record)
    assert isinstance(reloaded, RenamedV2)
    assert reloaded.language == "en"


def test_an_organization_with_a_v1_record_loads_through_the_repository(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    app.recorder.insert_events([v1_record(app, org.id, 2)])
    assert app.get_organization(org.id).display_name == "Acme Corp"
    last = app.list_history(org.id)[-1]
    assert (last.event, last.data) == (
        "RenamedV2",
        {"display_name": "Acme Corp", "language": "und"},
    )
    assert "Organization.Created" in topics(app)


def test_a_record_as_recorded_is_its_stored_fields_upcast_and_not_validated(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    cls, state = app.mapper.to_state(v1_record(app, org.id, 2))  # type: ignore[attr-defined]
    assert cls is RenamedV2
    assert state == {
        "timestamp": "2026-01-02T09:30:00Z",
        "actor": "ceo@acme.io",
        "reason": None,
        "display_name": "Acme Corp",
        "language": "und",
    }


def test_the_audit_log_shows_an_old_record_upcast(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    app.recorder.insert_events([v1_record(app, org.id, 2)])
    views = ProjectionStore(app)
    entries = views.list_audit_log(organization_id=org.id, min_position=views.head()).entries
    assert (entries[-1].event, entries[-1].data) == (
        "RenamedV2",
        {"display_name": "Acme Corp", "language": "und"},
    )
    assert entries[-1].timestamp == datetime(2026, 1, 2, 9, 30, tzinfo=UTC)


def test_a_loaded_timestamp_is_in_the_standard_librarys_utc(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    event = app.mapper.to_domain_event(v1_record(app, org.id, 2))
    assert event.timestamp.tzinfo is UTC  # not pydantic's TzInfo: comparisons stay in C
    assert event.timestamp == datetime(2026, 1, 2, 9, 30, tzinfo=UTC)


def test_a_timestamp_recorded_with_another_offset_still_loads_as_its_instant(
    app: Tenantry,
) -> None:
    org = app.create_organization("Acme")
    record = v1_record(app, org.id, 2)
    state = {**json.loads(record.state), "timestamp": "2026-01-02T11:30:00+02:00"}
    shifted = StoredEvent(
        originator_id=record.originator_id,
        originator_version=record.originator_version,
        topic=record.topic,
        state=json.dumps(state).encode(),
    )
    assert app.mapper.to_domain_event(shifted).timestamp == datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
