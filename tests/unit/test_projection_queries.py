"""The read models' query rules (page sizes, search query, status filter, audit window), without
any database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenantry.domain.errors import InvalidField
from tenantry.domain.values import MembershipStatus
from tenantry.projections.queries import (
    AUDIT_PAGE_SIZE,
    MEMBER_PAGE_SIZE,
    ORG_PAGE_SIZE,
    SEARCH_PAGE_SIZE,
    audit_window,
    member_status,
    page_size,
    search_query,
)

T = datetime(2026, 1, 1, tzinfo=UTC)


def test_each_listing_has_the_documented_page_sizes_and_default() -> None:
    assert ORG_PAGE_SIZE == (10, 100, 30)
    assert SEARCH_PAGE_SIZE == (1, 30, 30)
    assert MEMBER_PAGE_SIZE == (1, 100, 30)
    assert AUDIT_PAGE_SIZE == (1, 100, 50)


def test_no_page_size_is_the_listings_default_and_its_bounds_are_accepted() -> None:
    assert page_size(None, ORG_PAGE_SIZE) == 30
    assert page_size(10, ORG_PAGE_SIZE) == 10
    assert page_size(100, ORG_PAGE_SIZE) == 100


@pytest.mark.parametrize("size", [9, 101, 0, -1, True, 10.0, "10"])
def test_a_page_size_outside_the_bounds_or_not_an_integer_is_refused(size: object) -> None:
    with pytest.raises(InvalidField) as e:
        page_size(size, ORG_PAGE_SIZE)  # type: ignore[arg-type]
    assert e.value.field == "page_size"


def test_a_search_query_is_trimmed_and_lowercased() -> None:
    assert search_query("  Acme Corp ") == "acme corp"
    assert search_query("abc") == "abc"
    assert search_query("x" * 100) == "x" * 100


@pytest.mark.parametrize("query", ["ab", "  ab  ", "x" * 101, "", None])
def test_a_search_query_shorter_than_3_or_longer_than_100_characters_is_refused(
    query: object,
) -> None:
    with pytest.raises(InvalidField) as e:
        search_query(query)  # type: ignore[arg-type]
    assert e.value.field == "query"


def test_a_member_status_filter_is_a_membership_status_or_none() -> None:
    assert member_status(None) is None
    assert member_status("INVITE_EXPIRED") is MembershipStatus.INVITE_EXPIRED
    assert member_status("REMOVED") == "REMOVED"  # the revoked invitations
    with pytest.raises(InvalidField) as e:
        member_status("GONE")
    assert e.value.field == "status"


def test_an_audit_window_must_not_end_before_it_starts() -> None:
    audit_window(None, None)
    audit_window(T, None)
    audit_window(None, T)
    audit_window(T, T + timedelta(microseconds=1))
    for until in (T, T - timedelta(seconds=1)):
        with pytest.raises(InvalidField) as e:
            audit_window(T, until)
        assert e.value.field == "until"
