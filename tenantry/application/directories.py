"""An organization's SCIM directories: create, update (provider label, name, mapping), enable,
disable, delete; issue, rotate and revoke their bearer tokens; authenticate a SCIM request's
token; read them.

A token is made here (``secrets.token_urlsafe(32)``), returned once by
:meth:`Directories.create_directory_secret`, and recorded only as its SHA-256 hash and last four
characters: it is in no event, log, error or view.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from tenantry.application.directory_dto import Directory, DirectoryPrincipal, directory_of
from tenantry.application.kernel import UNSET, Unset, command
from tenantry.application.role_books import RoleBooks
from tenantry.application.sso_config import SsoKernel
from tenantry.domain import arguments, ids, values
from tenantry.domain import directory_values as dv
from tenantry.domain.base import Act, Aggregate
from tenantry.domain.directory import DIR_SYNC_FEATURE
from tenantry.domain.directory import Directory as DirectoryAggregate
from tenantry.domain.directory_errors import (
    DirectoryNotActive,
    DirectoryNotFound,
    DirectoryTokenInvalid,
)
from tenantry.domain.errors import InvalidField
from tenantry.domain.organization import Organization

Change = Callable[[DirectoryAggregate, Organization, Act], Sequence[Aggregate] | None]
"""A change to a directory; it returns the other aggregates it changed, to save with it."""
TOKEN_BYTES = 32


class Directories(RoleBooks, SsoKernel):
    """SCIM directories' use cases (see the module's docstring)."""

    @command
    def create_directory(
        self,
        organization_id: str,
        provider: str = "CUSTOM",
        *,
        name: str | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Directory:
        """A new, disabled directory of ``provider`` (``OKTA``, ``MICROSOFT_ENTRA_ID``,
        ``GOOGLE``, ``JUMPCLOUD``, ``ONELOGIN`` or ``CUSTOM``), without a token yet."""
        label, label_name = dv.directory_provider(provider), dv.directory_name(name)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> Directory:
            org = self._org(organization_id)
            act = Act(self.now(org), who, why)
            directory = DirectoryAggregate.create(self._new_id(), org.id, label, label_name, act)
            registry = self._registry(org.id, act)
            registry.list_directory(directory.id, act)
            self._save(directory, registry)
            return self._directory_view(directory, org)

        return self.run_command(command)

    @command
    def update_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        provider: str | None = None,
        name: str | Unset | None = UNSET,
        mapping: Mapping[str, Any] | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Directory:
        """Changes the provider label, the name (``None`` or ``""``: none) and the mapping (each
        key given replaces its value: ``email``, ``given_name``, ``family_name``, ``metadata``,
        ``group_roles``; see :class:`~tenantry.domain.directory_values.DirectoryMapping`), as one
        event. A mapped role must be defined, once the organization's roles are."""
        label = None if provider is None else dv.directory_provider(provider)
        new_name = name if isinstance(name, Unset) else dv.directory_name(name)
        if mapping is not None and not isinstance(mapping, Mapping):
            raise InvalidField("mapping", "must be a mapping of settings")

        def change(
            directory: DirectoryAggregate, org: Organization, act: Act
        ) -> Sequence[Aggregate]:
            old_mapping, new_mapping = directory.state.mapping, None
            if mapping is not None:
                new_mapping = dv.directory_mapping(mapping, old_mapping)
                roles = sorted(set(new_mapping.group_roles.values()))
                self._role_scope(org.id).check(roles, "mapping.group_roles")
            directory.update(
                act,
                provider=label,
                name=... if isinstance(new_name, Unset) else new_name,
                mapping=new_mapping,
            )
            if directory.state.mapping == old_mapping:
                return ()
            changed = self._after_mapping_change(org, directory, act)
            return (org, *changed) if changed else ()

        return self._change_directory(organization_id, directory_id, change, actor, reason)

    @command
    def enable_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Directory:
        """Starts provisioning: needs the organization's ``dir_sync`` feature on
        (:class:`FeatureDisabled`)."""
        return self._change_directory(
            organization_id,
            directory_id,
            lambda d, org, act: d.enable(self._dir_sync_on(org), act),
            actor,
            reason,
        )

    @command
    def disable_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Directory:
        """Stops provisioning: the directory's tokens are refused (:class:`DirectoryNotActive`)
        and what it synced stays as it is."""
        return self._change_directory(
            organization_id, directory_id, lambda d, org, act: d.disable(act), actor, reason
        )

    @command
    def delete_directory(
        self,
        organization_id: str,
        directory_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Deletes the directory: its tokens stop at once; the members it provisioned stay."""

        def change(
            directory: DirectoryAggregate, org: Organization, act: Act
        ) -> Sequence[Aggregate]:
            directory.delete(act)
            registry = self._registry(org.id, act)
            registry.unlist_directory(directory.id, act)
            return (registry,)

        self._change_directory(organization_id, directory_id, change, actor, reason)

    @command
    def create_directory_secret(
        self,
        organization_id: str,
        directory_id: str,
        *,
        grace_period: timedelta | None = None,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> tuple[Directory, str]:
        """A new bearer token for the directory: ``(directory, token)``. The token is shown
        this once (only its hash is kept); the directory's older live tokens expire now, or once
        ``grace_period`` (at most 30 days) has passed. The new token is the last of the
        directory's ``secrets``."""
        grace = None if grace_period is None else arguments.duration(grace_period, "grace_period")
        token = secrets.token_urlsafe(TOKEN_BYTES)

        def change(directory: DirectoryAggregate, org: Organization, act: Act) -> None:
            directory.issue_secret(self._new_id(), token, grace, act)

        return (
            self._change_directory(organization_id, directory_id, change, actor, reason),
            token,
        )

    @command
    def revoke_directory_secret(
        self,
        organization_id: str,
        directory_id: str,
        secret_id: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Directory:
        """Revokes one of the directory's tokens at once (:class:`DirectorySecretNotFound` if it
        has no such token; one revoked already: :class:`NothingChanged`)."""
        uid = ids.decode(ids.DIRECTORY_SECRET, secret_id, "secret_id")
        return self._change_directory(
            organization_id,
            directory_id,
            lambda d, org, act: d.revoke_secret(uid, act),
            actor,
            reason,
        )

    def get_directory(self, organization_id: str, directory_id: str) -> Directory:
        org = self._org(organization_id, for_update=False)
        return self._directory_view(self._directory(org, directory_id, for_update=False), org)

    def list_directories(self, organization_id: str) -> list[Directory]:
        """The organization's directories, oldest first."""
        org = self._org(organization_id, for_update=False)
        found = []
        for uid in self._listed(org.id).directories:
            directory = self._get(uid, DirectoryAggregate, for_update=False)
            if directory is not None and not directory.state.deleted:
                found.append(self._directory_view(directory, org))
        return found

    def authenticate_directory(self, directory_id: str, token: str) -> DirectoryPrincipal:
        """Who a SCIM request with ``token`` acts as. :class:`DirectoryTokenInvalid` (without
        saying why) unless ``token`` is a live token of this very directory, which exists;
        then :class:`DirectoryNotActive` if the directory is disabled or its organization has
        ``dir_sync`` off."""
        # A wrong type is the calling code's mistake, not a caller to keep in the dark.
        for field, value in (("directory_id", directory_id), ("token", token)):
            if not isinstance(value, str):
                raise InvalidField(field, "must be a string")
        try:
            directory = self._live_directory(directory_id, for_update=False)
        except (InvalidField, DirectoryNotFound):
            raise DirectoryTokenInvalid() from None
        org = self._get(directory.state.organization_id, Organization, for_update=False)
        if org is None or org.is_deleted or not directory.accepts(token, self.now()):
            raise DirectoryTokenInvalid()
        if not directory.is_active(self._dir_sync_on(org)):
            raise DirectoryNotActive(directory.public_id)
        return DirectoryPrincipal(directory.public_id, org.public_id)

    def _live_directory(self, directory_id: str, *, for_update: bool = True) -> DirectoryAggregate:
        """The live directory ``directory_id`` of a live organization, found by its id alone
        (as a SCIM request names it); :class:`DirectoryNotFound` otherwise. Whether it is active
        is the caller's to check."""
        uid = ids.decode(ids.DIRECTORY, directory_id, "directory_id")
        directory = self._get(uid, DirectoryAggregate, for_update=for_update)
        if directory is None or directory.state.deleted:
            raise DirectoryNotFound(directory_id)
        org = self._get(directory.state.organization_id, Organization, for_update=False)
        if org is None or org.is_deleted:
            raise DirectoryNotFound(directory_id)
        return directory

    def _after_mapping_change(
        self, org: Organization, directory: DirectoryAggregate, act: Act
    ) -> Sequence[Aggregate]:
        """What a change of the directory's mapping changes beside it (provisioning gives its
        members the roles of the new ``group_roles``): the aggregates to save with the
        directory and ``org``, in the same transaction. Nothing, until provisioning says."""
        return ()

    def _directory_totals(self, directory_id: UUID) -> tuple[int, int]:
        """How many users and groups the directory has synced (provisioning counts them)."""
        return 0, 0

    def _change_directory(
        self, organization_id: str, directory_id: str, change: Change, actor: str, why: str | None
    ) -> Directory:
        who, why = values.actor(actor), values.reason(why)

        def command() -> Directory:
            org = self._org(organization_id)
            directory = self._directory(org, directory_id)
            also = change(directory, org, Act(self.now(org, directory), who, why))
            self._save(directory, *(also or ()))
            return self._directory_view(directory, org)

        return self.run_command(command)

    def _directory(
        self, org: Organization, directory_id: str, *, for_update: bool = True
    ) -> DirectoryAggregate:
        uid = ids.decode(ids.DIRECTORY, directory_id, "directory_id")
        directory = self._get(uid, DirectoryAggregate, for_update=for_update)
        if (
            directory is None
            or directory.state.deleted
            or directory.state.organization_id != org.id
        ):
            raise DirectoryNotFound(directory_id)
        return directory

    def _directory_view(self, directory: DirectoryAggregate, org: Organization) -> Directory:
        totals = self._directory_totals(directory.id)
        return directory_of(directory, self._dir_sync_on(org), self.now(), totals)

    def _dir_sync_on(self, organization: Organization) -> bool:
        return bool(organization.state.features.get(DIR_SYNC_FEATURE, False))
