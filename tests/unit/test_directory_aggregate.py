"""The Directory aggregate: given events, when a command, then events — each history replays to
the live state, and a refused command records nothing. Tokens are recorded only as hashes; the
older live tokens expire when a new one is issued, at once or after a grace period. Its topics
are a golden list: stored histories depend on them."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic

from tenantry.domain.base import Act
from tenantry.domain.directory import Directory, SecretStatus
from tenantry.domain.directory_errors import DirectorySecretNotFound
from tenantry.domain.directory_values import DirectoryMapping, DirectoryProvider
from tenantry.domain.errors import InvalidField, NothingChanged
from tenantry.domain.feature_errors import FeatureDisabled
from tests.sso_support import T0
from tests.unit.helpers import assert_replays_to

ACT = Act(T0, "admin@acme.example")

GOLDEN_TOPICS = sorted(
    f"tenantry.domain.directory:Directory.{name}"
    for name in (
        "Created",
        "Updated",
        "Enabled",
        "Disabled",
        "Deleted",
        "SecretIssued",
        "SecretRevoked",
    )
)


def test_the_directory_event_topics_are_the_golden_list() -> None:
    events = {
        get_topic(v)
        for v in vars(Directory).values()
        if isinstance(v, type) and issubclass(v, Directory.Event) and v is not Directory.Event
    }
    assert sorted(events) == GOLDEN_TOPICS


def _directory() -> Directory:
    return Directory.create(uuid4(), uuid4(), DirectoryProvider.OKTA, "Okta", ACT)


def _token() -> str:
    return secrets.token_urlsafe(32)


def test_a_directory_is_updated_enabled_disabled_and_deleted() -> None:
    directory = _directory()
    mapping = DirectoryMapping(email="emails.work", group_roles={"Admins": "admin"})
    directory.update(ACT, provider=DirectoryProvider.GOOGLE, name=None, mapping=mapping)
    directory.enable(True, ACT)
    assert directory.is_active(True)
    assert not directory.is_active(False)
    directory.disable(ACT)
    directory.delete(ACT)
    events = directory.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Created",
        "Updated",
        "Enabled",
        "Disabled",
        "Deleted",
    ]
    assert_replays_to(directory, events)
    s = directory.state
    assert (s.provider, s.name, s.mapping, s.deleted) == (
        DirectoryProvider.GOOGLE,
        None,
        mapping,
        True,
    )
    assert directory.public_id.startswith("dir_")
    assert directory.actor == f"directory:{directory.public_id}"


def test_refused_directory_commands_record_nothing() -> None:
    directory = _directory()
    directory.collect_events()
    with pytest.raises(FeatureDisabled) as refused:
        directory.enable(False, ACT)
    assert refused.value.feature == "dir_sync"
    with pytest.raises(NothingChanged):
        directory.disable(ACT)
    with pytest.raises(NothingChanged):
        directory.update(ACT, provider=DirectoryProvider.OKTA, name="Okta")
    with pytest.raises(NothingChanged):
        directory.update(ACT, mapping=DirectoryMapping())
    with pytest.raises(DirectorySecretNotFound):
        directory.revoke_secret(uuid4(), ACT)
    with pytest.raises(InvalidField) as too_long:
        directory.issue_secret(uuid4(), _token(), timedelta(days=31), ACT)
    assert too_long.value.field == "grace_period"
    with pytest.raises(InvalidField):
        directory.issue_secret(uuid4(), _token(), timedelta(seconds=-1), ACT)
    directory.enable(True, ACT)
    directory.collect_events()
    with pytest.raises(NothingChanged):
        directory.enable(True, ACT)
    assert directory.collect_events() == []


def test_a_token_is_recorded_only_as_its_hash_and_last_characters() -> None:
    directory = _directory()
    token = _token()
    secret = directory.issue_secret(uuid4(), token, None, ACT)
    events = directory.collect_events()
    recorded = "".join(e.model_dump_json() for e in events)
    assert token not in recorded
    assert hashlib.sha256(token.encode()).hexdigest() in recorded
    assert secret.suffix == token[-4:]
    assert secret.public_id.startswith("dsec_")
    assert token not in repr(secret)
    assert secret.hash not in repr(secret)
    assert secret.hash not in str(secret)
    assert directory.accepts(token, T0)
    assert not directory.accepts(token[:-1] + ("A" if token[-1] != "A" else "B"), T0)
    assert not directory.accepts("", T0)
    assert_replays_to(directory, events)
    assert json.loads(events[-1].model_dump_json())["secret_suffix"] == token[-4:]


def test_a_new_token_expires_the_older_ones_now_or_after_the_grace_period() -> None:
    directory = _directory()
    first, second, third = _token(), _token(), _token()
    directory.issue_secret(uuid4(), first, None, ACT)
    later = Act(T0 + timedelta(hours=1), "admin@acme.example")
    directory.issue_secret(uuid4(), second, timedelta(hours=2), later)
    assert directory.accepts(first, later.now)  # still within its grace
    assert not directory.accepts(first, later.now + timedelta(hours=2))
    assert directory.accepts(second, later.now + timedelta(days=365))
    directory.issue_secret(uuid4(), third, None, later)  # no grace: the others expire now
    now = later.now
    statuses = [x.status(now) for x in directory.state.secrets]
    assert statuses == [SecretStatus.EXPIRED, SecretStatus.EXPIRED, SecretStatus.ACTIVE]
    assert not directory.accepts(first, now)
    assert not directory.accepts(second, now)
    assert directory.accepts(third, now)
    assert_replays_to(directory, directory.collect_events())


def test_a_grace_period_never_prolongs_a_token_that_expires_sooner() -> None:
    directory = _directory()
    first = _token()
    directory.issue_secret(uuid4(), first, None, ACT)
    directory.issue_secret(uuid4(), _token(), timedelta(minutes=5), ACT)
    directory.issue_secret(uuid4(), _token(), timedelta(days=1), ACT)
    assert directory.state.secrets[0].expires_at == T0 + timedelta(minutes=5)
    assert directory.state.secrets[1].expires_at == T0 + timedelta(days=1)


def test_a_revoked_token_stops_at_once_and_once() -> None:
    directory = _directory()
    token = _token()
    secret = directory.issue_secret(uuid4(), token, None, ACT)
    directory.revoke_secret(secret.id, ACT)
    assert not directory.accepts(token, T0)
    assert directory.secret(secret.id).status(T0) == SecretStatus.REVOKED
    directory.collect_events()
    with pytest.raises(NothingChanged):
        directory.revoke_secret(secret.id, ACT)
    assert directory.collect_events() == []
