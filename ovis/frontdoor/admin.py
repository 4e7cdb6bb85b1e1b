"""Operator endpoints (SigV4-signed like the Lambda API) for what AWS has no API for:
the async outcome records and the undeliverable ledger.

  GET  /_ovis/admin/async/results[?function=NAME]
  GET  /_ovis/admin/async/ledger
  POST /_ovis/admin/async/ledger/redrive   {"EntryIds": [...]} (omitted: all entries)
  GET  /_ovis/admin/async/pending          number of queued async events
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qs

from ovis.errors import ApiError, InvalidRequestContentException, UnknownOperationException
from ovis.invoke.async_queue import AsyncQueue


class AdminApi:
    def __init__(self, queue: AsyncQueue) -> None:
        self.queue = queue
        self.store = queue.store

    async def handle(
        self, method: str, path: str, query: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            out = await self._route(method, path.removeprefix("/_ovis/admin"), query, body)
        except ApiError as e:
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": e.code}
            return e.status, headers, json.dumps(e.body()).encode()
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
        raise UnknownOperationException(f"Unknown admin operation {method} {path}")
