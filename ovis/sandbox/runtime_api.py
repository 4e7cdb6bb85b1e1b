"""The Lambda Runtime API (2018-06-01) served to one instance on its own loopback listener.

Each instance that speaks HTTP gets a listener of its own, so the address in its
AWS_LAMBDA_RUNTIME_API identifies it: it can only ever fetch its own events and post its own
results. Endpoints and headers as AWS documents them:
  GET  /2018-06-01/runtime/invocation/next
  POST /2018-06-01/runtime/invocation/{AwsRequestId}/response
       (with ``Lambda-Runtime-Function-Response-Mode: streaming`` and a chunked body: each chunk
       is passed on as it arrives, see ovis/sandbox/streaming.py)
  POST /2018-06-01/runtime/invocation/{AwsRequestId}/error
  POST /2018-06-01/runtime/init/error
HTTP parsing is httptools (the parser uvicorn uses); the handlers are callbacks into the instance.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import httptools

from ovis.sandbox.streaming import ResponseStream

PREFIX = b"/2018-06-01/runtime/"
MAX_RESPONSE_BYTES = 6 * 1024 * 1024


@dataclass
class NextInvocation:
    request_id: str
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)


class RuntimeApiHandler:
    """What the listener calls; implemented by the instance."""

    # The only uid allowed to connect (the instance's own); None accepts any local peer.
    uid: int | None = None

    async def next_invocation(self) -> NextInvocation:  # blocks until there is one
        raise NotImplementedError

    def post_response(self, request_id: str, body: bytes) -> int:  # HTTP status
        raise NotImplementedError

    def post_error(self, request_id: str, body: bytes, error_type: str | None) -> int:
        raise NotImplementedError

    def post_init_error(self, body: bytes, error_type: str | None) -> int:
        raise NotImplementedError

    def open_stream(self, request_id: str, content_type: str | None) -> ResponseStream | int:
        """A streamed response begins: the stream to feed, or the HTTP status refusing it."""
        return 404


def _json(status: int, obj: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()


_REASONS = {
    200: b"OK",
    202: b"Accepted",
    400: b"Bad Request",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    413: b"Payload Too Large",
    500: b"Internal Server Error",
}


# (method, url, headers, body, the answer when it is already known: an ended stream)
_Queued = tuple[bytes, bytes, dict[str, str], bytes, tuple[int, dict[str, str], bytes] | None]


class _Protocol(asyncio.Protocol):
    def __init__(self, handler: RuntimeApiHandler) -> None:
        self.handler = handler
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.queue: asyncio.Queue[_Queued] = asyncio.Queue()
        self.worker: asyncio.Task[None] | None = None
        # A streamed response being received: the stream it feeds, or the status refusing it.
        self.stream: ResponseStream | int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        expected = self.handler.uid
        if expected is not None:
            peer = transport.get_extra_info("peername")
            local = transport.get_extra_info("sockname")
            if peer is None or local is None or peer_uid(peer, local) != expected:
                self.transport.close()  # another instance's (or user's) connection
                return
        self.worker = asyncio.get_running_loop().create_task(self._serve())

    def connection_lost(self, exc: Exception | None) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._write(
                400,
                {"Content-Type": "application/json"},
                b'{"errorMessage":"bad request","errorType":"InvalidRequest"}',
            )
            assert self.transport is not None
            self.transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.url, self.headers, self.body = b"", {}, bytearray()
        self.stream = None

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        if self.headers.get("lambda-runtime-function-response-mode", "").lower() != "streaming":
            return
        parts = self.url.split(b"?", 1)[0].removeprefix(PREFIX).decode("latin-1").split("/")
        if self.parser.get_method() != b"POST" or len(parts) != 3:
            return
        if parts[0] != "invocation" or parts[2] != "response":
            return
        self.stream = self.handler.open_stream(parts[1], self.headers.get("content-type"))
        if isinstance(self.stream, ResponseStream) and self.transport is not None:
            self.stream.begin(
                self.headers.get("content-type"),
                self.transport.pause_reading,
                self.transport.resume_reading,
            )

    def on_body(self, body: bytes) -> None:
        if self.stream is None:
            self.body += body
        elif isinstance(self.stream, ResponseStream):
            self.stream.feed(body)

    def on_message_complete(self) -> None:
        method = self.parser.get_method()
        if self.stream is not None:
            # Trailers arrive as headers after the body (httptools reports them with on_header).
            self.queue.put_nowait((method, self.url, self.headers, b"", self._end_stream()))
            return
        self.queue.put_nowait((method, self.url, self.headers, bytes(self.body), None))

    def _end_stream(self) -> tuple[int, dict[str, str], bytes]:
        stream, self.stream = self.stream, None
        if not isinstance(stream, ResponseStream):
            return _state_error(stream or 400)
        etype = self.headers.get("lambda-runtime-function-error-type")
        ebody: bytes | None = None
        if etype is not None:
            raw = self.headers.get("lambda-runtime-function-error-body", "")
            try:
                ebody = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                ebody = raw.encode("latin-1")
        too_large = stream.too_large
        stream.finish(etype, ebody)
        if too_large:
            return _json(
                413, {"errorMessage": "Payload Too Large", "errorType": "RequestEntityTooLarge"}
            )
        return _json(202, {"status": "OK"})

    async def _serve(self) -> None:
        # Requests on one connection are answered in order (HTTP/1.1 without pipelining games).
        while True:
            method, url, headers, body, answer = await self.queue.get()
            status, rh, rb = answer or await self._dispatch(method, url, headers, body)
            self._write(status, rh, rb)

    async def _dispatch(
        self, method: bytes, url: bytes, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        path = url.split(b"?", 1)[0]
        if not path.startswith(PREFIX):
            return _json(404, {"errorMessage": "not found", "errorType": "NotFound"})
        parts = path[len(PREFIX) :].decode("latin-1").strip("/").split("/")
        h = self.handler
        if parts == ["invocation", "next"]:
            if method != b"GET":
                return _json(405, {"errorMessage": "method not allowed", "errorType": "Invalid"})
            nxt = await h.next_invocation()
            return 200, dict(nxt.headers), nxt.payload
        if method != b"POST":
            return _json(405, {"errorMessage": "method not allowed", "errorType": "Invalid"})
        if len(body) > MAX_RESPONSE_BYTES:
            return _json(
                413, {"errorMessage": "Payload Too Large", "errorType": "RequestEntityTooLarge"}
            )
        etype = headers.get("lambda-runtime-function-error-type")
        if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            if parts[2] == "response":
                status = h.post_response(parts[1], body)
            else:
                status = h.post_error(parts[1], body, etype)
        elif parts == ["init", "error"]:
            status = h.post_init_error(body, etype)
        else:
            return _json(404, {"errorMessage": "not found", "errorType": "NotFound"})
        if status == 202:
            return _json(202, {"status": "OK"})
        return _state_error(status)

    def _write(self, status: int, headers: dict[str, str], body: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        head = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"OK"))]
        for k, v in headers.items():
            head.append(f"{k}: {v}\r\n".encode("latin-1"))
        head.append(b"Content-Length: %d\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)


def _state_error(status: int) -> tuple[int, dict[str, str], bytes]:
    if status == 400:
        return _json(400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
    return _json(
        status,
        {"errorMessage": "State transition is not allowed", "errorType": "InvalidStateTransition"},
    )


def _hex_addr(addr: tuple[str, int]) -> str:
    ip = socket.inet_aton(addr[0])
    return f"{int.from_bytes(ip, 'little'):08X}:{addr[1]:04X}"


def peer_uid(peer: tuple[str, int], local: tuple[str, int]) -> int | None:
    """The uid owning the client end of a loopback TCP connection, from /proc/net/tcp."""
    want_local, want_remote = _hex_addr(peer), _hex_addr(local)
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[1] == want_local and fields[2] == want_remote:
                    return int(fields[7])
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return None


async def serve_runtime_api(handler: RuntimeApiHandler) -> tuple[asyncio.AbstractServer, str]:
    """Start a listener for one instance; returns (server, "127.0.0.1:port")."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(handler), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"127.0.0.1:{port}"


AsyncFactory = Callable[[], Awaitable[NextInvocation]]
