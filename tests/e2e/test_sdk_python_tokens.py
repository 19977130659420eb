"""The official Python SDK's own token checks (``validate_access_token`` and
``validate_access_token_and_get_claims``) on tenantry's access tokens: the SDK reads tenantry's
``/keys`` and accepts a token from ``/oauth/token``; it refuses one that was tampered with or has
expired, and one whose issuer or audience is not the one asked for."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scalekit import ScalekitClient
from scalekit.common.exceptions import ScalekitValidateTokenFailureException
from scalekit.common.scalekit import TokenValidationOptions

from tests.e2e.http_support import Server, serve
from tests.e2e.sdk_support import made_client

ISSUER = "tenantry"
AUDIENCE = "tenantry-api"
TTL = 3


@pytest.fixture(scope="module")
def sdk(sdk_server: Server) -> ScalekitClient:
    return made_client(sdk_server)


@pytest.fixture(scope="module")
def short_lived(
    tmp_path_factory: pytest.TempPathFactory, sdk_certificate: tuple[Path, Path]
) -> Iterator[Server]:
    """A server whose access tokens live ``TTL`` seconds (over TLS, trusted like ``sdk_server``)."""
    directory = tmp_path_factory.mktemp("short")
    url = f"sqlite:///{directory / 'short.db'}"
    with serve(url, tls=sdk_certificate, args=("--token-ttl", str(TTL))) as server:
        yield server


def tampered(token: str, **claims: object) -> str:
    """``token`` with ``claims`` changed in its payload, the signature left as it was."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = json.dumps({**decoded, **claims}, separators=(",", ":")).encode()
    return ".".join([header, base64.urlsafe_b64encode(changed).rstrip(b"=").decode(), signature])


def test_the_sdk_accepts_a_token_of_the_token_endpoint(
    sdk_server: Server, sdk: ScalekitClient
) -> None:
    token = sdk_server.token()
    assert sdk.validate_access_token(token) is True
    claims = sdk.validate_access_token_and_get_claims(token)
    assert claims["sub"] == sdk_server.client_id
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["exp"] > time.time()


def test_the_sdks_own_token_is_accepted_too(sdk: ScalekitClient) -> None:
    token = sdk.get_client_access_token()
    assert sdk.validate_access_token(token) is True


def test_a_tampered_token_is_refused(sdk_server: Server, sdk: ScalekitClient) -> None:
    token = tampered(sdk_server.token(), sub="someone-else")
    assert sdk.validate_access_token(token) is False
    with pytest.raises(ScalekitValidateTokenFailureException, match="Signature verification"):
        sdk.validate_access_token_and_get_claims(token)


def test_a_token_with_a_forged_signature_is_refused(
    sdk_server: Server, sdk: ScalekitClient
) -> None:
    header, payload, signature = sdk_server.token().split(".")
    forged = ".".join(
        [header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
    )
    assert sdk.validate_access_token(forged) is False
    with pytest.raises(ScalekitValidateTokenFailureException):
        sdk.validate_access_token_and_get_claims(forged)


def test_an_expired_token_is_refused(short_lived: Server) -> None:
    checker = made_client(short_lived)
    token = short_lived.token()
    assert checker.validate_access_token(token) is True
    time.sleep(TTL + 1.5)
    assert checker.validate_access_token(token) is False
    with pytest.raises(ScalekitValidateTokenFailureException, match="expired"):
        checker.validate_access_token_and_get_claims(token)


def test_tenantrys_issuer_and_audience_are_accepted_when_asked_for(
    sdk_server: Server, sdk: ScalekitClient
) -> None:
    token = sdk_server.token()
    ours = TokenValidationOptions(issuer=ISSUER, audience=[AUDIENCE])
    assert sdk.validate_access_token(token, options=ours) is True
    assert sdk.validate_access_token_and_get_claims(token, options=ours)["iss"] == ISSUER
    either = TokenValidationOptions(issuer=["https://other.example", ISSUER])
    assert sdk.validate_access_token(token, options=either) is True


def test_another_issuer_or_audience_is_refused(sdk_server: Server, sdk: ScalekitClient) -> None:
    token = sdk_server.token()
    other_issuer = TokenValidationOptions(issuer="https://other.example")
    assert sdk.validate_access_token(token, options=other_issuer) is False
    with pytest.raises(ScalekitValidateTokenFailureException, match="issuer"):
        sdk.validate_access_token_and_get_claims(token, options=other_issuer)
    other_audience = TokenValidationOptions(issuer=ISSUER, audience=["another-api"])
    assert sdk.validate_access_token(token, options=other_audience) is False
    with pytest.raises(ScalekitValidateTokenFailureException, match=r"(?i)audience"):
        sdk.validate_access_token_and_get_claims(token, options=other_audience)


def test_required_scopes_are_checked_against_the_scopes_the_client_holds(
    sdk_server: Server, sdk: ScalekitClient
) -> None:
    scoped = made_client(sdk_server, "--scope", "organizations:write")
    token = scoped.get_client_access_token()
    held = TokenValidationOptions(required_scopes=["organizations:write", "organizations:read"])
    assert sdk.validate_access_token(token, options=held) is True
    admin = TokenValidationOptions(required_scopes=["organizations:admin"])
    assert sdk.validate_access_token(token, options=admin) is False
    with pytest.raises(ScalekitValidateTokenFailureException, match="organizations:admin"):
        sdk.validate_access_token_and_get_claims(token, options=admin)


def test_a_client_without_a_scope_list_holds_every_scope(sdk: ScalekitClient) -> None:
    token = sdk.get_client_access_token()  # the server's first client: no scope list
    every = TokenValidationOptions(required_scopes=["organizations:admin", "roles:write"])
    assert sdk.validate_access_token(token, options=every) is True
    unknown = TokenValidationOptions(required_scopes=["no-such:scope"])
    assert sdk.validate_access_token(token, options=unknown) is False
