"""The certificates ``tenantry dev-cert`` makes: a CA that may sign certificates, and a server
certificate it signed, for the loopback names and the extra hosts."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from tenantry.adapters.cli.dev_cert import make
from tenantry.domain.errors import InvalidField


def test_the_ca_signs_a_server_certificate_for_loopback_and_the_extra_hosts(
    tmp_path: Path,
) -> None:
    made = make(tmp_path, ["api.dev.test", "10.1.2.3", "api.dev.test"])
    ca = x509.load_pem_x509_certificate(Path(made.ca_certificate).read_bytes())
    chain = x509.load_pem_x509_certificates(Path(made.certificate).read_bytes())
    server = chain[0]
    assert chain[1] == ca
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    server.verify_directly_issued_by(ca)
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not server.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    usage = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "api.dev.test"]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
        ipaddress.ip_address("10.1.2.3"),
    ]
    assert made.hosts == ["localhost", "127.0.0.1", "::1", "api.dev.test", "10.1.2.3"]


def test_an_existing_file_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "server.key").write_text("mine")
    with pytest.raises(InvalidField) as refused:
        make(tmp_path, [])
    assert refused.value.field == "out"
    assert str(tmp_path / "server.key") in refused.value.rule
    assert (tmp_path / "server.key").read_text() == "mine"
    assert not (tmp_path / "ca.pem").exists()


def test_force_replaces_the_files_with_private_keys(tmp_path: Path) -> None:
    (tmp_path / "server.key").write_text("mine")
    (tmp_path / "server.key").chmod(0o644)
    made = make(tmp_path, [], force=True)
    assert Path(made.key).stat().st_mode & 0o777 == 0o600
    assert "PRIVATE KEY" in Path(made.key).read_text()
