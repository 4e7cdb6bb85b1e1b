"""A batching log sink: the invoke path hands lines over in memory; a background task persists.

Contract: ``emit()`` never blocks and never touches the store (it runs on the invoke hot path).
``flush()`` writes everything emitted so far (in a worker thread); ``close()`` flushes and stops.
Followers (``ovis logs --follow``) see lines within one flush interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from ovis.logs.repository import LogRepository
from ovis.models.log_event import LogEvent

log = logging.getLogger(__name__)


class LogSink:
    def __init__(self, store: LogRepository, interval_s: float = 0.2) -> None:
        self._store = store
        self._interval = interval_s
        self._pending: list[LogEvent] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def emit(self, group: str, stream: str, lines: list[str], ts_ms: int | None = None) -> None:
        now = ts_ms if ts_ms is not None else int(time.time() * 1000)
        self._pending.extend(LogEvent(group, stream, now, line, 0, now) for line in lines)

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            try:
                await asyncio.to_thread(self._store.append_logs, batch)
            except Exception:  # logs must never take the server down
                log.exception("could not persist %d log events", len(batch))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.flush()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
