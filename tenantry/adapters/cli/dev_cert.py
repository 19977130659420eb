"""``tenantry dev-cert``: a local certificate authority and a server certificate it signs, for
serving HTTPS and HTTP/2 (``tenantry serve --http2 --tls-cert --tls-key``) on a development
machine, and the environment lines that make the official SDKs trust that authority.

Only the CA certificate is trusted, and only through per-process environment variables; nothing
is added to the system's trust store. The private keys are written with mode 0600, and existing
files are replaced only with ``--force``."""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Final

import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import BaseModel, ConfigDict

from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import JsonOpt
from tenantry.adapters.cli.rendering import emit
from tenantry.adapters.files import write_private
from tenantry.domain.errors import InvalidField

commands = typer.Typer()
"""``dev-cert``, a top-level command."""

DEFAULT_OUT: Final = Path(".tenantry-certs")
DEFAULT_HOSTS: Final = ("localhost", "127.0.0.1", "::1")
CA_DAYS: Final = 3650
SERVER_DAYS: Final = 397  # the longest leaf lifetime browsers and Apple platforms accept
CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY = "ca.pem", "ca.key", "server.pem", "server.key"
_DNS_NAME: Final = re.compile(
    r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class DevCert(BaseModel):
    """What ``dev-cert`` wrote, and how to use it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ca_certificate: str
    ca_key: str
    certificate: str
    key: str
    hosts: list[str]
    expires: datetime
    env: dict[str, str]
    """Variables that make a process trust the CA: the Python SDK (gRPC and its token request
    through requests) and Node."""
    shell: list[str]
    """The same as ``export`` lines, and the ``tenantry serve`` command that uses the files."""


def _alt_name(host: str) -> x509.GeneralName:
    """The subjectAltName entry of ``host``: an IP address, else a DNS name."""
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        pass
    name = host.strip().lower().rstrip(".")
    if len(name) > 253 or not _DNS_NAME.match(name):
        raise InvalidField("host", f"{host!r} is neither an IP address nor a DNS name")
    return x509.DNSName(name)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _usage(*, signs_certificates: bool) -> x509.KeyUsage:
    """Signatures only (an EC key), and certificates and CRLs for the CA."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _authority(now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tenantry development"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"tenantry development CA {now:%Y-%m-%d}"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _server(
    ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, hosts: list[str], now: datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([_alt_name(h) for h in hosts]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def make(out: Path, extra_hosts: list[str], *, force: bool = False) -> DevCert:
    """Writes a new CA and a server certificate it signs (for localhost, 127.0.0.1, ::1 and
    ``extra_hosts``) into ``out``. Refuses, naming the file, when one of the four exists,
    unless ``force``."""
    hosts = list(dict.fromkeys([*DEFAULT_HOSTS, *extra_hosts]))
    for host in hosts:
        _alt_name(host)  # refuse a bad name before writing anything
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InvalidField("out", f"{out} is not a directory")
    paths = {name: out / name for name in (CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY)}
    if not force:
        for path in paths.values():
            if path.exists():
                raise InvalidField("out", f"{path} exists; pass --force to replace it")
    now = datetime.now(UTC)
    ca_key, ca = _authority(now)
    key, cert = _server(ca_key, ca, hosts, now)
    out.mkdir(parents=True, exist_ok=True)
    for path in paths.values():
        path.unlink(missing_ok=True)  # write_private creates a new file: its mode is 0600
    write_private(str(paths[CA_KEY]), _pem_key(ca_key))
    write_private(str(paths[SERVER_KEY]), _pem_key(key))
    paths[CA_CERT].write_text(_pem(ca))
    paths[SERVER_CERT].write_text(_pem(cert) + _pem(ca))  # the chain, as --tls-cert takes it
    return _described(paths, hosts, cert.not_valid_after_utc)


def _described(paths: dict[str, Path], hosts: list[str], expires: datetime) -> DevCert:
    ca = str(paths[CA_CERT])
    env = {"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": ca, "REQUESTS_CA_BUNDLE": ca}
    env["NODE_EXTRA_CA_CERTS"] = ca
    cert, key = str(paths[SERVER_CERT]), str(paths[SERVER_KEY])
    serve = shlex.join(["tenantry", "serve", "--http2", "--tls-cert", cert, "--tls-key", key])
    return DevCert(
        ca_certificate=ca,
        ca_key=str(paths[CA_KEY]),
        certificate=cert,
        key=key,
        hosts=hosts,
        expires=expires,
        env=env,
        shell=[*(f"export {name}={shlex.quote(value)}" for name, value in env.items()), serve],
    )


def _text(made: DevCert) -> str:
    """For people; plain lines (not wrapped or cropped to the terminal: they are copied)."""
    lines = [
        f"CA certificate   {made.ca_certificate}",
        f"CA key           {made.ca_key}  (0600; keep it private)",
        f"certificate      {made.certificate}",
        f"key              {made.key}  (0600)",
        f"for              {', '.join(made.hosts)}; expires {made.expires:%Y-%m-%d}",
        "",
        "Serve with it, and trust it in the SDKs' processes (the first two replace the default",
        "trust roots of the Python SDK's gRPC channel and token request; Node adds to its own):",
        "",
        *(f"  {line}" for line in made.shell),
    ]
    return "\n".join(lines)


@contextmanager
def _no_database(_database_url: str) -> Iterator[None]:
    """dev-cert works on files only: it takes -d as every command does, and leaves it unused."""
    yield


@operation(commands, "dev-cert", opens=_no_database)
def dev_cert(
    _: None,
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write the files into.", file_okay=False)
    ] = DEFAULT_OUT,
    host: Annotated[
        list[str] | None,
        typer.Option(
            "--host",
            help="Another DNS name or IP address for the server certificate (repeatable); "
            "localhost, 127.0.0.1 and ::1 are always in it.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace existing files in --out.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Makes a local development CA and a server certificate it signs (localhost, 127.0.0.1,
    ::1 and each --host) for `tenantry serve --tls-cert/--tls-key`, and prints the files and
    the environment lines that make the Python and Node SDKs trust the CA. For development
    only: the CA is trusted where you set those variables, nowhere else."""
    made = make(out, host or [], force=force)
    if json_output:
        emit(made, as_json=True)
    else:
        typer.echo(_text(made))
