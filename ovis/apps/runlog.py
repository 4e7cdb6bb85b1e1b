"""A run's log: lines buffered in memory and written to the CloudWatch Logs group
``/ovis/pipelines/NAME``, stream ``run-SEQ``, through the logs service in process (so
``aws logs get-log-events``, ``ovis app logs`` and the console read them as any other log).

Contract: ``line()`` never blocks or fails; ``flush()`` writes what is buffered in batches
(PutLogEvents' limits) and is called at each phase and stage boundary. An empty line is sent as
one space (a log event's message cannot be empty).
"""

from __future__ import annotations

import time

from ovis.errors import ApiError
from ovis.services.calls import Caller, ServiceCalls

BATCH = 1000


async def ensure_group(calls: ServiceCalls, caller: Caller, group: str) -> None:
    try:
        await calls("logs", "CreateLogGroup", {"logGroupName": group}, caller)
    except ApiError as e:
        if e.code != "ResourceAlreadyExistsException":
            raise


class RunLog:
    def __init__(self, calls: ServiceCalls, caller: Caller, group: str, stream: str) -> None:
        self.calls = calls
        self.caller = caller
        self.group = group
        self.stream = stream
        self._buf: list[dict[str, object]] = []
        self.tail: list[str] = []  # the last lines, for a failed stage's message

    async def open(self) -> None:
        await ensure_group(self.calls, self.caller, self.group)
        try:
            await self.calls(
                "logs",
                "CreateLogStream",
                {"logGroupName": self.group, "logStreamName": self.stream},
                self.caller,
            )
        except ApiError as e:
            if e.code != "ResourceAlreadyExistsException":
                raise

    def line(self, text: str) -> None:
        self._buf.append({"timestamp": int(time.time() * 1000), "message": text or " "})
        self.tail = [*self.tail[-19:], text]

    async def flush(self) -> None:
        while self._buf:
            batch, self._buf = self._buf[:BATCH], self._buf[BATCH:]
            await self.calls(
                "logs",
                "PutLogEvents",
                {"logGroupName": self.group, "logStreamName": self.stream, "logEvents": batch},
                self.caller,
            )
