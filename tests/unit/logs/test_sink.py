"""The log sink keeps lines while the store fails, in order, and reports itself degraded."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from ovis.logs.sink import LOOP, LogSink
from ovis.supervisor import Supervisor


class FlakyLogs:
    def __init__(self, fail: int) -> None:
        self.fail = fail  # how many writes fail; -1: every write while ``fail`` stays -1
        self.attempts = 0
        self.written: list[str] = []

    def append_logs(self, events: Any) -> None:
        self.attempts += 1
        if self.fail != 0:
            self.fail -= 1 if self.fail > 0 else 0
            raise sqlite3.OperationalError("database is locked")
        self.written.extend(e.message for e in events)


def test_lines_survive_store_errors_in_order() -> None:
    store = FlakyLogs(fail=-1)
    sup = Supervisor(backoff_s=(0.001, 0.01))
    sink = LogSink(store, interval_s=0.001, supervisor=sup)  # type: ignore[arg-type]
    states: list[str] = []

    async def main() -> None:
        await sink.start()
        sink.emit("/aws/lambda/f", "s", ["one", "two"])
        while store.attempts < 3:
            await asyncio.sleep(0.001)
        states.append(sup.health()["components"][LOOP])
        store.fail = 0
        sink.emit("/aws/lambda/f", "s", ["three"])
        while len(store.written) < 3:
            await asyncio.sleep(0.001)
        states.append(sup.health()["components"][LOOP])
        await sink.close()

    asyncio.run(main())
    assert store.written == ["one", "two", "three"]
    assert states == ["failing", "ok"]


def test_pending_lines_are_bounded_and_drops_counted() -> None:
    store = FlakyLogs(fail=1)
    sink = LogSink(store, max_pending=3)  # type: ignore[arg-type]
    sink.emit("g", "s", ["a", "b", "c", "d", "e"])

    async def main() -> None:
        try:
            await sink.flush()
        except sqlite3.OperationalError:
            pass
        await sink.flush()

    asyncio.run(main())
    assert store.written == ["c", "d", "e"]
    assert sink.dropped == 2
