"""The rest-json protocol (Lambda, Scheduler): REST routes, JSON bodies, JSON errors.

Errors are Lambda's: ``{"Type": "User", "message": ...}`` (``ApiError.body()``) with the code in
``x-amzn-ErrorType``, which botocore reads for the exception class. Undecodable bodies raise
InvalidRequestContentException, constraint violations ValidationException, both worded as AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ovis.errors import (
    ApiError,
    InvalidRequestContentException,
    MethodNotAllowedException,
    UnknownOperationException,
    ValidationException,
)
from ovis.protocols.base import HttpRequest, HttpResponse
from ovis.protocols.jsondoc import Decode, Decoders, Encode, Encoders, JsonErrors
from ovis.protocols.model import operations, service_model
from ovis.protocols.rest import RestInput, RestOutput
from ovis.protocols.routes import Route, Router, query_dict
from ovis.protocols.validate import Validator

_NOT_JSON = "Could not parse request body into json: "
JSON_ERRORS = JsonErrors(
    InvalidRequestContentException,
    type_prefix=_NOT_JSON + "Could not parse payload into json: ",
    base64_prefix=_NOT_JSON,
)


@dataclass(frozen=True)
class _Operation:
    route: Route
    input: RestInput
    body: Decode | None  # decoder of the body members (or of a structure payload)
    validate: Validator
    output: RestOutput
    out_body: Encode  # encoder of the output body members (or of a structure payload)


def unknown_operation(method: str, path: str) -> ApiError:
    return UnknownOperationException(f"Unknown operation {method} {path}")


def not_allowed(method: str, path: str) -> ApiError:
    return MethodNotAllowedException(f"The method {method} is not allowed for this resource")


def loads(body: bytes) -> Any:
    """The JSON document of a request body; undecodable content is InvalidRequestContent."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:  # deep nesting too
        raise InvalidRequestContentException(f"{_NOT_JSON}{e}") from None


class RestJsonCodec:
    """Codec of one rest-json service, e.g. ``RestJsonCodec("lambda")``. Immutable.

    ``operation`` and ``parse`` take an optional ``labels`` mapping of URI labels the front door
    found outside the path."""

    protocol = "rest-json"

    def __init__(self, service: str) -> None:
        self.service = service
        self.model = service_model(service)
        ops = operations(self.model)
        self._router = Router(ops, unknown_operation, not_allowed)
        decoders = Decoders(JSON_ERRORS)
        encoders = Encoders("unixTimestamp")
        self._ops: dict[str, _Operation] = {}
        for op in ops:
            inp = RestInput.of(op, ValidationException)
            out = RestOutput.of(op)
            body: Decode | None = decoders.members(inp.body) if inp.body else None
            if inp.payload is not None and inp.payload[1].type_name == "structure":
                body = decoders.compile(inp.payload[1])
            out_body = encoders.members(out.body)
            if out.payload is not None and out.payload[1].type_name == "structure":
                out_body = encoders.compile(out.payload[1]) or dict
            self._ops[op.name] = _Operation(
                self._router.by_operation[op.name],
                inp,
                body,
                Validator(op.input_shape),
                out,
                out_body,
            )

    def operation(self, req: HttpRequest, labels: Mapping[str, str] | None = None) -> str:
        return self._router.match(req.method, req.path, req.query, req.headers, labels).operation

    def parse(
        self, operation: str, req: HttpRequest, labels: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        op = self._ops.get(operation)
        if op is None:
            raise unknown_operation(req.method, req.path)
        query = query_dict(req.query) if op.input.query_bound else {}
        params = op.input.bind(op.route.labels(req.path, labels) or {}, query, req.headers)
        payload = op.input.payload
        if payload is not None and payload[1].type_name in ("blob", "string"):
            if payload[1].type_name == "blob":
                params[payload[0]] = req.body
            elif req.body:
                params[payload[0]] = _text(req.body)
        elif op.body is not None and req.body:
            doc = loads(req.body)
            if not isinstance(doc, dict):
                raise InvalidRequestContentException(f"{_NOT_JSON}expected an object")
            try:
                decoded = op.body(doc, "")
            except RecursionError:  # nesting the JSON parser took but Python cannot walk
                raise InvalidRequestContentException(f"{_NOT_JSON}nested too deeply") from None
            if payload is not None:
                params[payload[0]] = decoded
            else:
                params.update(decoded)
        op.validate(params)
        return params

    def check(self, operation: str, params: dict[str, Any]) -> None:
        self._ops[operation].validate(params)

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        op = self._ops[operation]
        status, headers, payload, body = op.output.split(output)
        headers["x-amzn-RequestId"] = request_id
        if payload is not None and op.output.payload is not None:
            if op.output.payload[1].type_name == "structure":
                headers["Content-Type"] = "application/json"
                return HttpResponse(status, headers, json.dumps(op.out_body(payload)).encode())
            raw = payload.encode() if isinstance(payload, str) else bytes(payload)
            return HttpResponse(status, headers, raw)
        if status == 204 and not body:  # No Content: a body would be a protocol error
            return HttpResponse(status, headers)
        headers["Content-Type"] = "application/json"
        return HttpResponse(status, headers, json.dumps(op.out_body(body)).encode())

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": err.code, **err.headers}
        headers.setdefault("x-amzn-RequestId", request_id)
        return HttpResponse(err.status, headers, json.dumps(err.body()).encode())


def _text(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError:
        raise InvalidRequestContentException("The request body is not valid UTF-8") from None
