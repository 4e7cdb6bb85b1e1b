"""Timestamps on the wire: what an output value (datetime, epoch number or ISO string) becomes
in each format botocore knows (``iso8601``, ``unixTimestamp``, ``rfc822``)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any


def to_datetime(value: Any) -> datetime:
    """An aware UTC datetime from a datetime (naive means UTC), epoch seconds or ISO 8601."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return to_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
    raise TypeError(f"not a timestamp: {value!r}")


def epoch(value: Any) -> int | float:
    """Epoch seconds; whole seconds stay an integer (as AWS sends them)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    seconds = to_datetime(value).timestamp()
    return int(seconds) if seconds == int(seconds) else round(seconds, 3)


def iso8601(value: Any) -> str:
    """``2026-12-01T19:38:16Z`` (milliseconds when the value has them); strings pass as given."""
    if isinstance(value, str):
        return value
    dt = to_datetime(value)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc822(value: Any) -> str:
    """``Tue, 01 Dec 2026 19:38:16 GMT``, the HTTP-date of header timestamps."""
    if isinstance(value, str):
        return value
    return format_datetime(to_datetime(value).replace(microsecond=0), usegmt=True)


def formatter(fmt: str | None, default: str) -> Any:
    """The formatting function for a shape's ``timestampFormat`` (else the location's default)."""
    return {"iso8601": iso8601, "unixTimestamp": epoch, "rfc822": rfc822}[fmt or default]
