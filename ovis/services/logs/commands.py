"""Typed commands of the CloudWatch Logs operations, built from the validated request members
by the handlers in ``operations.py``."""

from __future__ import annotations

from dataclasses import dataclass

FOREVER_MS = 2**62


@dataclass(frozen=True, slots=True)
class EventQuery:
    """FilterLogEvents / GetLogEvents: events of one group in [start_ms, end_ms), after the
    event id a pagination token names, at most ``limit``."""

    group: str
    limit: int
    after_id: int = 0
    start_ms: int = 0
    end_ms: int = FOREVER_MS
    streams: frozenset[str] = frozenset()  # only these streams (empty: all)
    stream_prefix: str = ""
    pattern: str = ""  # a filter pattern (filter_pattern.py)


@dataclass(frozen=True, slots=True)
class EventPage:
    """What a query found; ``last_id`` is the id to continue after, ``more`` whether the page
    stopped at the limit."""

    events: list[tuple[str, int, str, int, int]]  # (stream, timestamp, message, ingestion, id)
    last_id: int
    more: bool
