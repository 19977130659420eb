"""The rules of the read models' queries: page sizes, the search query, the member status filter
and the audit's time window.

They are the API's rules, not the storage's: the SQL views apply them before they read anything,
so a bad argument is refused with :class:`~tenantry.domain.errors.InvalidField` the same way on
every backend, and they are tested without a database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

from tenantry.domain import arguments, text
from tenantry.domain.errors import InvalidField
from tenantry.domain.values import REMOVED, MembershipStatus


class PageSize(NamedTuple):
    """The page sizes a listing accepts, and the one it uses when none is given."""

    lo: int
    hi: int
    default: int


ORG_PAGE_SIZE = PageSize(10, 100, 30)
SEARCH_PAGE_SIZE = PageSize(1, 30, 30)
MEMBER_PAGE_SIZE = PageSize(1, 100, 30)
AUDIT_PAGE_SIZE = PageSize(1, 100, 50)
QUERY_LENGTH = (3, 100)
"""Shortest and longest search query, in characters once trimmed."""


def page_size(value: int | None, bounds: PageSize) -> int:
    """``value`` if the listing accepts it, its default if ``None``."""
    lo, hi, default = bounds
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidField("page_size", f"must be an integer from {lo} to {hi}")
    return value


def search_query(query: str) -> str:
    """What a search matches: the query trimmed and lowercased (search is case-insensitive)."""
    lo, hi = QUERY_LENGTH
    if not isinstance(query, str) or not lo <= len(query.strip()) <= hi:
        raise InvalidField("query", f"must be {lo}-{hi} characters")
    return text.free_text(query, "query").strip().lower()


def member_status(status: str | None) -> MembershipStatus | Literal["REMOVED"] | None:
    """The status a member listing is filtered by: a membership status, or ``REMOVED`` (the
    memberships whose invitation was revoked, which a listing leaves out unless asked for
    them); ``None``: every member and invitee."""
    if status is None:
        return None
    if status == REMOVED:
        return REMOVED
    try:
        return MembershipStatus(status)
    except ValueError:
        known = [*(s.value for s in MembershipStatus), REMOVED]
        raise InvalidField("status", "must be one of " + ", ".join(known)) from None


def audit_window(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """``[since, until)`` in UTC (either end may be open); refuses an empty or reversed one."""
    if since is not None:
        since = arguments.moment(since, "since")
    if until is not None:
        until = arguments.moment(until, "until")
    if since is not None and until is not None and until <= since:
        raise InvalidField("until", "must be after since")
    return since, until
