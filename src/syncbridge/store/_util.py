"""Small helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive (we only ever write UTC); PostgreSQL gives them aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def keyset_pages(fetch: Callable[[str], Sequence[T]], key: Callable[[T], str], limit: int) -> Iterator[T]:
    """Every row of a keyset-paged read: ``fetch(after)`` returns up to ``limit`` rows whose key is above
    ``after``, in key order; the next page starts after the last row's ``key``."""
    for rows in keyset_chunks(fetch, key, limit):
        yield from rows


def keyset_chunks(
    fetch: Callable[[str], Sequence[T]], key: Callable[[T], str], limit: int
) -> Iterator[Sequence[T]]:
    """``keyset_pages``, a page at a time (empty pages left out)."""
    after = ""
    while True:
        rows = fetch(after)
        if rows:
            yield rows
        if len(rows) < limit:
            return
        after = key(rows[-1])
