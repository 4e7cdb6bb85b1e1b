"""The console's JSON API in parts: each part (functions, generic calls, saved events, logs...)
answers the requests it knows and leaves the rest to the next.

Contract for a part: ``await part.route(req)`` returns the JSON answer (a dict, sent with 200),
or ``None`` when the request is not one of its own; it raises ``ConsoleError`` (or the service's
``ApiError``) for a bad request, with the status and code the page shows. By the time a part sees
a request, the session is live and a POST's CSRF token has been checked (service.py), and
``req.caller`` is the signed-in key's principal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from ovis.services.calls import Caller


class ConsoleError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class ConsoleRequest:
    caller: Caller
    method: str  # GET or POST
    parts: list[str]  # the path after /console/api/, split at "/" and unquoted
    query: dict[str, str]  # the last value of each query parameter
    body: bytes

    def doc(self) -> dict[str, Any]:
        """The body as a JSON object (an empty body is ``{}``); else a 400."""
        return json_doc(self.body)


class ConsolePart(Protocol):
    async def route(self, req: ConsoleRequest) -> dict[str, Any] | None: ...


def json_doc(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise ConsoleError(400, "ValidationException", "The request body must be a JSON object.")
    return doc


def as_int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConsoleError(400, "ValidationException", f"{name} must be an integer.") from None
