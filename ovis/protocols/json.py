"""The JSON 1.0 / 1.1 protocol (Logs, Kinesis, DynamoDB, SQS): ``POST /`` with
``X-Amz-Target: <targetPrefix>.<Operation>`` and a JSON object body; output and errors are JSON.

Errors are ``{"__type": code, "message": ...}``. For ``awsQueryCompatible`` services (SQS) the
``x-amzn-query-error: <query code>;Sender|Receiver`` header carries the legacy query code, from
which botocore takes ``Error.Code`` (``AWS.SimpleQueueService.NonExistentQueue``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ovis.errors import (
    ApiError,
    SerializationException,
    UnknownTargetException,
)
from ovis.protocols.base import HttpRequest, HttpResponse
from ovis.protocols.faults import json_type, query_code, query_fault
from ovis.protocols.jsondoc import Decode, Decoders, Encode, Encoders, JsonErrors
from ovis.protocols.model import operations, service_model
from ovis.protocols.validate import Validator


@dataclass(frozen=True)
class _Operation:
    decode: Decode | None
    validate: Validator | None
    encode: Encode | None


class JsonCodec:
    """Codec of one JSON-protocol service, e.g. ``JsonCodec("dynamodb")``. Immutable.

    ``validate=False`` leaves constraint checks (required members, lengths...) to the service,
    for services whose own wording differs (SQS's MissingParameter); JSON types are always
    checked. ``unknown_action(name)`` is the error for a target naming no operation (default:
    UnknownOperationException), for services that word it their own way (SQS)."""

    protocol = "json"

    def __init__(
        self,
        service: str,
        *,
        validate: bool = True,
        unknown_action: Callable[[str], ApiError] | None = None,
    ) -> None:
        self.service = service
        self._unknown_action = unknown_action
        self.model = service_model(service)
        meta = self.model.metadata
        self._prefix = meta.get("targetPrefix", "") + "."
        self._content_type = f"application/x-amz-json-{meta.get('jsonVersion', '1.0')}"
        self._query_compatible = "awsQueryCompatible" in meta
        decoders = Decoders(JsonErrors(SerializationException))
        encoders = Encoders("unixTimestamp")
        self._ops: dict[str, _Operation] = {}
        for op in operations(self.model):
            ins, outs = op.input_shape, op.output_shape
            self._ops[op.name] = _Operation(
                decoders.members(ins.members) if ins is not None else None,
                Validator(ins) if ins is not None and validate else None,
                encoders.members(outs.members) if outs is not None else None,
            )

    def operation(self, req: HttpRequest) -> str:
        target = req.headers.get("x-amz-target", "")
        name = target[len(self._prefix) :] if target.startswith(self._prefix) else ""
        if name not in self._ops:
            raise self._unknown(target, name)
        return name

    def _unknown(self, target: str, name: str) -> ApiError:
        if self._unknown_action is not None:
            return self._unknown_action(name or target)
        return UnknownTargetException(f"Unknown operation {target}")

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]:
        op = self._ops.get(operation)
        if op is None:
            raise self._unknown(self._prefix + operation, operation)
        try:
            doc = json.loads(req.body or b"{}")
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise SerializationException("Could not parse the request body as JSON.") from None
        if not isinstance(doc, dict):
            raise SerializationException("The request body must be a JSON object.")
        try:
            params: dict[str, Any] = op.decode(doc, "") if op.decode is not None else {}
        except RecursionError:  # nesting the JSON parser took but Python cannot walk
            raise SerializationException("The request body is nested too deeply.") from None
        if op.validate is not None:
            op.validate(params)
        return params

    def check(self, operation: str, params: dict[str, Any]) -> None:
        op = self._ops[operation]
        if op.validate is not None:
            op.validate(params)

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        encode = self._ops[operation].encode
        body = encode(output) if encode is not None else {}
        headers = {"Content-Type": self._content_type, "x-amzn-RequestId": request_id}
        return HttpResponse(200, headers, json.dumps(body).encode())

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        headers = {k: v for k, v in err.headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = self._content_type
        headers["x-amzn-RequestId"] = request_id
        if self._query_compatible:
            headers["x-amzn-query-error"] = f"{query_code(self.model, err)};{query_fault(err)}"
        return json_error(err, headers)


def json_error(err: ApiError, headers: dict[str, str]) -> HttpResponse:
    """The JSON protocol's error response: ``{"__type", "message", ...extra}``, the code also
    in ``x-amzn-ErrorType`` (as AWS's JSON services send it)."""
    headers["x-amzn-ErrorType"] = err.code
    body = {"__type": json_type(err), "message": err.message, **err.extra}
    return HttpResponse(err.status, headers, json.dumps(body, default=str).encode())


class UnknownTargetCodec:
    """The codec of JSON requests whose ``X-Amz-Target`` prefix names no service this server
    knows: every request is UnknownOperationException, and errors raised before the target was
    looked at (SigV4) are JSON too. Immutable."""

    service = "unknown"
    protocol = "json"

    def operation(self, req: HttpRequest) -> str:
        raise UnknownTargetException(f"Unknown operation {req.headers.get('x-amz-target', '')}")

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]:
        raise UnknownTargetException(f"Unknown operation {operation}")

    def check(self, operation: str, params: dict[str, Any]) -> None:
        raise UnknownTargetException(f"Unknown operation {operation}")

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        raise UnknownTargetException(f"Unknown operation {operation}")

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        headers = {k: v for k, v in err.headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = "application/x-amz-json-1.1"
        headers["x-amzn-RequestId"] = request_id
        return json_error(err, headers)
