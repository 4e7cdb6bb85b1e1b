"""IAM's Marker/MaxItems paging over a sorted list: the marker is the sort key of the first
item of the next page, so a page after deletions or additions neither repeats nor skips an item
that was there throughout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
DEFAULT_MAX_ITEMS = 100


def page(
    items: Sequence[T], key: Callable[[T], str], marker: str | None, max_items: int | None
) -> tuple[list[T], str | None]:
    """(this page, the next page's marker or None). ``items`` must be sorted by ``key``."""
    start = [i for i in items if marker is None or key(i) >= marker]
    limit = max_items or DEFAULT_MAX_ITEMS
    if len(start) > limit:
        return list(start[:limit]), key(start[limit])
    return list(start), None
