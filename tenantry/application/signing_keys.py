"""Token signing keys' lifecycle use cases: the records of a key's creation and retirement, with
who did each (the adapters keep the keys, :mod:`tenantry.adapters.auth.keys`)."""

from __future__ import annotations

import re
from typing import Final

from tenantry.application.kernel import Kernel, command
from tenantry.domain import arguments, values
from tenantry.domain.base import Act
from tenantry.domain.errors import InvalidField
from tenantry.domain.signing_key import SigningKey

_KID: Final = re.compile(r"[0-9a-f]{8,64}")


class SigningKeyAudit(Kernel):
    """Records of the HTTP server's token signing keys (never key material)."""

    @command
    def record_signing_key_created(
        self,
        kid: str,
        *,
        encrypted: bool,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Records a new signing key ``kid`` (``encrypted``: its private part is encrypted at
        rest)."""
        kid, encrypted = _kid(kid), arguments.flag(encrypted, "encrypted")
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            self._save(SigningKey.create(kid, encrypted, Act(self.now(), who, why)))

        self.run_command(command)

    @command
    def record_signing_key_retired(
        self,
        kid: str,
        *,
        forced: bool = False,
        actor: str = "system",
        reason: str | None = None,
        on_behalf_of: str | None = None,
    ) -> None:
        """Records that ``kid`` stopped verifying (``forced``: before its tokens could all have
        expired). A key created before these records were kept gets its record first."""
        kid, forced = _kid(kid), arguments.flag(forced, "forced")
        who, why = values.actor(actor), values.reason(reason)

        def command() -> None:
            key = self._get(SigningKey.create_id(kid), SigningKey)
            if key is None:
                act = Act(self.now(), who, "created before signing keys were recorded")
                key = SigningKey.create(kid, None, act)
            key.retire(forced, Act(self.now(key), who, why))
            self._save(key)

        self.run_command(command)


def _kid(kid: str) -> str:
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise InvalidField("kid", "must be 8-64 lowercase hexadecimal characters")
    return kid
