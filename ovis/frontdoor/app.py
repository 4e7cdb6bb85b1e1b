"""The ASGI application: the router picks the service, the service answers.

Every service renders its own errors in its clients' format. This layer is the last line: if a
service raises before it started a response, the client gets AWS's JSON ServiceException (never
a bare 500 page); a request no service claims gets a JSON 404.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid

from ovis.errors import ServiceException
from ovis.frontdoor.http import Receive, Scope, Send, respond
from ovis.frontdoor.router import Router

log = logging.getLogger(__name__)


class App:
    def __init__(self, router: Router) -> None:
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        routed = self.router.route(scope)
        if routed is None:
            body = b'{"message":"not found"}'
            await respond(send, 404, {"Content-Type": "application/json"}, body)
            return
        service, token = routed
        try:
            await service.serve(scope, receive, send, token)
        except Exception:
            log.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            e = ServiceException("An internal error occurred.")
            headers = {
                "Content-Type": "application/json",
                "x-amzn-ErrorType": e.code,
                "x-amzn-RequestId": str(uuid.uuid4()),
            }
            # Fails (and is dropped) if the service had already started its response.
            with contextlib.suppress(Exception):
                await respond(send, e.status, headers, json.dumps(e.body()).encode())
