"""Tumbling windows (TumblingWindowInSeconds): records grouped by arrival time into fixed,
non-overlapping windows aligned to the epoch, with state carried between the invocations of
one window.

Contract:
- ``window_start(arrival_ms, size_s)`` is the window a record belongs to.
- ``members(...)`` are the members an invocation adds to ``Records``: ``window``
  (``start``/``end``, ISO 8601 UTC), ``state`` (what the previous invocation of this window
  returned, ``{}`` at first), ``shardId``, ``eventSourceARN``, ``isFinalInvokeForWindow`` and
  ``isWindowTerminatedEarly``.
- ``returned_state(payload)`` is the ``state`` object a function returned (``{}`` when it
  returned none or not an object).
- ``OpenWindow`` round-trips through JSON (it is stored with the shard's checkpoint, so a
  restart continues the window with its state).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_STATE_BYTES = 1024 * 1024  # a bigger state ends the window early, as on AWS


def window_start(arrival_ms: int, size_s: int) -> int:
    size = size_s * 1000
    return arrival_ms - arrival_ms % size


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class OpenWindow:
    start_ms: int
    size_s: int
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.size_s * 1000

    def to_json(self) -> str:
        return json.dumps({"start_ms": self.start_ms, "size_s": self.size_s, "state": self.state})

    @classmethod
    def from_json(cls, text: str | None) -> OpenWindow | None:
        if not text:
            return None
        doc = json.loads(text)
        return cls(int(doc["start_ms"]), int(doc["size_s"]), dict(doc.get("state") or {}))

    def members(
        self, shard_id: str, stream_arn: str, *, final: bool, early: bool
    ) -> dict[str, Any]:
        return {
            "window": {"start": _iso(self.start_ms), "end": _iso(self.end_ms)},
            "state": self.state,
            "shardId": shard_id,
            "eventSourceARN": stream_arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": early,
        }


def returned_state(payload: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(payload) if payload.strip() else None
    except (ValueError, UnicodeDecodeError):
        return {}
    state = doc.get("state") if isinstance(doc, dict) else None
    return state if isinstance(state, dict) else {}
