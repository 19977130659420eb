"""The audit record of API clients' lifecycle: created, secret rotated, deleted — each with who
did it. The credentials themselves are kept by the adapters (:mod:`tenantry.adapters.auth`),
which call these use cases; no secret reaches an event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from tenantry.application.kernel import Kernel, command
from tenantry.domain import arguments, ids, values
from tenantry.domain.api_client import ApiClient
from tenantry.domain.base import Act
from tenantry.domain.errors import InvalidField

CLIENT_ID_MAX: Final = 64
CLIENT_NAME_MAX: Final = 200
_UNRECORDED: Final = "the client was created before its lifecycle was recorded"


class ApiClientAudit(Kernel):
    """API clients' lifecycle use cases (records only; the adapters keep the credentials)."""

    @command
    def record_api_client_created(
        self,
        client_id: str,
        client_name: str,
        *,
        scopes: Sequence[str] = (),
        organizations: Sequence[str] = ("*",),
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Records a new client with what it may do (``scopes``) and see (``organizations``:
        ``org_`` ids, or ``"*"`` for every organization)."""
        client_id, name = _client(client_id, client_name)
        granted, within = _scopes(scopes), _organizations(organizations)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            act = Act(self.now(), who, why)
            self._save(ApiClient.create(client_id, name, granted, within, act))

        self.run_command(command)

    @command
    def record_api_client_secret_rotated(
        self,
        client_id: str,
        client_name: str,
        secret_version: int,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        client_id, name = _client(client_id, client_name)
        if arguments.whole_number(secret_version, "secret_version") < 2:
            raise InvalidField("secret_version", "a rotated secret's version is at least 2")
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            client = self._api_client(client_id, name, who)
            client.rotate_secret(secret_version, Act(self.now(client), who, why))
            self._save(client)

        self.run_command(command)

    @command
    def record_api_client_deleted(
        self,
        client_id: str,
        client_name: str,
        *,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        client_id, name = _client(client_id, client_name)
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            client = self._api_client(client_id, name, who)
            client.delete(Act(self.now(client), who, why))
            self._save(client)

        self.run_command(command)

    def _api_client(self, client_id: str, name: str, actor: str) -> ApiClient:
        """The client's record; a client created before records were kept gets one first
        (saying so in its reason)."""
        client = self._get(ApiClient.create_id(client_id), ApiClient)
        if client is None:
            client = ApiClient.create(
                client_id, name, [], None, Act(self.now(), actor, _UNRECORDED)
            )
        return client


def _client(client_id: str, client_name: str) -> tuple[str, str]:
    client_id = arguments.text(client_id, "client_id")
    if not 1 <= len(client_id) <= CLIENT_ID_MAX:
        raise InvalidField("client_id", f"must be 1-{CLIENT_ID_MAX} characters")
    name = arguments.text(client_name, "client_name").strip()
    if not 1 <= len(name) <= CLIENT_NAME_MAX:
        raise InvalidField("client_name", f"must be 1-{CLIENT_NAME_MAX} characters")
    return client_id, name


def _scopes(scopes: Sequence[str]) -> list[str]:
    if isinstance(scopes, str | bytes) or not isinstance(scopes, Sequence):
        raise InvalidField("scopes", "must be a list of scope names")
    if not all(isinstance(s, str) and 1 <= len(s) <= CLIENT_NAME_MAX for s in scopes):
        raise InvalidField("scopes", f"scope names are 1-{CLIENT_NAME_MAX} characters")
    return sorted(set(scopes))


def _organizations(organizations: Sequence[str]) -> list[str]:
    if isinstance(organizations, str | bytes) or not isinstance(organizations, Sequence):
        raise InvalidField("organizations", "must be a list of organization ids or ['*']")
    if list(organizations) == ["*"]:
        return ["*"]
    if not organizations:
        raise InvalidField("organizations", "must name at least one organization, or '*'")
    for each in organizations:
        ids.decode(ids.ORG, each, "organizations")
    return sorted(set(organizations))
