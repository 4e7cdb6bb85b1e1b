"""Invocation use cases: Invoke (RequestResponse, Event, DryRun) and InvokeAsync.

Contract: the payload checks AWS makes (size by invocation type, then JSON), then the version
the qualifier means (404 if none, 409 unless Active), then either the event is accepted
durably (Event, InvokeAsync: on return it is on disk) or the function runs and its result is
returned. The caller's trace header carries the recursion depth (Lineage) on to the function.
"""

from __future__ import annotations

import base64
import binascii
import json

from ovis.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
)
from ovis.invoke.async_queue import AsyncQueue, lineage_hops
from ovis.invoke.invoker import Invoker, InvokeResult
from ovis.models.function import LATEST
from ovis.sandbox.instance import Invocation
from ovis.services.lambda_.commands import Invoke, InvokeAsync
from ovis.services.lambda_.functions import FunctionService

MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 256 * 1024
MAX_CLIENT_CONTEXT = 3583


class Invocations:
    def __init__(self, functions: FunctionService, invoker: Invoker, queue: AsyncQueue) -> None:
        self.functions = functions
        self.invoker = invoker
        self.qualifiers = invoker.qualifiers
        self.queue = queue

    async def invoke(self, cmd: Invoke) -> InvokeResult | None:
        """The function's result; None when accepted without running (Event, DryRun)."""
        name, q = self.functions.ref(cmd.function_name, cmd.qualifier)
        itype = cmd.invocation_type
        payload = cmd.payload
        limit = MAX_ASYNC_PAYLOAD if itype == "Event" else MAX_SYNC_PAYLOAD
        check_payload(payload, limit, "InvokeFunction")
        cfg = self.qualifiers.for_invoke(name, q)
        if itype == "DryRun":
            return None
        rid = cmd.request_id
        hops = lineage_hops(cmd.trace_header)
        if itype == "Event":
            await self.queue.submit(name, q or LATEST, payload, rid, hops)
            return None
        inv = Invocation(
            rid,
            payload,
            self.functions.arn(name, q),
            client_context(cmd.client_context),
            trace_id=trace_id(rid, hops),
        )
        return await self.invoker.invoke(cfg, inv, tail=cmd.tail, target=(name, q) if q else None)

    async def invoke_async(self, cmd: InvokeAsync) -> None:
        """Accept the event durably (InvokeAsync takes no qualifier beyond the name's own)."""
        name, q = self.functions.ref(cmd.function_name)
        if len(cmd.payload) > MAX_ASYNC_PAYLOAD:
            raise RequestTooLargeException(
                f"Request must be smaller than {MAX_ASYNC_PAYLOAD} bytes for the "
                "InvokeAsync operation"
            )
        self.qualifiers.for_invoke(name, q)  # 404 or 409 before accepting the event
        hops = lineage_hops(cmd.trace_header)
        await self.queue.submit(name, q or LATEST, cmd.payload, cmd.request_id, hops)


def check_payload(payload: bytes, limit: int, operation: str) -> None:
    """AWS's checks on an invocation payload: size, then that it is JSON."""
    if len(payload) > limit:
        raise RequestTooLargeException(
            f"Request must be smaller than {limit} bytes for the {operation} operation"
        )
    if payload:
        try:
            json.loads(payload)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: Could not parse payload into json: {e}"
            ) from None


def client_context(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > MAX_CLIENT_CONTEXT:
        raise InvalidParameterValueException(
            f"Client context must be at most {MAX_CLIENT_CONTEXT} bytes, base64-encoded."
        )
    try:
        text = base64.b64decode(value, validate=True).decode()
        json.loads(text)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidRequestContentException(
            "Client context must be a valid Base64-encoded JSON object."
        ) from None
    return text


def trace_id(rid: str, hops: int = 0) -> str:
    hexid = rid.replace("-", "")
    root = f"Root=1-{hexid[:8]}-{hexid[8:32]};Parent={hexid[:16]};Sampled=0"
    return f"{root};Lineage=ovis:{hops}" if hops else root
