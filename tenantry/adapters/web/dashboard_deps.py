"""What the dashboard's pages read with: the application (one organization's state, history and
settings) and the projections (lists and search, read your writes: a list includes every change
acknowledged before the page was asked for)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Request

from tenantry.adapters.projections import ProjectionStore
from tenantry.adapters.projections.read_options import ReadOptions
from tenantry.adapters.web.context import tenantry_of
from tenantry.application.app import Tenantry

READ_TIMEOUT: Final = 5.0
"""How long a list waits for the projections to include the latest changes."""


def projections_of(request: Request) -> ProjectionStore:
    views: ProjectionStore = request.app.state.projections
    return views


def read_your_writes(views: ProjectionStore) -> ReadOptions:
    return ReadOptions(min_position=views.head(), timeout=READ_TIMEOUT)


App = Annotated[Tenantry, Depends(tenantry_of)]
Views = Annotated[ProjectionStore, Depends(projections_of)]
