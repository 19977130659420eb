"""OpenID Connect sign-in against a real provider app: the flow, key rotation, and each attack
refused with its own reason."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from tenantry.adapters.sso.oidc import OidcLoginRequest, OidcRelyingParty, pkce_challenge
from tenantry.adapters.sso.oidc_provider import OidcProvider, ProviderMetadata
from tenantry.errors import IdentityProviderUnavailable, OidcRejected
from tests.integration.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    REDIRECT_URI,
    FakeOidcProvider,
    b64url,
    new_key,
    unsigned_token,
)
from tests.support import FakeClock

Callback = dict[str, str]


@pytest.fixture
def provider(clock: FakeClock) -> FakeOidcProvider:
    return FakeOidcProvider(clock)


@pytest.fixture
def http(provider: FakeOidcProvider) -> Iterator[TestClient]:
    with TestClient(provider.app()) as client:
        yield client


@pytest.fixture
def rp(http: TestClient, clock: FakeClock) -> OidcRelyingParty:
    return OidcRelyingParty(
        OidcProvider(ISSUER, CLIENT_ID, CLIENT_SECRET), REDIRECT_URI, http, clock
    )


def browse(rp: OidcRelyingParty, http: TestClient) -> tuple[Callback, OidcLoginRequest]:
    """The browser's round trip: to the provider and back to the callback with a code."""
    pending = rp.start_login()
    answer = http.get(pending.authorization_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return dict(parse_qsl(location.query)), pending


def refused(rp: OidcRelyingParty, http: TestClient) -> str:
    callback, pending = browse(rp, http)
    with pytest.raises(OidcRejected) as error:
        rp.finish_login(callback, pending)
    return error.value.reason


def test_the_authorization_url_carries_state_nonce_and_an_s256_challenge(
    rp: OidcRelyingParty,
) -> None:
    pending = rp.start_login(login_hint="ada@example.com")
    query = {k: v[0] for k, v in parse_qs(urlsplit(pending.authorization_url).query).items()}
    assert query["state"] == pending.state
    assert query["nonce"] == pending.nonce
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == pkce_challenge(pending.code_verifier)
    assert query["scope"] == "openid email profile"
    assert query["login_hint"] == "ada@example.com"
    assert pending.code_verifier not in pending.authorization_url
    assert pending.code_verifier not in repr(pending)


def test_a_login_yields_the_verified_identity(rp: OidcRelyingParty, http: TestClient) -> None:
    callback, pending = browse(rp, http)
    identity = rp.finish_login(callback, pending)
    assert (identity.protocol, identity.issuer, identity.subject) == ("oidc", ISSUER, "user-42")
    assert identity.email == "ada@example.com"
    assert (identity.given_name, identity.family_name) == ("Ada", "Lovelace")
    assert identity.groups == ("Engineering",)


def test_a_wrong_audience_is_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient
) -> None:
    provider.claims = {"aud": "another-client"}
    assert refused(rp, http) == "wrong_audience"


def test_several_audiences_without_our_azp_are_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient
) -> None:
    provider.claims = {"aud": [CLIENT_ID, "another-client"]}
    assert refused(rp, http) == "wrong_audience"
    provider.claims = {"aud": [CLIENT_ID, "another-client"], "azp": CLIENT_ID}
    callback, pending = browse(rp, http)
    assert rp.finish_login(callback, pending).subject == "user-42"


def test_a_wrong_issuer_is_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient
) -> None:
    provider.claims = {"iss": "https://evil.example.test"}
    assert refused(rp, http) == "wrong_issuer"


def test_a_signature_by_another_key_is_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient
) -> None:
    provider.signing_key = new_key("key-1")  # same kid as the published key, another key
    assert refused(rp, http) == "bad_signature"


def test_a_key_the_jwks_does_not_publish_is_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient
) -> None:
    provider.signing_key = new_key("unpublished")
    assert refused(rp, http) == "unknown_key"


def test_alg_none_is_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient
) -> None:
    provider.forge = unsigned_token
    assert refused(rp, http) == "unsigned"


def test_hs256_signed_with_the_public_key_is_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient
) -> None:
    public_pem = provider.keys[0].public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def confused(claims: dict[str, object]) -> str:
        # Written by hand: joserfc itself refuses to use a PEM public key as an HMAC secret.
        header = b64url(json.dumps({"alg": "HS256", "kid": "key-1"}).encode())
        body = b64url(json.dumps(claims).encode())
        mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{b64url(mac)}"

    provider.forge = confused
    assert refused(rp, http) == "weak_algorithm"


def test_an_expired_id_token_is_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient, clock: FakeClock
) -> None:
    provider.claims = {"exp": int((clock() - timedelta(minutes=4)).timestamp())}
    assert refused(rp, http) == "expired"


def test_an_id_token_issued_in_the_future_is_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient, clock: FakeClock
) -> None:
    provider.claims = {"iat": int((clock() + timedelta(minutes=10)).timestamp())}
    assert refused(rp, http) == "not_yet_valid"


def test_a_reused_code_is_refused_by_the_provider_and_surfaced(
    rp: OidcRelyingParty, http: TestClient
) -> None:
    callback, pending = browse(rp, http)
    rp.finish_login(callback, pending)
    with pytest.raises(OidcRejected) as error:
        rp.finish_login(callback, pending)
    assert (error.value.reason, error.value.detail) == ("token_error", "invalid_grant")


def test_a_code_without_its_pkce_verifier_is_refused(
    rp: OidcRelyingParty, http: TestClient
) -> None:
    callback, _ = browse(rp, http)
    with pytest.raises(OidcRejected) as error:
        rp.redeem(callback["code"], None)
    assert (error.value.reason, error.value.detail) == ("token_error", "invalid_grant")


def test_a_code_with_another_pkce_verifier_is_refused(
    rp: OidcRelyingParty, http: TestClient
) -> None:
    callback, pending = browse(rp, http)
    other = rp.start_login()
    with pytest.raises(OidcRejected) as error:
        rp.finish_login(callback, replace(pending, code_verifier=other.code_verifier))
    assert error.value.reason == "token_error"


def test_a_mismatched_state_is_refused_before_the_code_is_redeemed(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient
) -> None:
    callback, pending = browse(rp, http)
    with pytest.raises(OidcRejected) as error:
        rp.finish_login({**callback, "state": "forged"}, pending)
    assert error.value.reason == "state_mismatch"
    assert callback["code"] in provider.grants  # still unredeemed: a forged callback burns nothing


def test_a_mismatched_nonce_is_refused(rp: OidcRelyingParty, http: TestClient) -> None:
    callback, pending = browse(rp, http)
    with pytest.raises(OidcRejected) as error:
        rp.finish_login(callback, replace(pending, nonce="another-browser's-nonce"))
    assert error.value.reason == "nonce_mismatch"


def test_an_error_from_the_provider_is_surfaced(rp: OidcRelyingParty) -> None:
    pending = rp.start_login()
    with pytest.raises(OidcRejected) as error:
        rp.finish_login({"state": pending.state, "error": "access_denied"}, pending)
    assert (error.value.reason, error.value.detail) == ("provider_error", "access_denied")


def test_an_unverified_email_is_refused(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient
) -> None:
    provider.claims = {"email_verified": False}
    assert refused(rp, http) == "missing_attribute"


def test_a_rotated_key_is_fetched_once_it_signs(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient, clock: FakeClock
) -> None:
    rp.finish_login(*browse(rp, http))
    assert provider.jwks_fetches == 1
    provider.keys = [new_key("key-2")]
    clock.advance(timedelta(minutes=2))
    assert rp.finish_login(*browse(rp, http)).subject == "user-42"
    assert provider.jwks_fetches == 2
    rp.finish_login(*browse(rp, http))
    assert provider.jwks_fetches == 2  # a known kid needs no fetch


def test_unknown_kids_refetch_the_jwks_at_most_once_a_minute(
    provider: FakeOidcProvider, rp: OidcRelyingParty, http: TestClient, clock: FakeClock
) -> None:
    rp.finish_login(*browse(rp, http))
    provider.signing_key = new_key("unpublished")
    clock.advance(timedelta(minutes=2))
    for _ in range(3):
        assert refused(rp, http) == "unknown_key"
    assert provider.jwks_fetches == 2


def test_a_discovery_document_for_another_issuer_is_refused(
    http: TestClient, clock: FakeClock
) -> None:
    other = OidcRelyingParty(
        OidcProvider(ISSUER + "/", CLIENT_ID, CLIENT_SECRET), REDIRECT_URI, http, clock
    )
    with pytest.raises(OidcRejected) as error:
        other.start_login()
    assert error.value.reason == "wrong_issuer"


def test_the_client_secret_stays_out_of_the_provider_repr() -> None:
    assert CLIENT_SECRET not in repr(OidcProvider(ISSUER, CLIENT_ID, CLIENT_SECRET))


def test_the_client_may_authenticate_in_the_form_body(http: TestClient, clock: FakeClock) -> None:
    provider = OidcProvider(
        ISSUER, CLIENT_ID, CLIENT_SECRET, token_auth_method="client_secret_post"
    )
    poster = OidcRelyingParty(provider, REDIRECT_URI, http, clock)
    assert poster.finish_login(*browse(poster, http)).subject == "user-42"


def test_a_wrong_client_secret_is_surfaced_as_a_token_error(
    http: TestClient, clock: FakeClock
) -> None:
    wrong = OidcRelyingParty(OidcProvider(ISSUER, CLIENT_ID, "wrong"), REDIRECT_URI, http, clock)
    callback, pending = browse(wrong, http)
    with pytest.raises(OidcRejected) as error:
        wrong.finish_login(callback, pending)
    assert (error.value.reason, error.value.detail) == ("token_error", "invalid_client")
    assert "wrong" not in error.value.message


def test_an_unreachable_provider_is_reported_as_unavailable(clock: FakeClock) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    issuer = f"http://127.0.0.1:{port}"
    with httpx.Client(timeout=2) as client:
        rp = OidcRelyingParty(
            OidcProvider(issuer, CLIENT_ID, CLIENT_SECRET), REDIRECT_URI, client, clock
        )
        with pytest.raises(IdentityProviderUnavailable) as error:
            rp.start_login()
    assert error.value.endpoint == f"{issuer}/.well-known/openid-configuration"
    assert error.value.problem == "ConnectError"


def test_endpoints_given_by_hand_skip_discovery(
    provider: FakeOidcProvider, http: TestClient, clock: FakeClock
) -> None:
    endpoints = ProviderMetadata(ISSUER, f"{ISSUER}/authorize", f"{ISSUER}/token", f"{ISSUER}/jwks")
    provider_settings = OidcProvider(ISSUER, CLIENT_ID, CLIENT_SECRET)
    manual = OidcRelyingParty(provider_settings, REDIRECT_URI, http, clock, metadata=endpoints)
    assert manual.finish_login(*browse(manual, http)).subject == "user-42"
    assert provider.discoveries == 0
