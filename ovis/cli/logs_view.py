"""Reading and showing a function's CloudWatch Logs: the logic behind `ovis logs`.

* Records: Lambda's runtimes keep a multi-line record (a Python traceback) in ONE log event
  by joining its lines with ``\\r``; `record_lines` splits them again so a terminal shows
  every line.
* Requests: events are grouped by the request they belong to, keyed by the RequestId of the
  ``START`` / ``END`` / ``REPORT`` lines. A log stream is one execution environment, which
  runs one request at a time, so every event of a stream between ``START`` and ``REPORT``
  belongs to that request.
* Filtering: `FilterPattern` is CloudWatch's filter pattern syntax through the server's own
  parser; it is sent as FilterLogEvents' ``filterPattern`` and applied again here to the
  lifecycle lines read alongside (which the grouping needs).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ovis.services.logs.filter_pattern import compile_pattern
from ovis.services.logs.groups import LogsInvalidParameter

LOG_POLL_INTERVAL_S = 0.5
# When following logs, re-read this far behind the newest event seen, so that lines that
# arrive late (another stream, a slow flush) are not skipped; eventId de-duplicates them.
LOG_FOLLOW_OVERLAP_MS = 5_000
# Every START, END and REPORT line holds this; the server can filter on it, which is how
# filtered output still learns the request boundaries.
LIFECYCLE_TERM = "RequestId:"

_LIFECYCLE = re.compile(r"^(START|END|REPORT) RequestId: ([0-9A-Za-z-]+)")


# --------------------------------------------------------------------------------------------
# Filter patterns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterPattern:
    """A CloudWatch filter pattern parsed by the server's own parser
    (``ovis/services/logs/filter_pattern.py``: terms and phrases, ``-term``/``?term``, JSON
    ``{ $.level = "ERROR" }`` and space-delimited ``[ip, user, ..., status=5*]`` patterns), so
    `ovis logs --filter` keeps exactly the lines FilterLogEvents keeps."""

    text: str
    matcher: Callable[[str], bool] = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> FilterPattern:
        """Parse `text`; raises ValueError with CloudWatch's message for an invalid pattern."""
        try:
            return cls(text, compile_pattern(text))
        except LogsInvalidParameter as exc:
            raise ValueError(exc.message) from None

    def matches(self, message: str) -> bool:
        """Whether `message` passes the pattern (an empty pattern passes everything)."""
        return self.matcher(message)

    def server_pattern(self) -> str | None:
        """The pattern to send as filterPattern: the server evaluates every pattern as
        CloudWatch does (None for an empty pattern: no filter)."""
        return self.text.strip() or None


# --------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w)")
_DURATION_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION_MS["w"] = 7 * _DURATION_MS["d"]


def parse_duration_ms(text: str) -> int:
    """'10m' -> 600000; also '90s', '1h30m', '2d'. Raises ValueError on anything else."""
    text = text.strip().lower()
    if text.isdigit():  # a bare number is seconds
        return int(text) * 1000
    pos, total = 0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _DURATION_MS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise ValueError(f"invalid duration {text!r} (examples: 30s, 10m, 1h30m, 2d)")
    return total


def parse_since(text: str, now_ms: int) -> int:
    """The start time in epoch ms for `--since`: a duration back from `now_ms` ('10m',
    '1h30m') or an ISO 8601 time ('2026-12-01T19:00', local time unless it has an offset)."""
    try:
        return now_ms - parse_duration_ms(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"invalid duration or time {text!r}: give a duration (30s, 10m, 1h30m, 2d) "
            "or an ISO 8601 "
            "time (2026-12-01T19:00:00, local time unless it has an offset)"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()  # a naive time is the user's local time
    return int(when.timestamp() * 1000)


def format_timestamp(ms: int, utc: bool) -> str:
    """Epoch ms as ISO 8601 with milliseconds: local time with its offset, or UTC with Z."""
    when = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if utc:
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return when.astimezone().isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------------------------
# Records and requests
# --------------------------------------------------------------------------------------------


def record_lines(message: str) -> list[str]:
    """The lines of one log record: '\\r' (Lambda's in-record line separator), '\\r\\n' and
    '\\n' all end a line; the record's trailing newline does not make an empty line."""
    text = message.replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


def render_tail(log_text: str) -> str:
    """Invoke's LogResult (the log tail, records separated by newlines) with every
    '\\r'-joined record split into lines."""
    return "\n".join(line for rec in log_text.splitlines() for line in record_lines(rec))


def lifecycle(message: str) -> tuple[str, str] | None:
    """('START' | 'END' | 'REPORT', request id) for a lifecycle line, else None."""
    match = _LIFECYCLE.match(message)
    return (match.group(1), match.group(2)) if match else None


@dataclass
class RequestTracker:
    """Assigns events to requests, stream by stream (see the module). Feed events in order."""

    _current: dict[str, str] = field(default_factory=dict)  # stream -> its open group
    _runs: int = 0

    def key(self, event: dict[str, Any]) -> str:
        """The group of `event`: its request id, or 'stream <name> #n' for lines outside any
        request (INIT lines, output before the first START shown)."""
        stream = str(event.get("logStreamName", ""))
        found = lifecycle(str(event.get("message", "")))
        if found is not None:
            kind, request_id = found
            if kind == "REPORT":  # the request's last line: what follows is outside it
                self._current.pop(stream, None)
            else:
                self._current[stream] = request_id
            return request_id
        if stream not in self._current:
            self._runs += 1
            self._current[stream] = f"stream {stream} #{self._runs}"
        return self._current[stream]


def is_request_key(key: str) -> bool:
    return not key.startswith("stream ")


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------


def event_key(event: dict[str, Any]) -> Any:
    return event.get("eventId") or (
        event.get("logStreamName"),
        event.get("timestamp"),
        event.get("message"),
    )


def _order(event: dict[str, Any]) -> tuple[int, int, str]:
    raw_id = str(event.get("eventId", ""))
    return (
        int(event.get("timestamp", 0)),
        int(raw_id) if raw_id.isdigit() else 0,
        raw_id,
    )


def fetch_log_events(
    logs: Any, group: str, start_ms: int, filter_pattern: str | None = None
) -> Iterator[dict[str, Any]]:
    """All events of `group` from `start_ms` on (matching `filter_pattern`, sent to the
    server as is, when given), following nextToken across pages."""
    params: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    if filter_pattern:
        params["filterPattern"] = filter_pattern
    seen_tokens: set[str] = set()
    while True:
        page = logs.filter_log_events(**params)
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token or token in seen_tokens:
            return
        seen_tokens.add(token)
        params["nextToken"] = token


def fetch_for_view(
    logs: Any, group: str, start_ms: int, pattern: FilterPattern | None
) -> list[dict[str, Any]]:
    """The events `ovis logs` needs, oldest first: every event when there is no pattern or
    the server cannot evaluate it; else the matches plus the lifecycle lines (two filtered
    reads), so grouping still knows the requests. Callers still apply `pattern` themselves."""
    server = pattern.server_pattern() if pattern is not None else None
    if server is None:
        return sorted(fetch_log_events(logs, group, start_ms), key=_order)
    merged: dict[Any, dict[str, Any]] = {}
    for term in (server, LIFECYCLE_TERM):
        for event in fetch_log_events(logs, group, start_ms, term):
            merged.setdefault(event_key(event), event)
    return sorted(merged.values(), key=_order)


def follow_log_events(
    logs: Any,
    group: str,
    start_ms: int,
    sleep: Callable[[float], None] = time.sleep,
    pattern: FilterPattern | None = None,
) -> Iterator[dict[str, Any]]:
    """Poll `group` forever, yielding each event once (by eventId), oldest first per poll.

    A missing log group (function not yet invoked) is waited for.
    """
    seen: dict[Any, int] = {}  # event key -> timestamp
    cursor = start_ms
    while True:
        try:
            batch = fetch_for_view(logs, group, cursor, pattern)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            batch = []
        for event in batch:
            key = event_key(event)
            if key not in seen:
                seen[key] = int(event.get("timestamp", cursor))
                yield event
        if seen:
            cursor = max(cursor, max(seen.values()) - LOG_FOLLOW_OVERLAP_MS)
            seen = {k: ts for k, ts in seen.items() if ts >= cursor}
        sleep(LOG_POLL_INTERVAL_S)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogStyle:
    """How lines are shown: timestamps (and in which zone), and the filter to apply."""

    timestamps: bool = True
    utc: bool = False
    pattern: FilterPattern | None = None
    style: Callable[[str], str] = str  # e.g. dims the timestamp on a terminal

    def shown(self, event: dict[str, Any]) -> bool:
        return self.pattern is None or self.pattern.matches(str(event.get("message", "")))

    def lines(self, event: dict[str, Any]) -> list[str]:
        """The display lines of one event: the first prefixed with its timestamp, the rest
        indented under it."""
        body = record_lines(str(event.get("message", "")))
        if not self.timestamps:
            return body
        stamp = format_timestamp(int(event.get("timestamp", 0)), self.utc)
        pad = " " * (len(stamp) + 1)
        return [f"{self.style(stamp)} {body[0]}", *(pad + line for line in body[1:])]


def header(key: str) -> str:
    return f"--- request {key} ---"


def render_grouped(events: Iterable[dict[str, Any]], view: LogStyle) -> Iterator[str]:
    """Lines for a finished read: events grouped by request (in order of each request's
    first event), a blank line between groups, and a header naming the request when its
    START line is not among the lines shown (filtered out, or before --since)."""
    tracker = RequestTracker()
    groups: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        groups.setdefault(tracker.key(event), []).append(event)
    first = True
    for key, members in groups.items():
        shown = [e for e in members if view.shown(e)]
        if not shown:
            continue
        if not first:
            yield ""
        first = False
        starts = lifecycle(str(shown[0].get("message", "")))
        if is_request_key(key) and (starts is None or starts[0] != "START"):
            yield header(key)
        for event in shown:
            yield from view.lines(event)


@dataclass
class LiveGrouper:
    """Lines for `--follow`: events as they come, with a blank line (and a header unless the
    line is the request's START) whenever the request changes."""

    view: LogStyle
    tracker: RequestTracker = field(default_factory=RequestTracker)
    _last: str | None = None

    def lines(self, event: dict[str, Any]) -> list[str]:
        key = self.tracker.key(event)
        if not self.view.shown(event):
            return []
        out: list[str] = []
        if key != self._last:
            if self._last is not None:
                out.append("")
            found = lifecycle(str(event.get("message", "")))
            if is_request_key(key) and (found is None or found[0] != "START"):
                out.append(header(key))
            self._last = key
        return out + self.view.lines(event)
