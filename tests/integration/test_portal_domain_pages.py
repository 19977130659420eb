"""The portal's domain pages, in process (``create_app`` behind a ``TestClient`` holding a portal
session's cookie; DNS answered from a table): adding a domain shows the TXT record to publish;
verifying before it is published says what DNS had and records nothing; once published it
verifies, completing the step the framing page is told about. A form without the session's
token, a session whose link does not grant ``domain_verification``, or a bad value is refused —
next to the field it names — and nothing is recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tenantry.adapters.web import WebSettings
from tenantry.application.app import Tenantry
from tests.integration.portal_support import csrf_of, portal_client
from tests.sso_support import TableResolver
from tests.unit.helpers import stored

RECORD_NAME = re.compile(r'<code id="c-record-name">([^<]+)</code>')
RECORD_VALUE = re.compile(r'<code id="c-record-value">([^<]+)</code>')


@dataclass
class Portal:
    t: Tenantry
    dns: TableResolver
    org: str
    client: TestClient
    actor: str
    csrf: str

    def recorded(self) -> int:
        return self.t.recorder.max_notification_id() or 0

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> Any:
        form = {"csrf_token": self.csrf} if csrf else {}
        return self.client.post(f"/portal{path}", data={**form, **(data or {})})

    def add(self, domain: str = "acme.example") -> str:
        added = self.post("/domains", {"domain": domain})
        assert added.status_code == 303, added.text
        found = re.fullmatch(
            r"/portal/domains/(dom_[0-9a-z]+)\?done=added", added.headers["location"]
        )
        assert found is not None
        return found.group(1)


@pytest.fixture
def served() -> Iterator[tuple[FastAPI, Tenantry, TableResolver]]:
    app = create_app("memory://", web=WebSettings(frame_ancestors=("https://app.vendor.example",)))
    with TestClient(app):
        t: Tenantry = app.state.tenantry
        dns = TableResolver()
        t.configure_sso(resolver=dns)
        yield app, t, dns


def _portal(
    served: tuple[FastAPI, Tenantry, TableResolver],
    features: tuple[str, ...] = ("domain_verification",),
) -> Portal:
    app, t, dns = served
    org = t.create_organization("Acme").id
    client, actor = portal_client(app, org, features)
    page = client.get("/portal")
    return Portal(t, dns, org, client, actor, csrf_of(page.text))


@pytest.fixture
def portal(served: tuple[FastAPI, Tenantry, TableResolver]) -> Portal:
    return _portal(served)


def test_an_added_domain_shows_the_txt_record_to_publish(portal: Portal) -> None:
    domain_id = portal.add("Acme.Example")
    page = portal.client.get(f"/portal/domains/{domain_id}?done=added")
    assert page.status_code == 200
    assert "Pending verification" in page.text
    assert "Publish its TXT record" in page.text
    domain = portal.t.get_domain(portal.org, domain_id)
    assert domain.domain == "acme.example"
    name, value = RECORD_NAME.search(page.text), RECORD_VALUE.search(page.text)
    assert name is not None
    assert value is not None
    assert name.group(1) == domain.verification.txt_record_name
    assert value.group(1) == domain.verification.txt_record_value
    assert 'data-copy="c-record-name"' in page.text
    assert 'data-copy="c-record-value"' in page.text
    listed = portal.client.get("/portal/domains")
    assert f'href="/portal/domains/{domain_id}"' in listed.text
    actors = {s["actor"] for _, topic, s in stored(portal.t) if "Domain" in topic}
    assert actors == {portal.actor}


def test_verifying_before_the_record_is_published_says_what_dns_had(portal: Portal) -> None:
    domain_id = portal.add()
    before = portal.recorded()
    page = portal.post(f"/domains/{domain_id}/verify")
    assert page.status_code == 422
    alert = re.search(r'role="alert" id="e-verify">([^<]+)<', page.text)
    assert alert is not None
    assert "the name does not exist" in alert.group(1)
    assert "data-completed-step" not in page.text
    assert portal.recorded() == before
    domain = portal.t.get_domain(portal.org, domain_id)
    portal.dns.records[domain.verification.txt_record_name] = ["something else"]
    page = portal.post(f"/domains/{domain_id}/verify")
    assert "1 other TXT record(s)" in page.text
    assert portal.recorded() == before


def test_a_published_record_verifies_the_domain_and_completes_the_step(portal: Portal) -> None:
    domain_id = portal.add()
    record = portal.t.get_domain(portal.org, domain_id).verification
    portal.dns.records[record.txt_record_name] = [record.txt_record_value]
    verified = portal.post(f"/domains/{domain_id}/verify")
    assert verified.status_code == 303
    page = portal.client.get(verified.headers["location"])
    assert 'data-completed-step="domain.verified"' in page.text
    assert "Verified" in page.text
    assert "by DNS" in page.text
    assert RECORD_VALUE.search(page.text) is None  # nothing left to publish
    domain = portal.t.get_domain(portal.org, domain_id)
    assert (domain.verification_status, domain.verification_method) == ("VERIFIED", "DNS")
    assert stored(portal.t)[-1][2]["actor"] == portal.actor
    listed = portal.client.get("/portal/domains")
    assert "Verified" in listed.text


@pytest.mark.parametrize("bad", ["not a domain", "localhost", ""])
def test_a_domain_that_is_not_one_is_shown_next_to_its_field(portal: Portal, bad: str) -> None:
    before = portal.recorded()
    page = portal.post("/domains", {"domain": bad})
    assert page.status_code == 400
    error = re.search(r'<p class="error" id="e-domain">([^<]+)</p>', page.text)
    assert error is not None
    assert "domain" in error.group(1)
    assert portal.recorded() == before
    assert portal.t.list_domains(portal.org) == []


def test_a_domain_added_twice_is_refused_next_to_its_field(portal: Portal) -> None:
    portal.add()
    before = portal.recorded()
    page = portal.post("/domains", {"domain": "ACME.example"})
    assert page.status_code == 409
    error = re.search(r'<p class="error" id="e-domain">([^<]+)</p>', page.text)
    assert error is not None
    assert "already one of this organization" in error.group(1)
    assert portal.recorded() == before


def test_a_form_without_the_sessions_token_is_refused_and_nothing_is_recorded(
    portal: Portal,
) -> None:
    before = portal.recorded()
    assert portal.post("/domains", {"domain": "acme.example"}, csrf=False).status_code == 403
    domain_id = portal.t.add_domain(portal.org, "acme.example").id
    record = portal.t.get_domain(portal.org, domain_id).verification
    portal.dns.records[record.txt_record_name] = [record.txt_record_value]
    before = portal.recorded()
    for action in ("verify", "delete"):
        assert portal.post(f"/domains/{domain_id}/{action}", csrf=False).status_code == 403
    assert portal.recorded() == before
    assert portal.t.get_domain(portal.org, domain_id).verification_status == "PENDING"


def test_a_session_without_domain_verification_sees_no_domain_page(
    served: tuple[FastAPI, Tenantry, TableResolver],
) -> None:
    portal = _portal(served, ("dir_sync",))
    page = portal.client.get("/portal/domains")
    assert page.status_code == 403
    assert "feature_not_in_scope" in page.text
    before = portal.recorded()
    assert portal.post("/domains", {"domain": "acme.example"}).status_code == 403
    assert portal.recorded() == before


def test_removing_a_domain_lists_it_no_more(portal: Portal) -> None:
    domain_id = portal.add()
    removed = portal.post(f"/domains/{domain_id}/delete")
    assert removed.status_code == 303
    page = portal.client.get(removed.headers["location"])
    assert "The domain is removed" in page.text
    assert domain_id not in page.text
    assert portal.t.list_domains(portal.org) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/domains/nonsense"),
        ("GET", "/domains/dom_00000000000000000000000000"),
        ("POST", "/domains/nonsense/verify"),
        ("POST", "/domains/dom_00000000000000000000000000/verify"),
        ("POST", "/domains/nonsense/delete"),
    ],
)
def test_an_id_that_is_not_one_is_a_refusal_page_never_a_500(
    portal: Portal, method: str, path: str
) -> None:
    before = portal.recorded()
    page = portal.client.get(f"/portal{path}") if method == "GET" else portal.post(path)
    assert 400 <= page.status_code < 500, (page.status_code, page.text)
    assert page.headers["content-type"].startswith("text/html")
    assert portal.recorded() == before


def test_a_domain_with_a_nul_or_a_huge_name_is_refused_next_to_its_field(portal: Portal) -> None:
    for bad in ("acme\x00.example", "a" * 300 + ".example"):
        page = portal.post("/domains", {"domain": bad})
        assert page.status_code == 400
        assert 'id="e-domain"' in page.text


def test_a_domain_another_organization_verified_is_refused_and_nothing_is_recorded(
    portal: Portal,
) -> None:
    other = portal.t.create_organization("Other").id
    theirs = portal.t.add_domain(other, "acme.example")
    portal.t.verify_domain(other, theirs.id, method="ADMIN")
    domain_id = portal.add("acme.example")
    record = portal.t.get_domain(portal.org, domain_id).verification
    portal.dns.records[record.txt_record_name] = [record.txt_record_value]
    before = portal.recorded()
    page = portal.post(f"/domains/{domain_id}/verify")
    assert page.status_code == 409
    alert = re.search(r'role="alert" id="e-verify">([^<]+)<', page.text)
    assert alert is not None
    assert "verified by another organization" in alert.group(1)
    assert portal.recorded() == before
