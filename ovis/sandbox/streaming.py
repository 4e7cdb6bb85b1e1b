"""A streamed function response on its way from the runtime to whoever reads it.

A runtime streams by posting ``/invocation/{id}/response`` with
``Lambda-Runtime-Function-Response-Mode: streaming`` and a chunked body; an error after the first
byte travels in the ``Lambda-Runtime-Function-Error-Type``/``-Body`` trailers. The Runtime API
listener ``begin``s a :class:`ResponseStream`, ``feed``s it each chunk as it arrives and
``finish``es it with the trailers. A consumer (a function URL in RESPONSE_STREAM mode,
InvokeWithResponseStream) passes its stream in the :class:`~ovis.sandbox.instance.Invocation` and
``read``s chunks while the function still runs; without one the instance collects the chunks into
one buffered payload (what Invoke answers for a streaming function).

Back-pressure: past ``HIGH_WATER`` unread bytes the listener stops reading from the runtime's
connection, and resumes once the consumer drained it below ``LOW_WATER``.
Contract: event-loop thread only. ``finish`` and ``close`` are idempotent.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

# The documented maximum of a streamed response (a buffered one is limited to 6 MB).
MAX_STREAMED_BYTES = 20 * 1024 * 1024
HIGH_WATER = 1 << 20
LOW_WATER = 256 << 10
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# awslambda.HttpResponseStream.from(): a JSON prelude, 8 NUL bytes, then the body.
HTTP_INTEGRATION_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"


class ResponseStream:
    def __init__(self, limit: int = MAX_STREAMED_BYTES, consumer: bool = True) -> None:
        self._loop = asyncio.get_running_loop()
        self.limit = limit
        self.consumer = consumer  # False: nobody reads; chunks are collected (no back-pressure)
        # Resolves with the content type when the runtime starts streaming.
        self.started: asyncio.Future[str] = self._loop.create_future()
        self.content_type = DEFAULT_CONTENT_TYPE
        self.size = 0  # bytes fed so far
        self.done = False
        self.too_large = False
        self.error_type: str | None = None
        self.error_body: bytes | None = None
        self._chunks: deque[bytes] = deque()
        self._unread = 0
        self._waiter: asyncio.Future[None] | None = None
        self._pause: Callable[[], None] | None = None
        self._resume: Callable[[], None] | None = None
        self._paused = False
        self._on_finish: list[Callable[[ResponseStream], None]] = []

    # ---- producer side (the Runtime API listener, through the instance) ---------------------

    def begin(
        self,
        content_type: str | None,
        pause: Callable[[], None] | None = None,
        resume: Callable[[], None] | None = None,
    ) -> None:
        self.content_type = content_type or DEFAULT_CONTENT_TYPE
        self._pause, self._resume = pause, resume
        if not self.started.done():
            self.started.set_result(self.content_type)

    def on_finish(self, callback: Callable[[ResponseStream], None]) -> None:
        self._on_finish.append(callback)

    def feed(self, data: bytes) -> bool:
        """Queue one chunk; False once the stream is over its limit (the rest is dropped)."""
        if self.done or self.too_large:
            return False
        if self.size + len(data) > self.limit:
            self.too_large = True
            return False
        self.size += len(data)
        if not data:
            return True
        self._chunks.append(data)
        self._unread += len(data)
        if self.consumer and self._unread > HIGH_WATER and not self._paused and self._pause:
            self._paused = True
            self._pause()
        self._wake()
        return True

    def finish(self, error_type: str | None = None, error_body: bytes | None = None) -> None:
        """The runtime ended the stream (with an error from its trailers, if any)."""
        if self.done:
            return
        if self.too_large and error_type is None:
            error_type = "Function.ResponseSizeTooLarge"
            error_body = (
                b'{"errorMessage":"Response payload size exceeded maximum allowed payload size '
                b'(%d bytes).","errorType":"Function.ResponseSizeTooLarge"}' % self.limit
            )
        self.error_type, self.error_body = error_type, error_body
        self.done = True
        self._resume_reading()
        self._wake()
        callbacks, self._on_finish = self._on_finish, []
        for callback in callbacks:
            callback(self)

    def close(self) -> None:
        """End the stream whatever happened (the instance died, timed out, was killed)."""
        if not self.done:
            self.done = True
            self._resume_reading()
            self._wake()
            self._on_finish.clear()

    def collected(self) -> bytes:
        """Everything fed and not read (the whole body when nobody reads)."""
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._unread = 0
        return data

    # ---- consumer side -------------------------------------------------------------------

    async def read(self) -> bytes:
        """The next chunk(s) as they arrive; b"" once the stream ended."""
        while not self._chunks:
            if self.done:
                return b""
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        data = b"".join(self._chunks) if len(self._chunks) > 1 else self._chunks[0]
        self._chunks.clear()
        self._unread = 0
        self._resume_reading()
        return data

    def _resume_reading(self) -> None:
        if self._paused and self._unread < LOW_WATER:
            self._paused = False
            if self._resume is not None:
                self._resume()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
