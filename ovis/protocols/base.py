"""The codec interface: one HTTP request in, one operation's input out; output and errors back.

Contract for every codec (one instance per botocore service and protocol; immutable and safe
to share between requests):
- ``operation(req)`` names the operation a request calls, or raises the protocol's own
  "unknown operation" error (an ``ApiError`` that ``error()`` renders in that protocol).
- ``parse(operation, req)`` returns the input members, decoded to Python values (blobs as
  bytes, timestamps as given by the wire, structures as dicts) and validated against the input
  shape with AWS's wording; bad input raises ``ApiError`` subclasses (4xx), never anything else.
- ``serialize(operation, output, request_id)`` renders the output members; members that are
  None or not in the output shape are left out.
- ``error(err, request_id)`` renders any ``ApiError`` in the protocol's error format, so that
  botocore raises the modeled exception class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ovis.errors import ApiError


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # raw (percent-encoded) path
    query: str  # raw query string
    headers: Mapping[str, str]  # lower-cased names
    body: bytes


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Codec(Protocol):
    service: str  # botocore service name
    protocol: str  # "rest-json" | "json" | "query" | "rest-xml"

    def operation(self, req: HttpRequest) -> str: ...

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]: ...

    def check(self, operation: str, params: dict[str, Any]) -> None:
        """Validates already-parsed ``params`` of ``operation`` as ``parse`` does (same error,
        same wording): for callers in process (ovis/services/calls.py)."""
        ...

    def serialize(
        self, operation: str, output: dict[str, Any], request_id: str
    ) -> HttpResponse: ...

    def error(self, err: ApiError, request_id: str) -> HttpResponse: ...
