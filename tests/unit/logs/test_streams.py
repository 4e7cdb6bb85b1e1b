"""PutLogEvents' batch rules: limits, order, span, and which events are rejected as too old,
expired or too new (AWS's rejectedLogEventsInfo indexes)."""

from __future__ import annotations

import pytest

from ovis.services.logs.groups import DAY_MS, LogsInvalidParameter
from ovis.services.logs.streams import (
    MAX_EVENTS,
    TOO_NEW_MS,
    check_stream_name,
    parse_events,
    partition,
)

NOW = 100 * DAY_MS


def test_events_are_checked_for_the_batch_limits() -> None:
    assert parse_events([{"timestamp": 1, "message": "a"}, {"timestamp": 1, "message": "b"}]) == [
        (1, "a"),
        (1, "b"),
    ]
    bad: list[object] = [
        None,
        [],
        [{"timestamp": 1, "message": ""}],
        [{"timestamp": "1", "message": "m"}],
        [{"timestamp": 2, "message": "m"}, {"timestamp": 1, "message": "m"}],  # order
        [{"timestamp": 0, "message": "m"}, {"timestamp": DAY_MS + 1, "message": "m"}],  # span
        [{"timestamp": 1, "message": "m"}] * (MAX_EVENTS + 1),
        [{"timestamp": 1, "message": "x" * 1000}] * 1040,  # 1040 * 1026 bytes > 1 MiB
    ]
    for raw in bad:
        with pytest.raises(LogsInvalidParameter):
            parse_events(raw)


def test_old_expired_and_new_events_are_rejected_by_index() -> None:
    events = [
        (NOW - 20 * DAY_MS, "expired"),
        (NOW - 15 * DAY_MS, "too old"),
        (NOW, "kept"),
        (NOW + TOO_NEW_MS + 1, "too new"),
    ]
    kept, rejected = partition(events, NOW, NOW - 18 * DAY_MS)
    assert kept == [(NOW, "kept")]
    assert rejected == {
        "expiredLogEventEndIndex": 0,
        "tooOldLogEventEndIndex": 1,
        "tooNewLogEventStartIndex": 3,
    }
    assert partition([(NOW, "a")], NOW, 0) == ([(NOW, "a")], {})


def test_stream_names_follow_the_model() -> None:
    assert check_stream_name("2024/01/01/[$LATEST]abc") == "2024/01/01/[$LATEST]abc"
    for bad in ("", "a:b", "a*", None, "x" * 513):
        with pytest.raises(LogsInvalidParameter):
            check_stream_name(bad)
