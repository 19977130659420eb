"""Property: for random command histories, every stored projection equals the pure fold of the
log, incrementally (catching up between commands) and from scratch, the seat view agrees with
the aggregate's seat rule at any instant, and the organizations and members read from the views
equal the application's."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tenantry
from tenantry.adapters.projections import ProjectionStore
from tenantry.domain.errors import MembershipNotFound, OrganizationNotFound, TenantryError
from tests.integration.projection_support import assert_views_equal_the_fold
from tests.support import FakeClock

EMAILS = ["a@x.io", "b@x.io"]
MEMBER_OPS = (
    "invite",
    "add",
    "accept",
    "resend",
    "revoke",
    "remove",
    "deactivate",
    "reactivate",
    "roles",
)
KINDS = [*MEMBER_OPS, *MEMBER_OPS, *MEMBER_OPS]
KINDS += ["create", "rename", "delete", "limit", "limit", "wait", "wait", "sweep", "catch_up"]
op = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, 1),
    st.sampled_from(EMAILS),
    st.sampled_from([None, 0, 1, 2]),
    st.sampled_from([30, 61, 60 * 24]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, max_size=40))
def test_every_projection_equals_a_fold_of_the_log_and_seats_equal_the_rule(
    ops: list[tuple[object, ...]],
) -> None:
    clock = FakeClock()
    app = tenantry.connect("memory://", clock=clock)
    store = ProjectionStore(app, batch_size=5)
    orgs: list[str] = []
    try:
        _run(app, store, clock, orgs, ("create",))
        for o in ops:
            _run(app, store, clock, orgs, o)
        store.catch_up()
        assert_views_equal_the_fold(store)
        for org_id in orgs:
            for ahead in (timedelta(0), timedelta(minutes=45), timedelta(days=20)):
                at = clock() + ahead
                try:
                    expected = app.get_seat_usage(org_id, at=at)
                except OrganizationNotFound:
                    continue
                assert store.get_seat_usage(org_id, at=at) == expected
            assert_dtos_equal_the_application(app, store, org_id)
        for name in store.views:
            store.rebuild(name)
        assert_views_equal_the_fold(store)
    finally:
        store.close()
        app.close()


def assert_dtos_equal_the_application(
    app: tenantry.Tenantry, store: ProjectionStore, org_id: str
) -> None:
    """The read side shows a live organization and each of its members as the application
    does, at the same instant."""
    try:
        expected = app.get_organization(org_id)
    except OrganizationNotFound:
        return
    assert store.get_organization(org_id) == expected
    for status in (None, "REMOVED"):  # members and invitees; revoked invitations
        listed = store.list_members(org_id, status=status, page_size=100).members
        for member in app.with_role_details(listed):  # the read model keeps role names only
            assert member == app.get_membership(org_id, member.email)
    for email in EMAILS:
        try:
            shown = app.get_membership(org_id, email)
        except MembershipNotFound:
            continue
        listed = store.list_members(org_id, status=shown.status, page_size=100).members
        assert shown in app.with_role_details(listed)


def _run(
    app: tenantry.Tenantry,
    store: ProjectionStore,
    clock: FakeClock,
    orgs: list[str],
    o: tuple[object, ...],
) -> None:
    kind = o[0]
    if kind == "create":
        orgs.append(app.create_organization(f"Org {len(orgs)}", external_id=f"e{len(orgs)}").id)
        return
    if kind == "wait":
        clock.advance(timedelta(minutes=int(o[4])))  # type: ignore[call-overload]
        return
    if kind == "sweep":
        app.expire_invitations()
        return
    if kind == "catch_up":
        store.catch_up()
        return
    if not orgs:
        return
    org = orgs[int(o[1]) % len(orgs)]  # type: ignore[call-overload]
    try:
        if kind == "rename":
            app.update_organization(org, display_name=f"Renamed {clock().isoformat()}")
        elif kind == "delete":
            app.delete_organization(org)
        elif kind == "limit":
            app.upsert_user_management_settings(org, o[3])  # type: ignore[arg-type]
        else:
            email = str(o[2])
            call = {
                "invite": lambda: app.invite_member(org, email, expires_in=timedelta(hours=1)),
                "add": lambda: app.add_member(org, email),
                "accept": lambda: app.accept_invitation(org, email),
                "resend": lambda: app.resend_invitation(org, email, expires_in=timedelta(hours=1)),
                "revoke": lambda: app.revoke_invitation(org, email),
                "remove": lambda: app.remove_member(org, email),
                "deactivate": lambda: app.deactivate_member(org, email),
                "reactivate": lambda: app.reactivate_member(org, email),
                "roles": lambda: app.update_member_roles(org, email, ["admin", str(len(email))]),
            }[str(kind)]
            call()
    except TenantryError:
        pass  # refused commands record nothing; the property is about what was recorded
