"""Operator endpoints (SigV4-signed like the Lambda API) for what AWS has no API for:
the async outcome records and the undeliverable ledger.

  GET  /_ovis/admin/async/results[?function=NAME]
  GET  /_ovis/admin/async/ledger
  POST /_ovis/admin/async/ledger/redrive   {"EntryIds": [...]} (omitted: all entries)
  GET  /_ovis/admin/async/pending          number of queued async events

The inner loop (``services/lambda_/dev_loop.py``), only from a loopback client (the server reads
a path of its own machine):
  GET    /_ovis/admin/dev/mounts             the functions mounted or debugged
  PUT    /_ovis/admin/dev/mounts/NAME        {"Path": "/abs/dir", "LeaseSeconds": S (optional)}:
                                             $LATEST runs that directory (until the lease ends)
  POST   /_ovis/admin/dev/mounts/NAME/renew  extends the lease
  DELETE /_ovis/admin/dev/mounts/NAME        back to the deployed code
  PUT    /_ovis/admin/dev/debug/NAME         {"Port": N} (optional): next instances wait for a
                                             debugger; answers {"Port": N}
  DELETE /_ovis/admin/dev/debug/NAME
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs

from ovis.auth.sigv4 import SigV4Verifier
from ovis.errors import ApiError, InvalidRequestContentException, UnknownOperationException
from ovis.frontdoor.http import MAX_BODY_BYTES, Receive, Scope, Send, read_body, respond
from ovis.invoke.async_queue import AsyncQueue
from ovis.services.lambda_.dev_loop import AccessDeniedException, DevLoop

PREFIX = "/_ovis/admin/"
DEV_PREFIX = "/_ovis/admin/dev/"
LOOPBACK = ("127.", "::1", "::ffff:127.")


class AdminAccessDenied(ApiError):
    code, status = "AccessDeniedException", 403


class AdminService:
    """A router service for ``/_ovis/admin/``: SigV4 first (the server's own credentials),
    then ``AdminApi``; every error is Lambda-style JSON. ``is_admin`` (None: every verified
    key) says which keys are admin credentials: never a role session (403 otherwise)."""

    name = "admin"

    def __init__(
        self, api: AdminApi, verifier: SigV4Verifier, is_admin: Callable[[str], bool] | None = None
    ) -> None:
        self.api = api
        self.verifier = verifier
        self.is_admin = is_admin

    def match(self, scope: Scope) -> bool | None:
        path: str = scope["path"]
        return True if path.startswith(PREFIX) else None

    async def serve(self, scope: Scope, receive: Receive, send: Send, token: Any) -> None:
        rid = str(uuid.uuid4())
        path: str = scope["path"]
        try:
            body = await read_body(receive, MAX_BODY_BYTES)
            raw = scope.get("raw_path") or path.encode()
            ident = self.verifier.verify(
                scope["method"], raw, scope["query_string"], scope["headers"], body
            )
            if self.is_admin is not None and not self.is_admin(ident.access_key):
                raise AdminAccessDenied("The admin endpoints accept only admin credentials.")
            client = (scope.get("client") or ("",))[0] or ""
            if path.startswith(DEV_PREFIX) and not client.startswith(LOOPBACK):
                raise AccessDeniedException("Dev mounts and debuggers need a loopback client")
            status, headers, out = await self.api.handle(
                scope["method"], path, scope["query_string"].decode("latin-1"), body
            )
        except ApiError as e:
            status, headers, out = _error(e)
        headers.setdefault("x-amzn-RequestId", rid)
        await respond(send, status, headers, out)


def _error(e: ApiError) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": e.code, **e.headers}
    return e.status, headers, json.dumps(e.body()).encode()


class AdminApi:
    def __init__(self, queue: AsyncQueue, dev: DevLoop | None = None) -> None:
        self.queue = queue
        self.store = queue.store
        self.dev = dev

    async def handle(
        self, method: str, path: str, query: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            out = await self._route(method, path.removeprefix("/_ovis/admin"), query, body)
        except ApiError as e:
            return _error(e)
        return 200, {"Content-Type": "application/json"}, json.dumps(out).encode()

    async def _route(self, method: str, path: str, query: str, body: bytes) -> Any:
        q = {k: v[-1] for k, v in parse_qs(query).items()}
        if method == "GET" and path == "/async/results":
            results = await asyncio.to_thread(self.store.async_results, q.get("function"))
            return {"Results": [asdict(r) for r in results]}
        if method == "GET" and path == "/async/ledger":
            entries = await asyncio.to_thread(self.store.ledger)
            return {"Entries": [asdict(e) for e in entries]}
        if method == "GET" and path == "/async/pending":
            return {"Pending": await asyncio.to_thread(self.store.pending_async)}
        if method == "POST" and path == "/async/ledger/redrive":
            try:
                doc = json.loads(body or b"{}")
                ids = doc.get("EntryIds")
            except (ValueError, AttributeError):
                raise InvalidRequestContentException("Body must be a JSON object.") from None
            delivered = await self.queue.redrive(set(ids) if ids is not None else None)
            return {"Delivered": delivered}
        if path.startswith("/dev/") and self.dev is not None:
            return self._dev(method, path.removeprefix("/dev/"), body)
        raise UnknownOperationException(f"Unknown admin operation {method} {path}")

    def _dev(self, method: str, path: str, body: bytes) -> Any:
        assert self.dev is not None
        kind, _, name = path.partition("/")
        if method == "GET" and path == "mounts":
            return self.dev.describe()
        doc = _json_object(body) if method == "PUT" else {}
        if kind == "mounts" and name.endswith("/renew") and method == "POST":
            return self.dev.renew(name.removesuffix("/renew"))
        if kind == "mounts" and name and method == "PUT":
            return self.dev.mount(name, doc.get("Path"), doc.get("LeaseSeconds"))
        if kind == "mounts" and name and method == "DELETE":
            return self.dev.unmount(name)
        if kind == "debug" and name and method == "PUT":
            port = doc.get("Port")
            if port is not None and (not isinstance(port, int) or isinstance(port, bool)):
                raise InvalidRequestContentException("Port must be an integer.")
            return self.dev.debug(name, port)
        if kind == "debug" and name and method == "DELETE":
            return self.dev.undebug(name)
        raise UnknownOperationException(f"Unknown admin operation {method} /dev/{path}")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise InvalidRequestContentException("Body must be a JSON object.")
    return doc
