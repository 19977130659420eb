"""What the users read model's queries return."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tenantry.application import dto


class UserPage(BaseModel):
    """A page of users: ``next_page_token`` is empty on the last page, ``prev_page_token`` on
    the first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    users: list[dto.User]
    next_page_token: str
    prev_page_token: str
    total_size: int
