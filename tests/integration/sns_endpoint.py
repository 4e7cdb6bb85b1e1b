"""A small http endpoint for SNS tests: records every POST, answers a chosen status, and
(optionally) confirms subscriptions by GETting their SubscribeURL, as a real subscriber does."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Endpoint:
    url: str
    status: int = 200
    auto_confirm: bool = True
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def notifications(self) -> list[Received]:
        with self.lock:
            return [
                r
                for r in self.received
                if r.headers.get("x-amz-sns-message-type") == "Notification"
            ]

    def wait(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.notifications()
            if len(got) >= count:
                return got
            time.sleep(0.02)
        return self.notifications()


@contextmanager
def http_endpoint(status: int = 200, auto_confirm: bool = True) -> Iterator[Endpoint]:
    ep = Endpoint("", status, auto_confirm)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with ep.lock:
                ep.received.append(Received(self.path, headers, body))
            kind = headers.get("x-amz-sns-message-type")
            if kind == "SubscriptionConfirmation" and ep.auto_confirm:
                url = json.loads(body)["SubscribeURL"]
                with urllib.request.urlopen(url, timeout=10) as r:
                    assert r.status == 200
                status = 200
            else:
                status = ep.status
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ep.url = f"http://127.0.0.1:{server.server_address[1]}/sns"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ep
    finally:
        server.shutdown()
        server.server_close()
