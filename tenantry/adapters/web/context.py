"""What every page handler reaches through its request: the application it serves."""

from __future__ import annotations

from fastapi import Request

from tenantry.application.app import Tenantry


def tenantry_of(request: Request) -> Tenantry:
    t: Tenantry = request.app.state.tenantry
    return t
