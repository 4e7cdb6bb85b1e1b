"""ASGI plumbing every front-door service shares: the bounded body read, a request body read
as a stream (``RequestStream``, for services that ask for one), a plain response and a
streamed one (``respond_stream``)."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any

from ovis.errors import RequestEntityTooLargeException

# AWS's front door refuses bodies past ~70 MB (a 50 MB zip, base64-encoded, plus JSON).
MAX_BODY_BYTES = 70_167_211

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def read_body(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole request body; RequestEntityTooLargeException once it passes ``limit``."""
    msg = await receive()
    body: bytes = msg.get("body", b"")
    if not msg.get("more_body"):
        return body
    chunks = [body]
    size = len(body)
    while True:
        msg = await receive()
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLargeException(
                f"Request must be smaller than {limit} bytes for the operation"
            )
        chunks.append(chunk)
        if not msg.get("more_body"):
            return b"".join(chunks)


class RequestStream:
    """A request body handed to a service unread: ``read()`` answers the next piece as it
    arrives (b"" at the end). Not restartable; one reader. ``signed`` is whatever the caller
    attached to judge the bytes with (the SigV4 ``SignedPayload``); ``headers`` are the
    request's (lower-cased names), for the framing headers no model member carries
    (x-amz-decoded-content-length, x-amz-trailer)."""

    __slots__ = ("_done", "_receive", "headers", "signed")

    def __init__(
        self, receive: Receive, signed: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        self._receive = receive
        self._done = False
        self.signed = signed
        self.headers = headers or {}

    @property
    def done(self) -> bool:
        """Whether the whole body was read (if not, the connection must not be reused)."""
        return self._done

    async def read(self) -> bytes:
        while not self._done:
            msg = await self._receive()
            if msg.get("type") == "http.disconnect":
                raise ConnectionError("the client went away before the body ended")
            self._done = not msg.get("more_body")
            chunk: bytes = msg.get("body", b"")
            if chunk:
                return chunk
        return b""


async def respond(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    """Send a complete response (with its Content-Length, unless the headers give one: a HEAD
    response states the length of the body it does not send)."""
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if not any(k.lower() == "content-length" for k in headers):
        raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def respond_stream(
    send: Send, status: int, headers: dict[str, str], body: AsyncIterable[bytes]
) -> None:
    """Send a response whose body is produced piece by piece (headers must give its length).
    The body's iterator is closed however the send ends (a client gone mid-body included)."""
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    pieces = body.__aiter__()
    try:
        async for chunk in pieces:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        aclose = getattr(pieces, "aclose", None)
        if aclose is not None:
            await aclose()
