"""What the front door hands every operation handler, and what a service package exposes.

Contract: the front door authenticates and parses a request, builds one ``RequestContext`` and
calls ``service.operations[name](ctx, params)`` with the operation's input validated against
the botocore model. A handler returns the output members as a dict (the front door serializes
them in the service's protocol) and raises ``ovis.errors.ApiError`` subclasses for AWS errors.
A result may carry a ``StreamingResult`` under the output's event-stream member (Lambda's
InvokeWithResponseStream): the front door then sends it as it is produced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class RequestContext:
    """Who asked, and which request this is. Immutable; one per request."""

    request_id: str
    service: str  # botocore service name: "lambda", "sqs", "logs", ...
    operation: str  # botocore operation name: "CreateFunction"
    region: str  # the region the request was signed for (the server's region when unsigned)
    account_id: str  # the caller's account
    access_key: str = ""  # the access key id that signed the request ("" when unsigned)
    principal_arn: str = ""  # arn:aws:iam::<account>:root for the server's own keys
    trace_header: str | None = None  # X-Amzn-Trace-Id as the caller sent it (recursion Lineage)
    user_agent: str = ""


Handler = Callable[[RequestContext, dict[str, Any]], Awaitable[dict[str, Any]]]


class AwsService(Protocol):
    """A service package's face to the front door: its botocore name and operation table."""

    name: str  # botocore service name; also picks the protocol codec from the model

    @property
    def operations(self) -> Mapping[str, Handler]: ...


class StreamingResult(Protocol):
    """A response produced while the operation runs (sent as it is produced)."""

    status: int
    headers: dict[str, str]

    async def send(
        self,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        status: int,
        headers: dict[str, str],
    ) -> None: ...
