"""An import applies the commands' value rules to every event of an edited export, and is refused
whole (recording nothing) when one value breaks them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tenantry.application import transfer
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField
from tests.unit.helpers import records_nothing

MakeApp = Callable[..., Tenantry]


def _export(app: Tenantry) -> list[dict[str, Any]]:
    org = app.create_organization("Acme", external_id="acme", slug="acme", metadata={"plan": "x"})
    app.upsert_user_management_settings(org.id, 5)
    app.invite_member(org.id, "ada@acme.example", roles=["admin"])
    records, _ = transfer.export_organization(app, org.id)
    return [json.loads(transfer.dump_line(r)) for r in records]


def _edit(records: list[dict[str, Any]], topic_end: str, **state: Any) -> list[str]:
    for r in records:
        if r["topic"].endswith(topic_end):
            r["state"].update(state)
            break
    else:  # pragma: no cover - the export holds every edited event
        raise AssertionError(topic_end)
    return [json.dumps(r) for r in records]


EDITS: list[tuple[str, dict[str, Any], str, str]] = [
    ("LimitSet", {"max_allowed_users": -5}, "max_allowed_users", "0 (no limit) or a positive"),
    ("Created", {"metadata": {f"key{i:02}": "v" for i in range(50)}}, "metadata", "at most 10"),
    ("Created", {"display_name": ""}, "display_name", "1-200 characters"),
    ("Created", {"display_name": "  Acme "}, "display_name", "the form its rule gives"),
    ("Created", {"display_name": "Ac\u0000me"}, "display_name", "control characters"),
    ("Created", {"display_name": "abc\u202egnp.exe"}, "display_name", "bidirectional"),
    ("Created", {"slug": "Not A Slug"}, "slug", "lowercase"),
    ("Created", {"logo_url": "http://x.example/a.png"}, "logo_url", "https://"),
    ("Created", {"actor": "a\u0007"}, "actor", "control characters"),
    ("Created", {"reason": "\u0000"}, "reason", "control characters"),
    ("Organization.MemberInvited", {"email": "<script>@x.example"}, "email", "e-mail"),
    ("Membership.Invited", {"roles": ["ADMIN"]}, "roles", "lowercase"),
    ("Membership.Invited", {"metadata": {"note": "\u0085"}}, "metadata.note", "control"),
    ("Created", {"originator_topic": "os:system"}, "originator_topic", "its aggregate"),
]


@pytest.mark.parametrize(
    ("topic_end", "state", "field", "rule"), EDITS, ids=[f"{e[0]}-{e[2]}" for e in EDITS]
)
def test_an_edited_export_breaking_a_value_rule_is_refused_whole(
    make_app: MakeApp, topic_end: str, state: dict[str, Any], field: str, rule: str
) -> None:
    source, target = make_app(), make_app()
    lines = _edit(_export(source), topic_end, **state)
    with records_nothing(target), pytest.raises(InvalidField) as caught:
        transfer.import_organization(target, transfer.parse_lines(lines))
    assert caught.value.field.startswith("event ")
    assert caught.value.field.endswith(field) or field == ""
    assert rule in caught.value.rule


def test_an_unedited_export_still_imports(make_app: MakeApp) -> None:
    source, target = make_app(), make_app()
    lines = [json.dumps(r) for r in _export(source)]
    summary = transfer.import_organization(target, transfer.parse_lines(lines))
    assert summary.events == len(lines)
