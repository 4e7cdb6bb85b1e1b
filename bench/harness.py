"""A cheap HTTP/1.1 load client for Lambda Invoke (or any POST) requests.

The request is SigV4-signed once with botocore and serialized to raw bytes; every send reuses
those bytes (the signature stays valid for the server's 5 minute skew window; it is refreshed
after 60 s anyway). Responses are parsed minimally: status line, Content-Length (or chunked).

Modes:
  latency     one keep-alive connection, sequential, K timed requests after W warm-up ones
  throughput  C keep-alive connections for T seconds (after a short warm-up) -> req/s, p50/p99

Examples:
  python bench/harness.py --url http://127.0.0.1:8910 --function bench latency
  python bench/harness.py --url http://127.0.0.1:9000 --path / throughput -c 16 -t 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from common import ACCESS_KEY, REGION, SECRET_KEY, fmt, summarize_ms, write_results

RESIGN_AFTER_S = 60.0
MAX_REQUESTS_PER_CONN = 5_000_000  # hard cap so even a broken clock cannot loop forever


def invoke_path(function_name: str) -> str:
    return f"/2015-03-31/functions/{function_name}/invocations"


def install_uvloop() -> str:
    """Use uvloop's event loop policy when it is importable; return the loop name."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


# --------------------------------------------------------------------------- request bytes


def sign_raw_request(
    url: str, path: str, body: bytes = b"{}", extra_headers: dict[str, str] | None = None
) -> bytes:
    """Return a complete HTTP/1.1 POST request, SigV4-signed for service 'lambda'."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = {"Content-Type": "application/json", **(extra_headers or {})}
    request = AWSRequest(method="POST", url=url.rstrip("/") + path, data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "lambda", REGION).add_auth(request)
    netloc = urlsplit(url).netloc
    lines = [f"POST {path} HTTP/1.1", f"Host: {netloc}"]
    lines += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "host"]
    lines += [f"Content-Length: {len(body)}", "Connection: keep-alive"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Target:
    """Where to send, and the pre-signed bytes to send (re-signed after RESIGN_AFTER_S)."""

    url: str
    path: str
    body: bytes = b"{}"
    extra_headers: dict[str, str] = field(default_factory=dict)
    _raw: bytes = b""
    _signed_at: float = -1e9

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80

    def raw(self) -> bytes:
        now = time.monotonic()
        if now - self._signed_at > RESIGN_AFTER_S:
            self._raw = sign_raw_request(self.url, self.path, self.body, self.extra_headers)
            self._signed_at = now
        return self._raw


# --------------------------------------------------------------------------- connection


@dataclass
class Response:
    status: int
    head: bytes  # status line + headers, undecoded
    body: bytes

    def header(self, name: str) -> str | None:
        needle = name.lower().encode() + b":"
        for line in self.head.split(b"\r\n")[1:]:
            if line.lower().startswith(needle):
                return line[len(needle) :].strip().decode("latin-1")
        return None


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams.

    A server may end keep-alive (e.g. hypercorn after 1000 requests): after a response with
    `Connection: close`, reopen_if_closing() dials again, outside any timed section.
    """

    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.closing = False
        self.reconnects = 0

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        conn = cls(host, port)
        await conn._dial()
        return conn

    async def _dial(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, limit=1 << 20
        )
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.closing = False

    async def reopen_if_closing(self) -> None:
        if self.closing:
            await self.close()
            await self._dial()
            self.reconnects += 1

    async def request(self, raw: bytes) -> Response:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked = _body_framing(head)
        if chunked:
            body = await self._read_chunked()
        else:
            body = await self.reader.readexactly(length) if length else b""
        self.closing = b"\r\nconnection: close" in head.lower()
        return Response(status, head, body)

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        for _ in range(1_000_000):
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await self.reader.readexactly(size + 2)
            if size == 0:
                return b"".join(parts)
            parts.append(data[:-2])
        raise RuntimeError("too many chunks")

    async def close(self) -> None:
        if self.writer is None:
            return
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


def _body_framing(head: bytes) -> tuple[int, bool]:
    """(content-length, is_chunked) from a raw header block; cheap case-insensitive scan."""
    lower = head.lower()
    idx = lower.find(b"\r\ncontent-length:")
    if idx >= 0:
        end = lower.index(b"\r\n", idx + 2)
        return int(lower[idx + 17 : end]), False
    return 0, b"transfer-encoding: chunked" in lower


# --------------------------------------------------------------------------- modes


async def run_latency(target: Target, requests: int = 1000, warmup: int = 100) -> dict:
    """Sequential requests over one connection; returns summary stats in ms."""
    conn = await Connection.open(target.host, target.port)
    errors = 0
    samples: list[float] = []
    try:
        for _ in range(warmup):
            await conn.request(target.raw())
            await conn.reopen_if_closing()
        for _ in range(requests):
            raw = target.raw()
            t0 = time.perf_counter_ns()
            resp = await conn.request(raw)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
            errors += resp.status >= 300
            await conn.reopen_if_closing()
    finally:
        await conn.close()
    stats = summarize_ms(samples)
    return {"mode": "latency", "errors": errors, "reconnects": conn.reconnects, **stats}


async def _load_worker(
    target: Target, deadline: float, samples: list[float] | None, counts: list[int]
) -> None:
    """Send requests back to back until the deadline; count (ok, error, reconnects)."""
    conn = await Connection.open(target.host, target.port)
    try:
        for _ in range(MAX_REQUESTS_PER_CONN):
            raw = target.raw()
            t0 = time.perf_counter_ns()
            if t0 >= deadline:
                break
            resp = await conn.request(raw)
            if samples is not None:
                samples.append((time.perf_counter_ns() - t0) / 1e6)
            counts[resp.status >= 300] += 1
            await conn.reopen_if_closing()
    finally:
        counts[2] += conn.reconnects
        await conn.close()


async def _load_phase(target: Target, concurrency: int, duration: float, record: bool) -> dict:
    samples: list[float] = []
    counts = [0, 0, 0]
    start = time.perf_counter_ns()
    deadline = start + int(duration * 1e9)
    workers = [
        _load_worker(target, deadline, samples if record else None, counts)
        for _ in range(concurrency)
    ]
    await asyncio.wait_for(asyncio.gather(*workers), timeout=duration + 120)
    elapsed = (time.perf_counter_ns() - start) / 1e9
    return {
        "samples": samples,
        "ok": counts[0],
        "errors": counts[1],
        "reconnects": counts[2],
        "elapsed_s": elapsed,
    }


async def run_throughput(
    target: Target, concurrency: int = 16, duration: float = 5.0, warmup_s: float = 1.0
) -> dict:
    """C connections for `duration` seconds after `warmup_s` seconds of the same load."""
    target.raw()  # sign before the clock starts
    if warmup_s > 0:
        await _load_phase(target, concurrency, warmup_s, record=False)
    phase = await _load_phase(target, concurrency, duration, record=True)
    total = phase["ok"] + phase["errors"]
    return {
        "mode": "throughput",
        "concurrency": concurrency,
        "duration_s": phase["elapsed_s"],
        "requests": total,
        "errors": phase["errors"],
        "reconnects": phase["reconnects"],
        "rps": total / phase["elapsed_s"] if phase["elapsed_s"] > 0 else 0.0,
        **summarize_ms(phase["samples"]),
    }


async def single_request(target: Target) -> tuple[float, Response]:
    """One request on a fresh connection (connect not timed); returns (ms, response)."""
    conn = await Connection.open(target.host, target.port)
    try:
        raw = target.raw()
        t0 = time.perf_counter_ns()
        resp = await conn.request(raw)
        return (time.perf_counter_ns() - t0) / 1e6, resp
    finally:
        await conn.close()


def describe(result: dict) -> str:
    line = f"p50 {fmt(result['p50_ms'], 3)} ms  p99 {fmt(result['p99_ms'], 3)} ms"
    line += f"  mean {fmt(result['mean_ms'], 3)} ms  n={result['n']}  errors={result['errors']}"
    if result["mode"] == "throughput":
        line = f"{fmt(result['rps'], 0)} req/s (c={result['concurrency']})  " + line
    return line


# --------------------------------------------------------------------------- CLI


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8910")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--function", default="bench", help="Invoke this Lambda function")
    group.add_argument("--path", help="POST to this raw path instead")
    parser.add_argument("--json", action="store_true", help="also write bench/results/*.json")
    sub = parser.add_subparsers(dest="mode", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("-n", "--requests", type=int, default=1000)
    lat.add_argument("-w", "--warmup", type=int, default=100)
    thr = sub.add_parser("throughput")
    thr.add_argument("-c", "--concurrency", type=int, default=16)
    thr.add_argument("-t", "--duration", type=float, default=5.0)
    thr.add_argument("--warmup-s", type=float, default=1.0)
    args = parser.parse_args()

    loop_name = install_uvloop()
    target = Target(args.url, args.path or invoke_path(args.function))
    if args.mode == "latency":
        result = asyncio.run(run_latency(target, args.requests, args.warmup))
    else:
        result = asyncio.run(run_throughput(target, args.concurrency, args.duration, args.warmup_s))
    result["client_loop"] = loop_name
    print(f"{args.mode} {target.url}{target.path} [{loop_name}]: {describe(result)}")
    if args.json:
        print(json.dumps(result))
        write_results(f"harness-{args.mode}", {"target": target.url + target.path, **result})


if __name__ == "__main__":
    main()
