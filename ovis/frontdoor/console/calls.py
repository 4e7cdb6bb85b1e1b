"""Any service operation from the console page: ``POST /console/api/call/SERVICE/OPERATION``.

The page sends the operation's input as the AWS JSON protocols write it (botocore member names;
blobs in base64; timestamps as epoch seconds) and gets the output written the same way. The
call goes through ``ServiceCalls``: the service's own operation table, its codec's ``check()``
and its typed commands, as the signed-in key's principal. So a change made in the console is
made exactly as boto3 would make it, with the same validation and the same error (status, code,
message), and is visible to boto3 at once.

Contract: an unknown service or operation is a 404 ``UnknownOperation``; a JSON value of the
wrong type for its member is a 400 ``ValidationException`` naming the member; service errors
pass through as the service raised them. Nothing here adds a privilege: the page can do exactly
what the signed-in key can do over the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from ovis.errors import ApiError
from ovis.frontdoor.console.routes import ConsoleRequest
from ovis.protocols.jsondoc import Decode, Decoders, Encode, Encoders, JsonErrors
from ovis.protocols.model import service_model
from ovis.services.calls import Caller, ServiceCalls


class ConsoleValidation(ApiError):
    status = 400
    code = "ValidationException"


class UnknownConsoleOperation(ApiError):
    status = 404
    code = "UnknownOperation"


@dataclass(frozen=True)
class _Shapes:
    decode: Decode | None
    encode: Encode | None


@cache
def _compilers(service: str) -> tuple[Decoders, Encoders]:
    """One decoder and encoder cache per service: their caches key shapes by name, and two
    services' shapes may share a name (Lambda's and another's ``Environment``). Keyed by
    botocore member names (as boto3's parameters are), never by locationName."""
    return (
        Decoders(JsonErrors(ConsoleValidation), wire_names=False),
        Encoders("unixTimestamp", wire_names=False),
    )


@cache
def _shapes(service: str, operation: str) -> _Shapes | None:
    model = service_model(service)
    if operation not in model.operation_names:
        return None
    op = model.operation_model(operation)
    ins, outs = op.input_shape, op.output_shape
    decoders, encoders = _compilers(service)
    return _Shapes(
        decoders.members(ins.members) if ins is not None else None,
        encoders.members(outs.members) if outs is not None else None,
    )


class ConsoleCalls:
    """Runs one operation of one of ``services`` (botocore names) for the page."""

    def __init__(self, calls: ServiceCalls, services: Iterable[str]) -> None:
        self.calls = calls
        self.services = frozenset(services)

    async def route(self, req: ConsoleRequest) -> dict[str, Any] | None:
        if req.parts[0] != "call" or len(req.parts) != 3 or req.method != "POST":
            return None
        return await self(req.caller, req.parts[1], req.parts[2], req.doc())

    async def __call__(
        self, caller: Caller, service: str, operation: str, doc: dict[str, Any]
    ) -> dict[str, Any]:
        shapes = _shapes(service, operation) if service in self.services else None
        if shapes is None:
            raise UnknownConsoleOperation(f"No operation {operation} of service {service}.")
        params = shapes.decode(doc, "") if shapes.decode is not None else {}
        out = await self.calls(service, operation, params, caller)
        return shapes.encode(out) if shapes.encode is not None else {}
