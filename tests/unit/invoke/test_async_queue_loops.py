"""The async queue's background loops survive store errors (issue #10, defect 2).

Before: one failing ``due_async`` ended the dispatcher for good while ``submit()`` kept
answering 202, and the ledger loop swallowed every error silently.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

import pytest

from ovis.invoke.async_queue import DISPATCHER, LEDGER, AsyncQueue
from ovis.supervisor import Supervisor


class FlakyEvents:
    """The async-event part of the store; its reads fail while ``broken``."""

    def __init__(self) -> None:
        self.broken = True
        self.calls = {"due_async": 0, "ledger": 0}

    def _maybe_fail(self, name: str) -> None:
        self.calls[name] += 1
        if self.broken:
            raise sqlite3.OperationalError("disk I/O error")

    def due_async(self, now_ms: int, limit: int) -> list[Any]:
        self._maybe_fail("due_async")
        return []

    def ledger(self, due_ms: int | None = None) -> list[Any]:
        self._maybe_fail("ledger")
        return []

    def enqueue_async_many(self, events: list[Any]) -> None: ...

    def finish_async_many(self, items: list[Any]) -> None: ...


async def _until(cond: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


@pytest.mark.parametrize("loop_name,read", [(DISPATCHER, "due_async"), (LEDGER, "ledger")])
def test_a_store_error_is_logged_retried_and_the_loop_lives_on(
    loop_name: str, read: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = FlakyEvents()
    sup = Supervisor(backoff_s=(0.001, 0.01))
    queue = AsyncQueue(store, None, None, retry_scale=0.001, supervisor=sup)  # type: ignore[arg-type]
    seen: list[dict[str, Any]] = []

    async def main() -> None:
        await queue.start()
        await _until(lambda: store.calls[read] >= 3)  # retried after each failure
        seen.append(sup.health())
        store.broken = False
        calls = store.calls[read]
        await _until(lambda: store.calls[read] >= calls + 2)  # and goes on once it works
        await _until(lambda: sup.health()["status"] == "ok")
        seen.append(sup.health())
        await queue.close()

    with caplog.at_level(logging.ERROR):
        asyncio.run(main())
    degraded, recovered = seen
    assert degraded["components"][loop_name] == "failing"
    assert "disk I/O error" in degraded["failing"][loop_name]["error"]
    assert recovered["components"][loop_name] == "ok"
    assert any(loop_name in r.getMessage() and r.exc_info for r in caplog.records)
