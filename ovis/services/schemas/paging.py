"""Paging of the Schemas lists: the token is the base64 of the last key returned, so a page
after a deletion still continues where the previous one stopped."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from ovis.services.schemas.commands import Page
from ovis.services.schemas.errors import BadRequestException

T = TypeVar("T")
MAX_LIMIT = 100


def paginate(items: Sequence[T], key: Callable[[T], str], page: Page) -> tuple[list[T], str | None]:
    """``items`` (sorted by ``key``) after the token, at most ``page.limit``; the next token."""
    limit = page.limit if page.limit is not None else MAX_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequestException(f"Limit must be between 1 and {MAX_LIMIT}.")
    after = None
    if page.next_token:
        try:
            after = base64.b64decode(page.next_token, altchars=b"-_", validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise BadRequestException("The NextToken is not valid.") from None
    rest = [i for i in items if after is None or key(i) > after]
    out = rest[:limit]
    more = len(rest) > limit
    token = base64.urlsafe_b64encode(key(out[-1]).encode()).decode() if more and out else None
    return out, token
