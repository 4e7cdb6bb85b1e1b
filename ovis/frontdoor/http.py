"""ASGI plumbing every front-door service shares: the bounded body read and a plain response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


async def respond(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    """Send a complete response (with its Content-Length)."""
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
