"""The text rule (tenantry.domain.text) and the e-mail rule, through the Python API: every stored
string is NFC and free of NUL, control characters and lone surrogates; names hold no bidi
controls; e-mails are read by email-validator. Each refusal names the field and the rule and
records nothing."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain import arguments, text
from tenantry.domain.errors import InvalidField
from tenantry.projections import queries
from tests.unit.helpers import records_nothing

BAD_EVERYWHERE = {
    "NUL": ("a\x00b", "control characters"),
    "BEL": ("a\x07b", "control characters"),
    "DEL": ("a\x7fb", "control characters"),
    "C1": ("a\x85b", "control characters"),
    "lone surrogate": ("a\ud800b", "lone surrogates"),
    "undecodable argv byte": ("a\udcffb", "lone surrogates"),
}
BIDI = {
    "RLO": "abc\u202egnp.exe",
    "LRE": "a\u202ab",
    "isolate": "a\u2066b\u2069",
    "RLM": "a\u200fb",
    "ALM": "a\u061cb",
}


def refused(app: Tenantry, command: Callable[[], object], field: str, rule: str) -> None:
    with records_nothing(app), pytest.raises(InvalidField) as caught:
        command()
    assert caught.value.field == field
    assert rule in caught.value.rule


@pytest.mark.parametrize(("value", "rule"), BAD_EVERYWHERE.values(), ids=BAD_EVERYWHERE.keys())
def test_free_text_refuses_control_characters_and_lone_surrogates(value: str, rule: str) -> None:
    with pytest.raises(InvalidField) as caught:
        text.free_text(value, "reason")
    assert caught.value.field == "reason"
    assert rule in caught.value.rule


@pytest.mark.parametrize("value", BIDI.values(), ids=BIDI.keys())
def test_a_name_refuses_bidi_controls_that_free_text_keeps(value: str) -> None:
    with pytest.raises(InvalidField, match="bidirectional"):
        text.name(value, "display_name")
    assert text.free_text(value, "reason") == value


def test_text_is_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Société Générale")
    assert decomposed != "Société Générale"
    assert text.name(decomposed, "display_name") == "Société Générale"


# --- through the Python API ---------------------------------------------------------------------


@pytest.mark.parametrize(("value", "rule"), BAD_EVERYWHERE.values(), ids=BAD_EVERYWHERE.keys())
def test_every_stored_string_field_refuses_control_characters_and_surrogates(
    app: Tenantry, value: str, rule: str
) -> None:
    org = app.create_organization("Acme")
    email = "ada@acme.example"
    app.invite_member(org.id, email)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: app.create_organization(value), "display_name"),
        (lambda: app.create_organization("X", external_id=value), "external_id"),
        (lambda: app.create_organization("X", logo_url=f"https://x.example/{value}"), "logo_url"),
        (lambda: app.create_organization("X", metadata={"key": value}), "metadata.key"),
        (lambda: app.create_organization("X", metadata={f"ke{value}y": "v"}), "metadata"),
        (lambda: app.update_organization(org.id, display_name=value), "display_name"),
        (lambda: app.update_organization(org.id, display_name="B", reason=value), "reason"),
        (lambda: app.update_organization(org.id, display_name="B", actor=value), "actor"),
        (lambda: app.invite_member(org.id, f"gr{value}ce@acme.example"), "email"),
        (lambda: app.invite_member(org.id, "g@acme.example", roles=[f"r{value}"]), "roles"),
        (
            lambda: app.invite_member(org.id, "g@acme.example", metadata={"key": value}),
            "membership.metadata.key",
        ),
        (lambda: queries.search_query(f"ab{value}"), "query"),
        (lambda: arguments.text(f"a{value}", "actor"), "actor"),
    ]
    for command, field in cases:
        with records_nothing(app), pytest.raises(InvalidField) as caught:
            command()
        assert caught.value.field == field, (field, caught.value)


@pytest.mark.parametrize("value", BIDI.values(), ids=BIDI.keys())
def test_names_refuse_bidi_controls_and_metadata_values_keep_them(
    app: Tenantry, value: str
) -> None:
    refused(app, lambda: app.create_organization(value), "display_name", "bidirectional")
    refused(app, lambda: app.create_organization("X", external_id=value), "external_id", "bidi")
    refused(app, lambda: app.create_organization("X", metadata={value: "v"}), "metadata", "bidi")
    refused(app, lambda: app.create_organization("X", actor=value), "actor", "bidirectional")
    org = app.create_organization("X", metadata={"note": value})
    assert app.get_organization(org.id).metadata == {"note": value}


def test_a_trailing_newline_does_not_pass_the_slug_or_role_patterns(app: Tenantry) -> None:
    refused(app, lambda: app.create_organization("X", slug="acme\n"), "slug", "lowercase")
    org = app.create_organization("X")
    refused(app, lambda: app.invite_member(org.id, "a@x.example", roles=["admin\n"]), "roles", "")


def test_a_decomposed_display_name_is_stored_composed(app: Tenantry) -> None:
    org = app.create_organization(unicodedata.normalize("NFD", "Société"))
    assert app.get_organization(org.id).display_name == "Société"


# --- e-mail -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "a\x00b@example.com",
        "a\x07b@example.com",
        "a\u200bb@example.com",
        "a\u202eb@example.com",
        "<script>@x.example",
        "a@b..example",
        "a@b",
        "a b@example.com",
        "@example.com",
        "a@-b.example",
    ],
)
def test_a_malformed_email_is_refused(app: Tenantry, email: str) -> None:
    org = app.create_organization("Acme")
    refused(app, lambda: app.invite_member(org.id, email), "email", "")


def test_an_email_is_normalised_and_lowercased(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    m = app.invite_member(org.id, "  Ada.Lovelace@Example.COM ")
    assert m.email == "ada.lovelace@example.com"
    idn = app.invite_member(org.id, "grace@BÜCHER.example")
    assert idn.email == "grace@bücher.example"
