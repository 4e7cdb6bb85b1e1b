"""Baseline: a bare asyncio (+uvloop) HTTP/1.1 server that runs nothing.

Every request, whatever its method and path, gets the same small 200 JSON response on a
keep-alive connection with TCP_NODELAY. The harness against this is the reference round trip:
the floor that any Lambda-speaking server on this machine adds its own work on top of.

  python bench/bare_server.py --port 9000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
from typing import Any

BODY = b'{"ok":true}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
    b"Connection: keep-alive\r\n"
    b"\r\n" + BODY
)
MAX_BUFFER = 1 << 20


def _content_length(head: bytes) -> int:
    lower = head.lower()
    idx = lower.find(b"\r\ncontent-length:")
    if idx < 0:
        return 0
    end = lower.find(b"\r\n", idx + 2)
    return int(lower[idx + 17 : end if end >= 0 else None])


class BareHTTP(asyncio.Protocol):
    """Frames requests by header end + Content-Length; answers each with RESPONSE."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: Any = None  # asyncio.Transport or uvloop's TCPTransport

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        replies = 0
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            total = end + 4 + _content_length(self.buffer[: end + 2])
            if len(self.buffer) < total:
                break
            self.buffer = self.buffer[total:]
            replies += 1
        if replies:
            self.transport.write(RESPONSE * replies)
        if len(self.buffer) > MAX_BUFFER:
            self.transport.close()


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(BareHTTP, host, port, reuse_address=True, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="bare asyncio HTTP/1.1 baseline server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--no-uvloop", action="store_true")
    parser.add_argument("--cpu", type=int, help="pin the server to this CPU")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    if not args.no_uvloop:
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
    print(f"bare server on http://{args.host}:{args.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
