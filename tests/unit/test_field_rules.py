"""Every field rule of DOMAIN.md: accepted edges, and refusals that name the field and rule and
record nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import ImmutableField, InvalidField, NothingChanged, UnknownFeature
from tests.unit.helpers import records_nothing

ELEVEN_PAIRS = {f"key{i:02}": "v" for i in range(11)}
TEN_PAIRS = {f"key{i:02}": "v" for i in range(10)}
LONGEST_HOSTNAME = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters


def refused(app: Tenantry, command: Callable[[], object], field: str, rule: str) -> InvalidField:
    """Runs a command that must be refused with InvalidField on ``field``, recording nothing."""
    with records_nothing(app), pytest.raises(InvalidField) as caught:
        command()
    assert caught.value.field == field
    assert rule in caught.value.rule
    assert caught.value.code == "invalid_field"
    return caught.value


# --- display_name -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, " " + "x" * 201 + " "])
def test_a_display_name_outside_1_to_200_characters_after_trimming_is_refused(
    app: Tenantry, name: str
) -> None:
    refused(app, lambda: app.create_organization(name), "display_name", "1-200 characters")


def test_a_display_name_is_trimmed_and_200_characters_are_allowed(app: Tenantry) -> None:
    assert app.create_organization("  " + "x" * 200 + "  ").display_name == "x" * 200
    assert app.create_organization("  Acme  ").display_name == "Acme"


def test_a_display_name_with_control_characters_is_refused(app: Tenantry) -> None:
    refused(app, lambda: app.create_organization("Ac\nme"), "display_name", "control")


def test_renaming_to_a_bad_display_name_is_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    refused(app, lambda: app.update_organization(org.id, display_name=" "), "display_name", "1-200")


# --- metadata -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "field", "rule"),
    [
        (ELEVEN_PAIRS, "metadata", "at most 10 pairs"),
        ({"ab": "v"}, "metadata.ab", "keys must be 3-25"),
        ({"k" * 26: "v"}, "metadata." + "k" * 26, "keys must be 3-25"),
        ({"tier": ""}, "metadata.tier", "values must be 1-256"),
        ({"tier": "v" * 257}, "metadata.tier", "values must be 1-256"),
        ({"tier": 3}, "metadata", "map of strings to strings"),
        (["tier"], "metadata", "map of strings to strings"),
    ],
)
def test_metadata_breaking_its_limits_is_refused(
    app: Tenantry, metadata: Any, field: str, rule: str
) -> None:
    refused(app, lambda: app.create_organization("Acme", metadata=metadata), field, rule)
    org = app.create_organization("Acme")
    refused(app, lambda: app.update_organization(org.id, metadata=metadata), field, rule)


def test_metadata_at_its_limits_is_accepted(app: Tenantry) -> None:
    assert app.create_organization("Acme", metadata=TEN_PAIRS).metadata == TEN_PAIRS
    edges = {"abc": "v", "k" * 25: "v" * 256}
    assert app.create_organization("Acme", metadata=edges).metadata == edges


def test_membership_metadata_follows_the_same_limits(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    refused(
        app,
        lambda: app.invite_member(org.id, "b@x.io", metadata={"ab": "v"}),
        "membership.metadata.ab",
        "keys must be 3-25",
    )


# --- slug ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    [
        "Acme",
        "acme_corp",
        "-acme",
        "acme-",
        "a" * 64,
        "acme..io",
        ".acme",
        "acme.",
        "acmé",
        "acme corp",
    ],
)
def test_a_slug_that_is_not_a_lowercase_label_or_hostname_is_refused(
    app: Tenantry, slug: str
) -> None:
    refused(app, lambda: app.create_organization("Acme", slug=slug), "slug", "labels of 1-63")


def test_a_slug_longer_than_253_characters_is_refused(app: Tenantry) -> None:
    refused(
        app, lambda: app.create_organization("Acme", slug=LONGEST_HOSTNAME + "d"), "slug", "253"
    )


@pytest.mark.parametrize(
    "slug", ["a", "acme", "acme-corp", "a" * 63, "eu.acme.io", LONGEST_HOSTNAME]
)
def test_a_lowercase_label_or_hostname_is_a_valid_slug(app: Tenantry, slug: str) -> None:
    assert app.create_organization("Acme", slug=slug).slug == slug


def test_an_empty_slug_on_update_clears_it(app: Tenantry) -> None:
    org = app.create_organization("Acme", slug="acme")
    assert app.update_organization(org.id, slug="").slug is None
    assert app.get_organization(org.id).slug is None


# --- logo_url -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://cdn.acme.io/logo.png", "https://"),
        ("ftp://cdn.acme.io/logo.png", "https://"),
        ("https://", "https://"),
        ("cdn.acme.io/logo.png", "https://"),
        ("https://cdn.acme.io/" + "x" * 1005, "at most 1024"),
    ],
)
def test_a_logo_url_that_is_not_https_or_too_long_is_refused(
    app: Tenantry, url: str, rule: str
) -> None:
    refused(app, lambda: app.create_organization("Acme", logo_url=url), "logo_url", rule)


def test_an_https_logo_url_of_1024_characters_is_accepted_and_empty_clears_it(
    app: Tenantry,
) -> None:
    url = "https://cdn.acme.io/" + "x" * 1004
    assert len(url) == 1024
    org = app.create_organization("Acme", logo_url=url)
    assert org.logo_url == url
    assert app.update_organization(org.id, logo_url="").logo_url is None


# --- external_id --------------------------------------------------------------------------------


def test_an_external_id_longer_than_255_characters_is_refused(app: Tenantry) -> None:
    refused(
        app, lambda: app.create_organization("Acme", external_id="e" * 256), "external_id", "255"
    )


# --- region_code --------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["ASIA", "", "usa"])
def test_a_region_other_than_us_or_eu_is_refused(app: Tenantry, region: str) -> None:
    refused(
        app, lambda: app.create_organization("Acme", region_code=region), "region_code", "US or EU"
    )


def test_the_region_defaults_to_us_and_accepts_eu_in_any_case(app: Tenantry) -> None:
    assert app.create_organization("Acme").region_code == "US"
    assert app.create_organization("Acme", region_code="eu").region_code == "EU"


def test_the_region_cannot_change_after_creation(app: Tenantry) -> None:
    org = app.create_organization("Acme", region_code="EU")
    with records_nothing(app), pytest.raises(ImmutableField) as caught:
        app.update_organization(org.id, region_code="US", display_name="Acme EU")
    assert (caught.value.field, caught.value.code) == ("region_code", "immutable_field")
    assert app.get_organization(org.id).display_name == "Acme"


def test_giving_the_same_region_on_update_changes_nothing(app: Tenantry) -> None:
    org = app.create_organization("Acme", region_code="EU")
    with records_nothing(app), pytest.raises(NothingChanged):
        app.update_organization(org.id, region_code="EU")


# --- features -----------------------------------------------------------------------------------


def test_an_unknown_feature_is_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    with records_nothing(app), pytest.raises(UnknownFeature) as caught:
        app.update_organization_settings(org.id, [("sso", True), ("teleport", True)])
    error = caught.value
    assert (error.field, error.name, error.code) == (
        "settings.features.name",
        "teleport",
        "unknown_feature",
    )
    assert "sso" in error.rule


@pytest.mark.parametrize(
    ("features", "field", "rule"),
    [
        ([], "settings.features", "at least one"),
        ([("sso", "yes")], "settings.features.sso.enabled", "true or false"),
        ([("sso", True), ("sso", False)], "settings.features", "twice"),
    ],
)
def test_malformed_feature_settings_are_refused(
    app: Tenantry, features: Any, field: str, rule: str
) -> None:
    org = app.create_organization("Acme")
    refused(app, lambda: app.update_organization_settings(org.id, features), field, rule)


def test_every_known_feature_can_be_turned_on(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    names = ["sso", "dir_sync", "domain_verification", "session_policy"]
    updated = app.update_organization_settings(org.id, {name: True for name in names})
    assert {f.name: f.enabled for f in updated.settings.features} == dict.fromkeys(names, True)


# --- max_allowed_users --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (-1, "0 (no limit) or a positive"),
        (True, "integer"),
        ("3", "integer"),
        (2.5, "integer"),
        (10_000_001, "at most 10000000"),
    ],
)
def test_a_bad_seat_limit_is_refused(app: Tenantry, value: Any, rule: str) -> None:
    org = app.create_organization("Acme")
    refused(
        app,
        lambda: app.upsert_user_management_settings(org.id, value),
        "max_allowed_users",
        rule,
    )


@pytest.mark.parametrize("value", [None, 0, 1, 10_000_000])
def test_the_seat_limit_takes_none_zero_or_a_positive_count(
    app: Tenantry, value: int | None
) -> None:
    org = app.create_organization("Acme")
    app.upsert_user_management_settings(org.id, 5)
    settings = app.upsert_user_management_settings(org.id, value)
    assert settings.max_allowed_users == value
    assert app.get_user_management_settings(org.id).max_allowed_users == value


# --- session policy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "field", "rule"),
    [
        (
            {"policy_source": "APPLICATION", "absolute_session_timeout": 1},
            "session_policy.policy_source",
            "takes no timeouts",
        ),
        (
            {"policy_source": "CUSTOM"},
            "session_policy.absolute_session_timeout",
            "amount and a unit",
        ),
        (
            {
                "policy_source": "CUSTOM",
                "absolute_session_timeout": 0,
                "absolute_session_timeout_unit": "HOURS",
            },
            "session_policy.absolute_session_timeout",
            "positive",
        ),
        (
            {
                "policy_source": "CUSTOM",
                "absolute_session_timeout": 366,
                "absolute_session_timeout_unit": "DAYS",
            },
            "session_policy.absolute_session_timeout",
            "365 days",
        ),
        (
            {
                "policy_source": "CUSTOM",
                "absolute_session_timeout": 1,
                "absolute_session_timeout_unit": "HOURS",
                "idle_session_timeout_enabled": True,
                "idle_session_timeout": 2,
                "idle_session_timeout_unit": "HOURS",
            },
            "session_policy.idle_session_timeout",
            "must not exceed",
        ),
        (
            {
                "policy_source": "CUSTOM",
                "absolute_session_timeout": 1,
                "absolute_session_timeout_unit": "DAYS",
                "idle_session_timeout": 2,
                "idle_session_timeout_unit": "HOURS",
            },
            "session_policy.idle_session_timeout",
            "only allowed when idle timeout is enabled",
        ),
        (
            {
                "policy_source": "CUSTOM",
                "absolute_session_timeout": 1,
                "absolute_session_timeout_unit": "WEEKS",
            },
            "session_policy.absolute_session_timeout_unit",
            "",
        ),
        ({"policy_source": "INHERIT"}, "session_policy.policy_source", ""),
        ({"policy_source": "APPLICATION", "colour": "red"}, "session_policy.colour", ""),
    ],
)
def test_a_session_policy_breaking_its_rules_is_refused(
    app: Tenantry, policy: dict[str, Any], field: str, rule: str
) -> None:
    org = app.create_organization("Acme")
    refused(app, lambda: app.update_session_policy(org.id, policy), field, rule)


def test_a_custom_session_policy_is_stored_and_read_back(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    policy = {
        "policy_source": "CUSTOM",
        "absolute_session_timeout": 12,
        "absolute_session_timeout_unit": "HOURS",
        "idle_session_timeout_enabled": True,
        "idle_session_timeout": 30,
        "idle_session_timeout_unit": "MINUTES",
    }
    app.update_session_policy(org.id, policy)
    view = app.get_session_policy(org.id)
    assert view.model_dump(exclude={"organization_id"}) == policy
    assert view.organization_id == org.id


# --- allowed sign-in methods --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("methods", "rule"), [(["sso", "carrier_pigeon"], "carrier_pigeon"), ([], "at least one")]
)
def test_bad_sign_in_methods_are_refused(app: Tenantry, methods: list[str], rule: str) -> None:
    org = app.create_organization("Acme")
    refused(
        app,
        lambda: app.set_allowed_sign_in_methods(org.id, methods),
        "allowed_sign_in_methods",
        rule,
    )


def test_sign_in_methods_are_deduplicated_sorted_and_none_inherits(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    assert app.get_allowed_sign_in_methods(org.id).allowed_sign_in_methods is None
    app.set_allowed_sign_in_methods(org.id, ["sso", "passkey", "sso"])
    assert app.get_allowed_sign_in_methods(org.id).allowed_sign_in_methods == ["passkey", "sso"]
    app.set_allowed_sign_in_methods(org.id, None)
    assert app.get_allowed_sign_in_methods(org.id).allowed_sign_in_methods is None


# --- e-mail and roles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["", "bob", "bob@", "@x.io", "bob@x", "b ob@x.io", "b" * 250 + "@x.io"]
)
def test_a_malformed_email_is_refused(app: Tenantry, email: str) -> None:
    org = app.create_organization("Acme")
    refused(app, lambda: app.invite_member(org.id, email), "email", "e-mail address")


def test_an_email_is_trimmed_and_lowercased_and_identifies_one_user(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    member = app.invite_member(org.id, "  Bob@X.io ")
    assert member.email == "bob@x.io"
    shown = app.get_user("BOB@x.io")
    assert (shown.id, shown.email) == (member.user_id, "bob@x.io")


def test_a_malformed_inviter_email_is_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    refused(
        app,
        lambda: app.invite_member(org.id, "bob@x.io", inviter_email="nobody"),
        "inviter_email",
        "e-mail",
    )


@pytest.mark.parametrize(
    ("roles", "rule"),
    [
        (["Admin"], "lowercase"),
        (["has space"], "lowercase"),
        ([""], "1-64"),
        (["r" * 65], "1-64"),
        ([], "at least one role"),
        ("admin", "list of role names"),
        ([f"role{i}" for i in range(21)], "at most 20"),
    ],
)
def test_bad_roles_are_refused(app: Tenantry, roles: Any, rule: str) -> None:
    org = app.create_organization("Acme")
    refused(app, lambda: app.invite_member(org.id, "bob@x.io", roles=roles), "roles", rule)


def test_roles_default_to_member_and_are_deduplicated_and_sorted(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    assert app.invite_member(org.id, "a@x.io").roles == ["member"]
    assert app.add_member(org.id, "b@x.io", roles=["member", "admin", "member"]).roles == [
        "admin",
        "member",
    ]


def test_an_unknown_provisioning_method_is_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme")
    refused(
        app,
        lambda: app.add_member(org.id, "b@x.io", provisioning_method="telepathy"),
        "provisioning_method",
        "jit_using_sso",
    )


# --- ids, actor, reason, lifetimes --------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id", ["acme", "usr_" + "0" * 26, "org_" + "0" * 25, "org_" + "u" * 26]
)
def test_a_malformed_organization_id_is_refused(app: Tenantry, bad_id: str) -> None:
    refused(app, lambda: app.get_organization(bad_id), "organization_id", "org_ id")
    refused(app, lambda: app.delete_organization(bad_id), "organization_id", "org_ id")


def test_a_blank_actor_or_an_overlong_reason_is_refused(app: Tenantry) -> None:
    refused(app, lambda: app.create_organization("Acme", actor=" "), "actor", "1-255")
    refused(app, lambda: app.create_organization("Acme", reason="r" * 1001), "reason", "1000")


@pytest.mark.parametrize("lifetime", [timedelta(seconds=59), timedelta(days=91)])
def test_an_invitation_lifetime_outside_one_minute_to_90_days_is_refused(
    app: Tenantry, lifetime: timedelta
) -> None:
    org = app.create_organization("Acme")
    refused(
        app,
        lambda: app.invite_member(org.id, "b@x.io", expires_in=lifetime),
        "expires_in",
        "between 1 minute and 90 days",
    )
