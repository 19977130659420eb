"""Two applications on one database (like two server workers): a user deleted by one is not
taken as live by the other, which admitted them before the deletion."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.domain.errors import MembershipNotFound, UserNotFound
from tests.support import database
from tests.unit.helpers import topics

MakeApp = Callable[..., Tenantry]
ADA = "ada@acme.example"


def _invite(app: Tenantry) -> dto.Membership:
    return app.invite_member(app.create_organization("Globex").id, ADA)


def _add(app: Tenantry) -> dto.Membership:
    return app.add_member(app.create_organization("Globex").id, ADA)


def _sign_up(app: Tenantry) -> dto.Membership:
    return app.sign_up(ADA, "Globex").membership


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("admit", [_invite, _add, _sign_up])
def test_a_user_deleted_by_another_app_comes_back_when_admitted_here(
    make_app: MakeApp, tmp_path: Path, kind: str, admit: Callable[[Tenantry], dto.Membership]
) -> None:
    with database(kind, tmp_path) as url:
        here, there = make_app(url), make_app(url)
        acme = here.create_organization("Acme").id
        ada = here.add_member(acme, ADA).user_id  # here has seen ada live

        there.delete_user(ada, actor="admin@acme.example")
        before = here.recorder.max_notification_id() or 0
        admitted = admit(here)

        assert admitted.user_id == ada
        assert "User.Reregistered" in topics(here, before)
        assert here.get_user(ada).id == there.get_user(ada).id == ada
        assert there.get_membership(admitted.organization_id, ada).user_id == ada


Apps = tuple[Tenantry, Tenantry, str, str, str]


@pytest.fixture(params=["sqlite", "postgres"])
def two_apps(request: pytest.FixtureRequest, make_app: MakeApp, tmp_path: Path) -> Iterator[Apps]:
    """A deleting and an admitting application on one database, organizations Acme and
    Globex, and ada a member of Acme (the admitting application has seen her live)."""
    with database(request.param, tmp_path) as url:
        deleter, admitter = make_app(url), make_app(url)
        acme = admitter.create_organization("Acme").id
        globex = admitter.create_organization("Globex").id
        ada = admitter.add_member(acme, ADA).user_id
        yield deleter, admitter, acme, globex, ada


def _then(
    monkeypatch: pytest.MonkeyPatch, app: Tenantry, method: str, then: Callable[[], object]
) -> None:
    """The next call of ``app.method`` runs ``then`` once it has returned."""
    original = getattr(app, method)

    def once(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(app, method, original)
        result = original(*args, **kwargs)
        then()
        return result

    monkeypatch.setattr(app, method, once)


def test_an_admission_committed_while_the_user_is_being_deleted_is_swept_up(
    two_apps: Apps, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleter, admitter, acme, globex, _ = two_apps
    # The admission commits after the deletion read ada's organizations, before it ends.
    _then(monkeypatch, deleter, "_user_organizations", lambda: admitter.add_member(globex, ADA))
    deletion = deleter.delete_user(ADA, actor="admin@acme.example")

    assert deletion.removed_from == [acme, globex]
    assert deleter.last_position == deleter.recorder.max_notification_id()
    for app in (deleter, admitter):
        with pytest.raises(UserNotFound):
            app.get_user(ADA)
        with pytest.raises(MembershipNotFound):
            app.get_membership(globex, ADA)
    assert admitter.get_seat_usage(globex).seats_in_use == 0


def test_an_admission_that_read_the_user_live_before_their_deletion_brings_them_back(
    two_apps: Apps, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleter, admitter, _, globex, ada = two_apps
    # The deletion commits after the admission read ada live, before it commits.
    _then(monkeypatch, admitter, "_ensure_user", lambda: deleter.delete_user(ADA))
    before = deleter.recorder.max_notification_id() or 0
    admitted = admitter.add_member(globex, ADA)

    assert topics(deleter, before)[-1] == "User.Reregistered"
    assert admitter.last_position == admitter.recorder.max_notification_id()
    for app in (deleter, admitter):
        assert app.get_user(ada).id == ada
        assert app.get_membership(globex, ada).status == admitted.status == "ACTIVE"
