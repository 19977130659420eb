"""What the directory queries return (typed, frozen, JSON-ready), and the function that builds it
from the aggregate. No token is ever part of it: a secret shows its id, last four characters,
status and life; the token itself is returned once, by ``create_directory_secret``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from tenantry.domain import ids
from tenantry.domain.directory import Directory as DirectoryAggregate
from tenantry.domain.directory import DirectorySecret as SecretRecord

__all__ = [
    "Directory",
    "DirectoryMappingView",
    "DirectoryPrincipal",
    "DirectorySecret",
    "NewDirectorySecret",
]

SCIM_PATH: Final = "/scim/v2"


def scim_path(directory_id: str) -> str:
    """The directory's SCIM base path; surfaces put their public base URL before it."""
    return f"{SCIM_PATH}/{directory_id}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DirectorySecret(_Frozen):
    """A bearer token of a directory: ``status`` is ``ACTIVE``, ``EXPIRED`` or ``REVOKED``;
    ``expire_time``: when it stops (``None``: not until rotated or revoked)."""

    id: str
    secret_suffix: str
    status: str
    create_time: datetime
    expire_time: datetime | None


class DirectoryMappingView(_Frozen):
    email: str
    given_name: str | None
    family_name: str | None
    metadata: dict[str, str]
    group_roles: dict[str, str]


class Directory(_Frozen):
    """A directory as it is read. ``active``: it provisions now (enabled, and the
    organization's ``dir_sync`` feature on); ``directory_endpoint``: its SCIM base URL (a path,
    here; the HTTP routes prefix their public base URL)."""

    id: str
    organization_id: str
    directory_type: str = "SCIM"
    directory_provider: str
    name: str | None
    enabled: bool
    active: bool
    directory_endpoint: str
    secrets: list[DirectorySecret]
    mapping: DirectoryMappingView
    total_users: int
    total_groups: int
    create_time: datetime
    update_time: datetime

    def at(self, base_url: str) -> Directory:
        """The directory with its SCIM base URL under ``base_url`` (the server's public one)."""
        return self.model_copy(update={"directory_endpoint": base_url + self.directory_endpoint})


class NewDirectorySecret(_Frozen):
    """A new bearer token (``plain_secret``), answered this once (only its hash is kept), its
    record and the directory."""

    plain_secret: str = Field(repr=False)  # out of logs and tracebacks
    secret: DirectorySecret
    directory: Directory

    @classmethod
    def of(cls, directory: Directory, token: str) -> NewDirectorySecret:
        return cls(plain_secret=token, secret=directory.secrets[-1], directory=directory)


@dataclass(frozen=True)
class DirectoryPrincipal:
    """Who a SCIM request acts as, once its bearer token authenticated it: the directory (the
    actor of every change it makes), of its organization."""

    directory_id: str
    organization_id: str

    @property
    def actor(self) -> str:
        return f"directory:{self.directory_id}"


def secret_of(secret: SecretRecord, now: datetime) -> DirectorySecret:
    return DirectorySecret(
        id=secret.public_id,
        secret_suffix=secret.suffix,
        status=secret.status(now).value,
        create_time=secret.created,
        expire_time=secret.revoked_at or secret.expires_at,
    )


def directory_of(
    directory: DirectoryAggregate,
    dir_sync_on: bool,
    now: datetime,
    totals: tuple[int, int] = (0, 0),
) -> Directory:
    s = directory.state
    m = s.mapping
    return Directory(
        id=directory.public_id,
        organization_id=ids.encode(ids.ORG, s.organization_id),
        directory_provider=s.provider.value,
        name=s.name,
        enabled=s.enabled,
        active=directory.is_active(dir_sync_on),
        directory_endpoint=scim_path(directory.public_id),
        secrets=[secret_of(x, now) for x in s.secrets],
        mapping=DirectoryMappingView(
            email=m.email,
            given_name=m.given_name,
            family_name=m.family_name,
            metadata=dict(m.metadata),
            group_roles=dict(m.group_roles),
        ),
        total_users=totals[0],
        total_groups=totals[1],
        create_time=directory.created_on,
        update_time=directory.modified_on,
    )
