"""NextToken paging as SNS lists do it (100 items a page): the token names the last item of
the previous page (base64 of its ARN), so a listing stays correct when items come and go."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from ovis.services.sns.errors import InvalidParameter

T = TypeVar("T")
PAGE = 100


def page(
    items: Sequence[T], key: Callable[[T], str], token: str | None
) -> tuple[list[T], str | None]:
    """The page after ``token`` of ``items`` (sorted by ``key``) and the next token."""
    start = 0
    if token:
        try:
            last = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            last = ""
        if not last:
            raise InvalidParameter("NextToken")
        start = next((i for i, it in enumerate(items) if key(it) > last), len(items))
    out = list(items[start : start + PAGE])
    more = start + PAGE < len(items) and out
    return out, (base64.urlsafe_b64encode(key(out[-1]).encode()).decode() if more else None)
