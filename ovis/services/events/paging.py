"""NextToken paging of EventBridge's List* operations: the token is the opaque position of
the next item; a token this server did not hand out is refused with ValidationException."""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

from ovis.services.events.errors import ValidationException

T = TypeVar("T")
DEFAULT_LIMIT = 100


def page(items: list[T], limit: int | None, token: str | None) -> tuple[list[T], str | None]:
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("at:"))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValidationException("The NextToken provided is invalid.") from None
        if not 0 <= start <= len(items):
            raise ValidationException("The NextToken provided is invalid.")
    end = start + (limit or DEFAULT_LIMIT)
    more = end < len(items)
    return items[start:end], (
        base64.urlsafe_b64encode(f"at:{end}".encode()).decode() if more else None
    )
