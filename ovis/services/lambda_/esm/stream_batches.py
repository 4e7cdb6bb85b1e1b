"""Batching of stream records: entries (a record with its event JSON encoded once), taking a
batch under the count and payload limits, the invocation payload, bisecting a failed batch,
and the low watermark that says up to where a shard is done.

Contracts:
- ``take_batch`` removes and returns, in order, at most ``batch_size`` entries whose payload
  stays under ``max_payload`` bytes, and always at least one (a record alone over the limit
  still goes: the invoke then fails on its size and the usual error handling applies).
- ``payload(entries, extra)`` is ``{"Records": [...], <extra members>}`` as UTF-8 JSON, built by
  joining the entries' encoded records (no re-encoding per attempt).
- ``bisect(entries)`` splits a batch of two or more into halves, first half first.
- ``Watermark``: records are ``add``-ed in shard order and marked ``done`` in any order (lanes
  finish independently); ``position`` is the highest sequence number up to which every added
  record is done (the shard checkpoint), or None if it did not move since the last call.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_PAYLOAD = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit
_ENVELOPE = len('{"Records":[]}') + 1024  # room for a tumbling window's members


@dataclass(slots=True)
class Entry:
    seq: str
    partition_key: str
    arrival_ms: int
    record: str  # the event record as JSON
    read_at: float = field(default_factory=time.monotonic)  # when the poller read it

    @property
    def size(self) -> int:
        return len(self.record) + 1  # and its comma


def encode(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def take_batch(queue: deque[Entry], batch_size: int, max_payload: int = MAX_PAYLOAD) -> list[Entry]:
    batch: list[Entry] = []
    size = _ENVELOPE
    while queue and len(batch) < batch_size:
        head = queue[0]
        if batch and size + head.size > max_payload:
            break
        batch.append(queue.popleft())
        size += head.size
    return batch


def payload(entries: Sequence[Entry], extra: dict[str, Any] | None = None) -> bytes:
    body = '{"Records":[' + ",".join(e.record for e in entries) + "]"
    if extra:
        body += "," + encode(extra)[1:-1]
    return (body + "}").encode()


def bisect(entries: Sequence[Entry]) -> tuple[list[Entry], list[Entry]]:
    half = (len(entries) + 1) // 2
    return list(entries[:half]), list(entries[half:])


class Watermark:
    def __init__(self, position: str) -> None:
        self._pending: OrderedDict[str, bool] = OrderedDict()  # seq -> done, in shard order
        self._position = position
        self._moved = False

    def add(self, seqs: Iterable[str]) -> None:
        for s in seqs:
            self._pending[s] = False

    def done(self, seqs: Iterable[str]) -> None:
        pending = self._pending
        for s in seqs:
            if s in pending:
                pending[s] = True
        while pending:
            seq, finished = next(iter(pending.items()))
            if not finished:
                break
            pending.popitem(last=False)
            self._position = seq
            self._moved = True

    @property
    def outstanding(self) -> int:
        return len(self._pending)

    @property
    def current(self) -> str:
        return self._position

    def position(self) -> str | None:
        """The new checkpoint position if it moved since the last call, else None."""
        if not self._moved:
            return None
        self._moved = False
        return self._position
