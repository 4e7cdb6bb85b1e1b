"""The access log: one line per API request, written off the request path.

Contract: ``record()`` does no I/O and never blocks (it runs on every request, the warm Invoke
path included: a formatted string appended to a list, about 1 us, where a ``logging`` call
costs over 10 us). While started, a supervised step (component ``access-log``) writes the
lines gathered so far to the log stream every ``interval_s``, in order, in the same format as
the server's other log lines (``<time> INFO ovis.access: <line>``). ``close()`` writes what is
left. Lines wait in memory at most one interval; a kill -9 loses them as it would lose any
unflushed log output. Nothing is recorded unless the ``ovis.access`` logger is enabled for INFO
(``ovis server --log-level info``, the default).

Whatever the log level, ``record()`` also counts the request in ``stats`` (``RequestStats``:
by service, operation and status, with latency buckets), which ``/metrics`` serves.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import TextIO

from ovis.frontdoor.request_stats import RequestStats
from ovis.supervisor import Supervisor

LOOP = "access-log"
LOGGER = "ovis.access"
MAX_PENDING = 100_000  # a stream that stopped taking writes must not exhaust memory


class AccessLog:
    name = LOOP

    def __init__(
        self,
        supervisor: Supervisor,
        stream: TextIO | None = None,
        interval_s: float = 0.1,
        enabled: bool | None = None,  # None: as the ovis.access logger's level says
    ) -> None:
        self.supervisor = supervisor
        self.stream = stream
        self.interval_s = interval_s
        if enabled is None:
            enabled = logging.getLogger(LOGGER).isEnabledFor(logging.INFO)
        self.enabled = enabled
        self._lines: list[tuple[float, str]] = []
        self.dropped = 0
        self.stats = RequestStats()  # for /metrics: counted even when no line is logged

    def record(
        self, service: str, operation: str, status: int, ms: float, rid: str, error: str = ""
    ) -> None:
        """One request's line: ``service.operation status latency request-id [error]``."""
        self.stats.add(service, operation, status, ms)
        if not self.enabled:
            return
        if len(self._lines) >= MAX_PENDING:
            self.dropped += 1
            return
        self._lines.append((time.time(), f"{service}.{operation} {status} {ms:.2f}ms {rid}{error}"))

    def flush(self) -> None:
        lines, self._lines = self._lines, []
        if not lines:
            return
        out = self.stream or sys.stderr
        parts: list[str] = []
        second, stamp = -1, ""
        for t, line in lines:
            if int(t) != second:  # one strftime per second of lines, not per line
                second = int(t)
                stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            parts.append(f"{stamp},{int(t * 1000) % 1000:03d} INFO {LOGGER}: {line}\n")
        text = "".join(parts)
        if self.dropped:
            text += f"... INFO {LOGGER}: {self.dropped} access lines dropped (log stream full)\n"
            self.dropped = 0
        out.write(text)
        out.flush()

    async def _step(self) -> None:
        await asyncio.sleep(self.interval_s)
        self.flush()

    async def start(self) -> None:
        if self.enabled:
            self.supervisor.loop(LOOP, self._step)

    async def close(self) -> None:
        await self.supervisor.stop(LOOP)
        self.flush()
