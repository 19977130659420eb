"""``TENANTRY_DNS_NAMESERVERS`` points domain verification at the DNS servers named (a vendor's
split-horizon resolver, or a test's own server): the lookup travels over real UDP to them."""

from __future__ import annotations

import pytest

import tenantry
from tenantry.application.sso_config import SsoConfig
from tenantry.errors import DomainNotVerified, InvalidField
from tests.dns_server import dns_server


def test_the_setting_reads_addresses_with_and_without_ports() -> None:
    env = {"TENANTRY_DNS_NAMESERVERS": " 127.0.0.1:5353, 10.0.0.2 ,[::1]:53000,::1"}
    assert SsoConfig.from_env(env).nameservers == (
        ("127.0.0.1", 5353),
        ("10.0.0.2", 53),
        ("::1", 53000),
        ("::1", 53),
    )
    assert SsoConfig.from_env({}).nameservers == ()


@pytest.mark.parametrize("bad", ["dns.example", "127.0.0.1:0", "127.0.0.1:x", "[::1]:70000"])
def test_a_setting_that_is_not_an_address_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(InvalidField) as refused:
        SsoConfig.from_env({"TENANTRY_DNS_NAMESERVERS": bad})
    assert refused.value.field == "TENANTRY_DNS_NAMESERVERS"
    assert repr(bad) in refused.value.rule


def test_domain_verification_asks_the_configured_server() -> None:
    t = tenantry.connect("memory://")
    try:
        with dns_server() as server:
            t.sso_config = SsoConfig.from_env({"TENANTRY_DNS_NAMESERVERS": server.address})
            t.configure_sso(base_url="https://auth.example")  # keeps the nameservers
            org = t.create_organization("Acme").id
            domain = t.add_domain(org, "acme.example")
            record = domain.verification
            with pytest.raises(DomainNotVerified) as missing:
                t.verify_domain(org, domain.id)
            assert missing.value.found == "the name does not exist"
            server.publish(record.txt_record_name, record.txt_record_value)
            assert t.verify_domain(org, domain.id).verification_status == "VERIFIED"
            assert server.asked == [record.txt_record_name] * 2
    finally:
        t.close()
