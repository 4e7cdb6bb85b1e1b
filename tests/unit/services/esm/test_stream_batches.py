"""stream_batches: batch limits, the payload, bisect and the low watermark across lanes."""

from __future__ import annotations

import json
from collections import deque

from ovis.services.lambda_.esm.stream_batches import (
    Entry,
    Watermark,
    bisect,
    encode,
    payload,
    take_batch,
)


def entry(seq: int, size: int = 10) -> Entry:
    return Entry(str(seq), "k", 0, encode({"d": "x" * size}))


def test_take_batch_stops_at_the_count_and_the_payload_limit_but_takes_one_at_least() -> None:
    q = deque(entry(i) for i in range(10))
    assert [e.seq for e in take_batch(q, 4)] == ["0", "1", "2", "3"]
    big = deque([entry(1, 3000), entry(2, 3000), entry(3, 3000)])
    assert len(take_batch(big, 10, max_payload=1024 + 6100 + 50)) == 2
    huge = deque([entry(1, 10_000)])
    assert len(take_batch(huge, 10, max_payload=100)) == 1


def test_payload_joins_encoded_records_and_adds_members() -> None:
    es = [entry(1, 1), entry(2, 2)]
    assert json.loads(payload(es)) == {"Records": [{"d": "x"}, {"d": "xx"}]}
    doc = json.loads(payload([], {"state": {"a": 1}, "isFinalInvokeForWindow": True}))
    assert doc == {"Records": [], "state": {"a": 1}, "isFinalInvokeForWindow": True}


def test_bisect_splits_first_half_first() -> None:
    a, b = bisect([entry(i) for i in range(5)])
    assert [e.seq for e in a] == ["0", "1", "2"] and [e.seq for e in b] == ["3", "4"]


def test_watermark_is_the_highest_position_below_which_everything_is_done() -> None:
    w = Watermark("0")
    w.add(["5", "6", "7", "8"])
    w.done(["6", "8"])
    assert w.position() is None and w.current == "0"
    w.done(["5"])
    assert w.position() == "6"
    assert w.position() is None  # reported once
    w.done(["7"])
    assert w.position() == "8" and w.outstanding == 0
