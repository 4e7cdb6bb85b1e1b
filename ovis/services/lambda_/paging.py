"""Marker/MaxItems pagination as the Lambda API does it.

A marker names the last item of the previous page (opaque: base64 of its key), so a listing
stays correct when items are added or removed between pages.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import TypeVar

from ovis.errors import InvalidParameterValueException

T = TypeVar("T")
PAGE_SIZE = 50


def encode_marker(key: str) -> str:
    # The "k:" prefix keeps a marker non-empty even for an empty key ($LATEST's qualifier "").
    return base64.urlsafe_b64encode(b"k:" + key.encode()).decode()


def decode_marker(marker: str) -> str:
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith("k:"):
        raise InvalidParameterValueException("Invalid marker.")
    return text[2:]


def paginate(
    items: Sequence[T],
    marker: str | None,
    max_items: int | None,
    key: Callable[[T], str],
    sorted_by_key: bool = False,
) -> tuple[list[T], str | None]:
    """(page, next marker). With ``sorted_by_key`` a page starts after the marker's key even if
    that item is gone; otherwise the marker's item must still be listed."""
    start = 0
    if marker:
        after = decode_marker(marker)
        if sorted_by_key:
            start = next((i for i, it in enumerate(items) if key(it) > after), len(items))
        else:
            found = next((i for i, it in enumerate(items) if key(it) == after), None)
            if found is None:
                raise InvalidParameterValueException("Invalid marker.")
            start = found + 1
    limit = max_items or PAGE_SIZE
    page = list(items[start : start + limit])
    more = start + limit < len(items) and page
    return page, encode_marker(key(page[-1])) if more else None
