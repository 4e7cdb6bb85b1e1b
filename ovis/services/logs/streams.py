"""Log streams and PutLogEvents: CreateLogStream / DeleteLogStream, the merged stream view
DescribeLogStreams answers (declared streams plus streams that exist through their events),
and the checks PutLogEvents makes before a batch is stored.

Contract: a batch PutLogEvents accepts is durable when the call answers (one all-or-nothing
append), so it is read by GetLogEvents/FilterLogEvents and delivered to the group's
subscription filters. As AWS: events must be in chronological order, a batch spans at most
24 hours, holds at most 10,000 events and 1,048,576 bytes (each event's UTF-8 message plus
26 bytes); events more than 2 hours ahead of now are rejected (``tooNewLogEventStartIndex``),
as are events older than 14 days (``tooOldLogEventEndIndex``) or than the group's retention
(``expiredLogEventEndIndex``); the rest are stored. The sequence token is ignored, as AWS now
ignores it.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass
from typing import Any

from ovis.logs.repository import LogRepository
from ovis.models.log_event import LogEvent
from ovis.services.logs.groups import DAY_MS, LogsInvalidParameter
from ovis.services.logs.repository import LogStreamRepository

MAX_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_MESSAGE_BYTES = 1_048_550  # AWS: an event is at most 1 MB including the 26 bytes
SPAN_MS = DAY_MS
TOO_NEW_MS = 2 * 3_600_000
TOO_OLD_MS = 14 * DAY_MS
_STREAM_NAME = re.compile(r"^[^:*]{1,512}$")


def check_stream_name(name: object) -> str:
    if not isinstance(name, str) or not _STREAM_NAME.match(name):
        raise LogsInvalidParameter(
            "1 validation error detected: Value '"
            + str(name)
            + "' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [^:*]*"
        )
    return name


@dataclass(frozen=True, slots=True)
class StreamInfo:
    name: str
    created_ms: int
    first_ms: int | None  # first / last event timestamps (None: no events)
    last_ms: int | None


@dataclass(frozen=True, slots=True)
class Accepted:
    """What PutLogEvents stored and the AWS rejectedLogEventsInfo members (empty if none)."""

    stored: int
    rejected: dict[str, int]


def parse_events(raw: object) -> list[tuple[int, str]]:
    """(timestamp, message) of the request's ``logEvents``, checked for the batch limits."""
    if not isinstance(raw, list) or not raw:
        raise LogsInvalidParameter(
            "1 validation error detected: Value null at 'logEvents' failed to satisfy "
            "constraint: Member must not be null"
            if not isinstance(raw, list)
            else "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1"
        )
    if len(raw) > MAX_EVENTS:
        raise LogsInvalidParameter(
            f"1 validation error detected: Value at 'logEvents' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_EVENTS}"
        )
    events: list[tuple[int, str]] = []
    size = 0
    for i, e in enumerate(raw):
        ts = e.get("timestamp") if isinstance(e, dict) else None
        message = e.get("message") if isinstance(e, dict) else None
        if not isinstance(ts, int) or isinstance(ts, bool) or ts < 0:
            raise LogsInvalidParameter(
                f"logEvents.{i + 1}.timestamp must be a non-negative integer."
            )
        if not isinstance(message, str) or not message:
            raise LogsInvalidParameter(
                f"1 validation error detected: Value at 'logEvents.{i + 1}.member.message' "
                "failed to satisfy constraint: Member must have length greater than or equal to 1"
            )
        n = len(message.encode())
        if n > MAX_MESSAGE_BYTES:
            raise LogsInvalidParameter(
                f"Log event too large: {n} bytes exceeds the limit of {MAX_MESSAGE_BYTES}"
            )
        size += n + EVENT_OVERHEAD
        events.append((ts, message))
    if size > MAX_BATCH_BYTES:
        raise LogsInvalidParameter(
            f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )
    if any(a[0] > b[0] for a, b in itertools.pairwise(events)):
        raise LogsInvalidParameter(
            "Log events in a single PutLogEvents request must be in chronological order."
        )
    if events[-1][0] - events[0][0] > SPAN_MS:
        raise LogsInvalidParameter(
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours."
        )
    return events


def partition(
    events: list[tuple[int, str]], now_ms: int, retention_cutoff_ms: int
) -> tuple[list[tuple[int, str]], dict[str, int]]:
    """The events to store and the rejectedLogEventsInfo members (events are in order, so the
    too old/expired ones are a prefix and the too new ones a suffix)."""
    rejected: dict[str, int] = {}
    lo = 0
    expired_end = too_old_end = -1
    for i, (ts, _m) in enumerate(events):
        if ts < retention_cutoff_ms:
            expired_end = i
        elif ts < now_ms - TOO_OLD_MS:
            too_old_end = i
        else:
            break
        lo = i + 1
    hi = len(events)
    for i in range(len(events) - 1, lo - 1, -1):
        if events[i][0] > now_ms + TOO_NEW_MS:
            hi = i
        else:
            break
    if expired_end >= 0:
        rejected["expiredLogEventEndIndex"] = expired_end
    if too_old_end >= 0:
        rejected["tooOldLogEventEndIndex"] = too_old_end
    if hi < len(events):
        rejected["tooNewLogEventStartIndex"] = hi
    return events[lo:hi], rejected


class LogStreams:
    def __init__(self, logs: LogRepository, repo: LogStreamRepository) -> None:
        self.logs = logs
        self.repo = repo

    async def create(self, group: str, name: str) -> bool:
        """Declare ``name`` in ``group``; False if the stream already exists."""
        check_stream_name(name)
        if await self.exists(group, name):
            return False
        return await asyncio.to_thread(
            self.repo.create_log_stream, group, name, int(time.time() * 1000)
        )

    async def describe(self, group: str) -> list[StreamInfo]:
        """Every stream of ``group`` (declared or with events), by name."""
        declared = dict(await asyncio.to_thread(self.repo.declared_log_streams, group))
        found = {s: (first, last) for s, first, last in await asyncio.to_thread(
            self.logs.log_streams, group
        )}  # fmt: skip
        out = []
        for name in sorted(set(declared) | set(found)):
            first, last = found.get(name, (None, None))
            created = declared.get(name, first if first is not None else 0)
            out.append(StreamInfo(name, created, first, last))
        return out

    async def exists(self, group: str, name: str) -> bool:
        return any(s.name == name for s in await self.describe(group))

    async def delete(self, group: str, name: str) -> bool:
        return await asyncio.to_thread(self.repo.delete_log_stream, group, name)

    async def put(
        self, group: str, stream: str, raw_events: Any, retention_cutoff_ms: int
    ) -> Accepted:
        events = parse_events(raw_events)
        now = int(time.time() * 1000)
        keep, rejected = partition(events, now, retention_cutoff_ms)
        if keep:
            await asyncio.to_thread(
                self.logs.append_logs, [LogEvent(group, stream, ts, m, 0, now) for ts, m in keep]
            )
        return Accepted(len(keep), rejected)
