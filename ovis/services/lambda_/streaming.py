"""Responses sent as they are produced: AWS event stream encoding, InvokeWithResponseStream.

The event stream encoding (``application/vnd.amazon.eventstream``) is what botocore decodes into
``resp["EventStream"]``: each message is a prelude (total length, headers length, CRC32 of those
8 bytes), headers (name length, name, type 7 = string, value length, value), the payload and a
CRC32 of everything before it. InvokeWithResponseStream sends one ``PayloadChunk`` event per chunk
the function streamed, then one ``InvokeComplete`` event (ErrorCode, ErrorDetails, LogResult).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from ovis.invoke.async_queue import lineage_hops
from ovis.invoke.invoker import Invoker, InvokeResult
from ovis.sandbox.instance import Invocation
from ovis.sandbox.streaming import ResponseStream
from ovis.services.context import Handler, RequestContext
from ovis.services.lambda_.commands import Invoke
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.invocation import (
    MAX_SYNC_PAYLOAD,
    check_payload,
    client_context,
    trace_id,
)

EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return struct.pack("!B", len(n)) + n + b"\x07" + struct.pack("!H", len(v)) + v


def encode_event(event_type: str, payload: bytes, content_type: str) -> bytes:
    """One event stream message of type ``event``."""
    headers = (
        _header(":event-type", event_type)
        + _header(":content-type", content_type)
        + _header(":message-type", "event")
    )
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(headers))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + headers + payload
    return message + struct.pack("!I", zlib.crc32(message))


def payload_chunk(data: bytes) -> bytes:
    return encode_event("PayloadChunk", data, "application/octet-stream")


def invoke_complete(res: InvokeResult | None, error: tuple[str, str] | None = None) -> bytes:
    body: dict[str, str] = {}
    if error is None and res is not None and res.function_error:
        error = error_of(res.payload)
    if error is not None:
        body["ErrorCode"], body["ErrorDetails"] = error
    if res is not None and res.log_result:
        body["LogResult"] = res.log_result
    return encode_event("InvokeComplete", json.dumps(body).encode(), "application/json")


def error_of(payload: bytes) -> tuple[str, str]:
    """(errorType, errorMessage) of a function error payload."""
    try:
        obj = json.loads(payload)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        return str(obj.get("errorType") or "Unhandled"), str(obj.get("errorMessage") or "")
    return "Unhandled", payload.decode("utf-8", "replace")


class StreamingBody:
    """An HTTP response body produced as it goes (sent with chunked transfer encoding)."""

    def __init__(self, chunks: AsyncIterator[bytes], status: int, headers: dict[str, str]) -> None:
        self.chunks = chunks
        self.status = status
        self.headers = headers

    async def send(self, send: Send, status: int, headers: dict[str, str]) -> None:
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        try:
            async for chunk in self.chunks:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b""})


async def start_streaming(
    invoker: Invoker, cfg: Any, inv: Invocation, stream: ResponseStream, tail: bool, target: Any
) -> tuple[asyncio.Task[InvokeResult], bool]:
    """Start the invocation; return once the function started streaming (True) or finished
    without streaming (False). Errors before either (throttles, ...) are raised."""
    task = asyncio.get_running_loop().create_task(invoker.invoke(cfg, inv, tail, target))
    waiters: list[asyncio.Future[Any]] = [stream.started, task]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    if stream.started.done():
        return task, True
    task.result()  # raises what the invocation raised
    return task, False


class StreamingApi:
    """InvokeWithResponseStream."""

    def __init__(self, functions: FunctionService, invoker: Invoker) -> None:
        self.functions = functions
        self.invoker = invoker
        self.handlers: dict[str, Handler] = {
            "InvokeWithResponseStream": self.invoke_with_response_stream,
        }

    async def invoke_with_response_stream(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        cmd = Invoke.of(p, ctx.request_id, ctx.trace_header)
        name, q = self.functions.ref(cmd.function_name, cmd.qualifier)
        check_payload(cmd.payload, MAX_SYNC_PAYLOAD, "InvokeWithResponseStream")
        cfg = self.invoker.qualifiers.for_invoke(name, q)
        if cmd.invocation_type == "DryRun":
            return {"StatusCode": 204}
        stream = ResponseStream()
        inv = Invocation(
            cmd.request_id,
            cmd.payload,
            self.functions.arn(name, q),
            client_context(cmd.client_context),
            trace_id=trace_id(cmd.request_id, lineage_hops(cmd.trace_header)),
            stream=stream,
        )
        tail = cmd.tail
        task, streamed = await start_streaming(
            self.invoker, cfg, inv, stream, tail, (name, q) if q else None
        )
        events = _events(stream, task) if streamed else _buffered(task.result())
        headers = {
            "Content-Type": EVENTSTREAM_CONTENT_TYPE,
            "X-Amz-Executed-Version": cfg.version,
        }
        return {"EventStream": StreamingBody(events, 200, headers)}


async def _events(stream: ResponseStream, task: asyncio.Task[InvokeResult]) -> AsyncIterator[bytes]:
    try:
        while chunk := await stream.read():
            yield payload_chunk(chunk)
        res = await task
    except Exception as e:  # the invocation failed after streaming began
        yield invoke_complete(None, ("ServiceException", str(e)))
        return
    yield invoke_complete(res)


async def _buffered(res: InvokeResult) -> AsyncIterator[bytes]:
    if res.payload and not res.function_error:
        yield payload_chunk(res.payload)
    yield invoke_complete(res)
