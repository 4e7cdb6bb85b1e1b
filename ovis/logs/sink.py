"""A batching log sink: the invoke path hands lines over in memory; a background task persists.

Contract: ``emit()`` never blocks and never touches the store (it runs on the invoke hot path).
``flush()`` writes everything emitted so far (in a worker thread); when the store fails, the
batch stays pending (it is written by a later flush, in order) and the error is raised.
Pending lines are bounded by ``max_pending``: past it the oldest are dropped and counted in
``dropped`` (a log line names how many), so a store that stays down cannot exhaust memory.
``start()`` runs the flush loop under the supervisor (component ``log-sink``); ``close()``
stops it and makes a last flush attempt. Followers (``ovis logs --follow``) see lines within
one flush interval. With ``metrics`` set, lines in CloudWatch's Embedded Metric Format
(``ovis.logs.emf``) also become metrics, in memory (a substring test per line otherwise).
With ``flushed`` set, it is called (in the loop, once per flush that stored lines, no I/O)
so CloudWatch Logs' subscription delivery looks at the new lines.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ovis.logs.emf import emit_emf
from ovis.logs.repository import LogRepository
from ovis.models.log_event import LogEvent
from ovis.models.metric import MetricPut
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)

LOOP = "log-sink"


class LogSink:
    name = LOOP

    def __init__(
        self,
        store: LogRepository,
        interval_s: float = 0.2,
        supervisor: Supervisor | None = None,
        max_pending: int = 200_000,
    ) -> None:
        self._store = store
        self._interval = interval_s
        self._pending: list[LogEvent] = []
        self._max_pending = max_pending
        self.dropped = 0
        self.supervisor = supervisor or Supervisor()
        # Embedded Metric Format lines become metrics here (None: they stay log lines only)
        self.metrics: MetricPut | None = None
        # called after each flush that stored lines (the subscription delivery loop wakes)
        self.flushed: Callable[[], None] | None = None

    async def start(self) -> None:
        self.supervisor.loop(LOOP, self._step)

    def emit(self, group: str, stream: str, lines: list[str], ts_ms: int | None = None) -> None:
        now = ts_ms if ts_ms is not None else int(time.time() * 1000)
        self._pending.extend(LogEvent(group, stream, now, line, 0, now) for line in lines)
        if self.metrics is not None:
            emit_emf(lines, self.metrics)

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            await asyncio.to_thread(self._store.append_logs, batch)
        except Exception:
            # Keep the lines (in order, ahead of newer ones) for the next flush.
            self._pending = batch + self._pending
            excess = len(self._pending) - self._max_pending
            if excess > 0:
                del self._pending[:excess]
                self.dropped += excess
                log.error("log store unavailable: dropped the %d oldest log events", excess)
            raise
        if self.flushed is not None:
            self.flushed()

    async def _step(self) -> None:
        await asyncio.sleep(self._interval)
        await self.flush()

    async def close(self) -> None:
        await self.supervisor.stop(LOOP)
        try:
            await self.flush()
        except Exception:
            log.exception("could not persist %d log events at shutdown", len(self._pending))
