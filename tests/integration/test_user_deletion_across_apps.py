"""Two applications on one database (like two server workers): a user deleted by one is not
taken as live by the other, which admitted them before the deletion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from uuid import UUID

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


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_admission_committed_while_the_user_is_being_deleted_is_swept_up(
    make_app: MakeApp, tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database(kind, tmp_path) as url:
        deleter, admitter = make_app(url), make_app(url)
        acme = deleter.create_organization("Acme").id
        globex = deleter.create_organization("Globex").id
        admitter.add_member(acme, ADA)
        scan = deleter._user_organizations

        def scan_then_admit(user_id: UUID) -> list[UUID]:
            found = scan(user_id)
            monkeypatch.setattr(deleter, "_user_organizations", scan)  # once
            admitter.add_member(globex, ADA)  # after the scan, before the deletion
            return found

        monkeypatch.setattr(deleter, "_user_organizations", scan_then_admit)
        deletion = deleter.delete_user(ADA, actor="admin@acme.example")

        assert deletion.removed_from == [acme, globex]
        assert deleter.last_position == deleter.recorder.max_notification_id()
        for app in (deleter, admitter):
            with pytest.raises(UserNotFound):
                app.get_user(ADA)
            with pytest.raises(MembershipNotFound):
                app.get_membership(globex, ADA)
        assert admitter.get_seat_usage(globex).seats_in_use == 0
