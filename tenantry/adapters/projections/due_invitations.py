"""The expiry sweep's index of due invitations: the seats read model's pending invitations
(``seat_pending``, indexed by expiry), so that a sweep reads the invitations that are due and
nothing of the organizations' histories.

Before its first page the index is brought up to the log's head (caught up in the sweeping
thread if the follower is behind), so that an invitation expired before the sweep started is
found; pages then follow by keyset on (expiry, key), so the sweep's own expiries, whether the
projection has applied them yet or not, never bring an invitation back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import Final
from uuid import UUID

from tenantry.adapters.projections.store import ProjectionStore
from tenantry.adapters.projections.views import SeatsView
from tenantry.application.expiry import DueInvitation
from tenantry.domain import ids

CATCH_UP_TIMEOUT: Final = 60.0
"""Seconds the sweep waits for the seats projection to reach the log's head."""


class PendingInvitationIndex:
    """A :class:`~tenantry.application.expiry.DueInvitationIndex` on a store's seats view."""

    def __init__(self, store: ProjectionStore, *, timeout: float = CATCH_UP_TIMEOUT) -> None:
        self.store = store
        self.timeout = timeout

    def due(
        self, now: datetime, *, page_size: int, organization_id: UUID | None
    ) -> Iterator[Sequence[DueInvitation]]:
        view = self.store.view(SeatsView.projection.name)
        if not isinstance(view, SeatsView):  # pragma: no cover - a store built without it
            raise TypeError("the expiry index needs the built-in seats view")
        within = None if organization_id is None else ids.encode(ids.ORG, organization_id)
        head = self.store.head()
        after: tuple[int, str] | None = None
        while True:
            rows = self.store.query(
                view.name,
                partial(view.due, after=after, limit=page_size, organization_id=within),
                at=now,
                min_position=head if after is None else None,
                timeout=self.timeout,
            )
            if rows:
                yield [
                    DueInvitation(
                        ids.decode(ids.ORG, org, "organization_id"),
                        ids.decode(ids.USER, user, "user_id"),
                    )
                    for _, org, user, _ in rows
                ]
                key, _, _, expires_at = rows[-1]
                after = (expires_at, key)
            if len(rows) < page_size:
                return
