"""Reading objects back: Range requests, conditional requests, and the body stream.

Contract: ``byte_range`` answers the (start, end inclusive) a Range header selects, None for
the whole object (absent, or a syntax S3 ignores: several ranges, not ``bytes=``), and raises
InvalidRange (416) when it starts past the end. ``check_conditions`` applies If-Match,
If-None-Match, If-Modified-Since and If-Unmodified-Since in S3's precedence (412 or 304).
``FileBody`` streams a byte range of an open file; the file was opened before the handler
returned, so an object replaced or deleted meanwhile is still read whole (POSIX semantics).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO

from ovis.models.s3 import ObjectRecord
from ovis.services.s3.errors import InvalidRange, NotModified, PreconditionFailed

_READ = 1 << 20


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if not first:  # suffix: the last N bytes
            n = int(last)
            if n <= 0:
                raise InvalidRange(ActualObjectSize=str(size), RangeRequested=header)
            return (max(0, size - n), size - 1) if size else None
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start > end and last:
        return None  # S3 ignores a backwards range
    if start >= size:
        raise InvalidRange(ActualObjectSize=str(size), RangeRequested=header)
    return start, min(end, size - 1)


def _when(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return parsedate_to_datetime(str(value)).timestamp()
    except (TypeError, ValueError):
        return None  # S3 ignores a date it cannot parse


def _etag_in(etag: str, header: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    bare = etag.strip('"')
    return any(t == "*" or t.strip('"') == bare for t in tags)


def check_conditions(
    obj: ObjectRecord,
    if_match: str | None,
    if_none_match: str | None,
    if_modified_since: Any,
    if_unmodified_since: Any,
) -> None:
    modified = obj.last_modified_ms // 1000
    if if_match is not None:
        if not _etag_in(obj.etag, if_match):
            raise PreconditionFailed(Condition="If-Match")
    else:
        since = _when(if_unmodified_since)
        if since is not None and modified > since:
            raise PreconditionFailed(Condition="If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_in(obj.etag, if_none_match):
            raise _not_modified(obj)
    else:
        since = _when(if_modified_since)
        if since is not None and modified <= since:
            raise _not_modified(obj)


def _not_modified(obj: ObjectRecord) -> NotModified:
    e = NotModified()
    e.headers["ETag"] = obj.etag
    return e


class FileBody:
    """The bytes [start, start+length) of ``file``, read in 1 MiB pieces off the event loop;
    closes the file at the end (or when the response is abandoned)."""

    def __init__(self, file: BinaryIO, start: int, length: int, status: int | None) -> None:
        self.file = file
        self.start = start
        self.length = length
        self.status = status

    def _read(self, n: int) -> bytes:
        return self.file.read(n)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            await asyncio.to_thread(self.file.seek, self.start)
            left = self.length
            while left > 0:
                block = await asyncio.to_thread(self._read, min(_READ, left))
                if not block:
                    break
                left -= len(block)
                yield block
        finally:
            self.file.close()
