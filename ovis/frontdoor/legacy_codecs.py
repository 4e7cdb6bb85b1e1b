"""Today's codecs, behind the ``ovis.protocols.base.Codec`` interface, until ``ovis.protocols``
replaces them (``ovis.frontdoor.codecs.codec_for`` is the one place that picks them).

The botocore service model as the spec: routes, request parsing and validation.

For a rest-json service (Lambda) this compiles every operation's ``requestUri`` into a route and
turns an HTTP request into the operation's input parameters (URI labels, query string, headers,
JSON body or raw payload), validated against the input shape with AWS's error wording:
``1 validation error detected: Value '1000' at 'timeout' failed to satisfy constraint: ...``.
Responses are serialized from the output shape (header members into headers, the payload member
as the raw body, the rest as JSON).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, cast
from urllib.parse import parse_qs, parse_qsl, unquote
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from ovis.errors import (
    ApiError,
    InvalidRequestContentException,
    MethodNotAllowedException,
    UnknownOperationException,
    ValidationException,
)
from ovis.protocols.base import HttpRequest, HttpResponse


@cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


@dataclass(frozen=True)
class Route:
    operation: OperationModel
    method: str
    segments: tuple[str, ...]  # literal segment, or "{Label}" / "{Label+}"
    literal_query: tuple[tuple[str, str], ...]


Request = HttpRequest  # the name the unit tests know


class RestJsonService:
    """Routes and (de)serializes requests of one rest-json botocore service. Immutable."""

    def __init__(self, name: str) -> None:
        self.model = service_model(name)
        self._routes: dict[int, list[Route]] = {}
        self._by_operation: dict[str, Route] = {}
        for op_name in self.model.operation_names:
            op = self.model.operation_model(op_name)
            uri, _, q = op.http["requestUri"].partition("?")
            segs = tuple(s for s in uri.split("/") if s)
            lit = tuple((k, v) for k, v in parse_qsl(q, keep_blank_values=True))
            route = Route(op, op.http["method"], segs, lit)
            self._routes.setdefault(len(segs), []).append(route)
            self._by_operation[op_name] = route
        for routes in self._routes.values():
            # Literal segments beat labels; literal query constraints beat none.
            routes.sort(
                key=lambda r: (
                    -sum(not s.startswith("{") for s in r.segments),
                    -len(r.literal_query),
                )
            )
        self._validators: dict[str, _Validator] = {}

    def match(
        self, method: str, raw_path: str, query: dict[str, str]
    ) -> tuple[Route, dict[str, str]]:
        parts = [p for p in raw_path.split("/") if p]
        candidates = self._routes.get(len(parts), ())
        path_matched = False
        for route in candidates:
            labels: dict[str, str] | None = {}
            for seg, part in zip(route.segments, parts, strict=True):
                if seg[0] == "{":
                    labels[seg[1:-1].rstrip("+")] = unquote(part)  # type: ignore[index]
                elif seg != part:
                    labels = None
                    break
            if labels is None:
                continue
            if any(query.get(k) != v for k, v in route.literal_query):
                continue
            path_matched = True
            if route.method != method:
                continue
            return route, labels
        if path_matched:
            raise MethodNotAllowedException(f"The method {method} is not allowed for this resource")
        raise UnknownOperationException(f"Unknown operation {method} {raw_path}")

    def route(self, operation: str) -> Route:
        """The route of an operation (KeyError if the model has none)."""
        return self._by_operation[operation]

    @staticmethod
    def labels(route: Route, raw_path: str) -> dict[str, str]:
        """URI labels of a path that ``match`` matched to ``route``."""
        parts = [p for p in raw_path.split("/") if p]
        return {
            seg[1:-1].rstrip("+"): unquote(part)
            for seg, part in zip(route.segments, parts, strict=True)
            if seg[0] == "{"
        }

    def parse(
        self, route: Route, labels: dict[str, str], req: Request, query: dict[str, list[str]]
    ) -> dict[str, Any]:
        """Input parameters of ``route.operation`` from the request, validated."""
        shape = route.operation.input_shape
        params: dict[str, Any] = {}
        if shape is None:
            return params
        payload_member = shape.serialization.get("payload")
        body_members: dict[str, Shape] = {}
        for name, member in shape.members.items():
            loc = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if loc == "uri":
                if wire in labels:
                    params[name] = labels[wire]
            elif loc == "querystring":
                if member.type_name == "list":
                    if wire in query:
                        params[name] = query[wire]
                elif wire in query:
                    params[name] = _coerce_scalar(member, query[wire][-1], wire)
            elif loc == "header":
                v = req.headers.get(wire.lower())
                if v is not None:
                    params[name] = _coerce_scalar(member, v, wire)
            elif loc == "headers":
                continue
            elif name == payload_member:
                if member.type_name == "blob":
                    params[name] = req.body
            else:
                body_members[name] = member
        if body_members and req.body:
            try:
                doc = json.loads(req.body)
            except (ValueError, UnicodeDecodeError, RecursionError) as e:  # deep nesting too
                raise InvalidRequestContentException(
                    f"Could not parse request body into json: {e}"
                ) from None
            if not isinstance(doc, dict):
                raise InvalidRequestContentException(
                    "Could not parse request body into json: expected an object"
                )
            for name, member in body_members.items():
                if name in doc and doc[name] is not None:
                    params[name] = _decode(member, doc[name], name)
        self._validator(route.operation).validate(shape, params)
        return params

    def _validator(self, op: OperationModel) -> _Validator:
        v = self._validators.get(op.name)
        if v is None:
            v = self._validators[op.name] = _Validator()
        return v

    @staticmethod
    def serialize(op: OperationModel, result: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for an operation's output members."""
        status = int(op.http.get("responseCode", 200))
        shape = op.output_shape
        headers: dict[str, str] = {}
        if shape is None:
            return status, headers, b""
        payload_member = shape.serialization.get("payload")
        body: dict[str, Any] = {}
        raw: bytes | None = None
        for name, value in result.items():
            member = shape.members.get(name)
            if member is None or value is None:
                continue
            loc = member.serialization.get("location")
            if loc == "statusCode":
                status = int(value)
            elif loc == "header":
                headers[member.serialization.get("name", name)] = str(value)
            elif name == payload_member and member.type_name == "blob":
                raw = value
            else:
                body[name] = value
        if raw is not None:
            return status, headers, raw
        if status == 204 and not body:  # No Content: a body would be a protocol error
            return status, headers, b""
        headers["Content-Type"] = "application/json"
        return status, headers, json.dumps(body, default=_json_default).encode()


def _json_default(o: Any) -> Any:
    if isinstance(o, bytes | bytearray):
        return base64.b64encode(o).decode()
    raise TypeError(type(o).__name__)


def _coerce_scalar(member: Shape, value: str, wire: str) -> Any:
    t = member.type_name
    try:
        if t in ("integer", "long"):
            return int(value)
        if t == "boolean":
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return value.lower() == "true"
    except ValueError:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{_camel(wire)}' failed to satisfy "
            f"constraint: Member must be of type {t}"
        ) from None
    return value


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (int, float),
    "double": (int, float),
    "list": (list,),
    "map": (dict,),
    "structure": (dict,),
    "blob": (str,),
    "timestamp": (int, float, str),
}


def _decode(shape: Shape, value: Any, path: str) -> Any:
    """JSON value -> Python value for ``shape``; type errors are unparseable content, as AWS."""
    t = shape.type_name
    ok = _JSON_TYPES.get(t, (object,))
    if not isinstance(value, ok) or (t in ("integer", "long") and isinstance(value, bool)):
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: "
            f"Unexpected value for '{path}': expected {t}"
        )
    if t == "blob":
        try:
            return base64.b64decode(cast(str, value), validate=True)
        except ValueError:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: '{path}' is not valid base64"
            ) from None
    if t == "structure":
        out = {}
        for k, v in cast(dict[str, Any], value).items():
            m = shape.members.get(k)
            if m is not None and v is not None:
                out[k] = _decode(m, v, f"{path}.{k}")
        return out
    if t == "list":
        return [_decode(shape.member, v, path) for v in value]  # type: ignore[attr-defined]
    if t == "map":
        return {
            _decode(shape.key, k, path): _decode(shape.value, v, path)
            for k, v in cast(dict[str, Any], value).items()
        }
    return value


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


class _Validator:
    """Checks required members, lengths, ranges, enums and patterns like AWS's front end."""

    _patterns: dict[str, re.Pattern[str] | None] = {}

    def validate(self, shape: Shape, params: dict[str, Any]) -> None:
        errors: list[str] = []
        self._structure(shape, params, "", errors)
        if errors:
            n = len(errors)
            raise ValidationException(
                f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(errors)
            )

    def _structure(
        self, shape: Shape, value: dict[str, Any], prefix: str, errors: list[str]
    ) -> None:
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append(
                    f"Value null at '{prefix}{_camel(name)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                self._value(member, value[name], f"{prefix}{_camel(name)}", errors)

    def _value(self, shape: Shape, value: Any, path: str, errors: list[str]) -> None:
        meta = shape.metadata
        t = shape.type_name
        shown = value if not isinstance(value, bytes | dict | list) else None
        if t == "structure":
            self._structure(shape, value, path + ".", errors)
            return
        size: int | None = None
        if t in ("string", "blob", "list", "map"):
            size = len(value)
        if size is not None:
            if "min" in meta and size < meta["min"]:
                errors.append(
                    self._msg(
                        shown,
                        path,
                        f"Member must have length greater than or equal to {meta['min']}",
                    )
                )
            if "max" in meta and size > meta["max"]:
                errors.append(
                    self._msg(
                        shown, path, f"Member must have length less than or equal to {meta['max']}"
                    )
                )
        elif t in ("integer", "long", "float", "double"):
            if "min" in meta and value < meta["min"]:
                errors.append(
                    self._msg(
                        value,
                        path,
                        f"Member must have value greater than or equal to {meta['min']}",
                    )
                )
            if "max" in meta and value > meta["max"]:
                errors.append(
                    self._msg(
                        value, path, f"Member must have value less than or equal to {meta['max']}"
                    )
                )
        if t == "string":
            enum = shape.enum
            if enum and value not in enum:
                errors.append(
                    self._msg(
                        value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]"
                    )
                )
            pat = self._pattern(meta.get("pattern"))
            if pat is not None and not pat.fullmatch(value):
                errors.append(
                    self._msg(
                        value,
                        path,
                        f"Member must satisfy regular expression pattern: {meta['pattern']}",
                    )
                )
        elif t == "list":
            for item in value:
                self._value(shape.member, item, path + ".member", errors)
        elif t == "map":
            for k, v in value.items():
                self._value(shape.key, k, path + ".key", errors)
                self._value(shape.value, v, path + ".value", errors)

    @staticmethod
    def _msg(value: Any, path: str, constraint: str) -> str:
        shown = "null" if value is None else f"'{value}'"
        return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"

    def _pattern(self, pattern: str | None) -> re.Pattern[str] | None:
        if not pattern:
            return None
        if pattern not in self._patterns:
            try:
                self._patterns[pattern] = re.compile(pattern, re.DOTALL)
            except re.error:  # Java-only syntax: the shape's other constraints still apply
                self._patterns[pattern] = None
        return self._patterns[pattern]


class JsonProtocolService:
    """Input checks for one JSON-1.1 botocore service (``X-Amz-Target``): member types (a wrong
    type raises InvalidRequestContentException), then the same constraint checks as the REST
    front end (ValidationException with AWS's wording). Callers re-shape both errors into their
    service's JSON-1.1 error body."""

    def __init__(self, name: str) -> None:
        self.model = service_model(name)
        self._validator = _Validator()

    def has(self, operation: str) -> bool:
        return operation in self.model.operation_names

    def parse(self, operation: str, doc: dict[str, Any]) -> dict[str, Any]:
        shape = self.model.operation_model(operation).input_shape
        if shape is None:
            return {}
        params = {
            name: _decode(member, doc[name], name)
            for name, member in shape.members.items()
            if doc.get(name) is not None
        }
        self._validator.validate(shape, params)
        return params


# ---- codecs ---------------------------------------------------------------------------------


class UnsupportedOperation(ApiError):
    """An operation the service's model has but this server does not implement (raised by the
    front door; each codec renders it in its protocol's words)."""

    code, status = "UnsupportedOperationException", 400

    def __init__(self, operation: str) -> None:
        super().__init__(f"The operation {operation} is not supported by this server yet.")
        self.operation = operation


class SerializationError(ApiError):
    code, status = "SerializationException", 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


def json_error(e: ApiError) -> HttpResponse:
    """Lambda's REST error: the body the error class renders, its code in x-amzn-ErrorType."""
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": e.code, **e.headers}
    return HttpResponse(e.status, headers, json.dumps(e.body()).encode())


class RestJsonCodec:
    """rest-json (Lambda): routes from ``requestUri``, members from labels, query, headers, body."""

    protocol = "rest-json"

    def __init__(self, service: str) -> None:
        self.service = service
        self.rest = RestJsonService(service)

    def operation(self, req: HttpRequest) -> str:
        flat = (
            {k: v[-1] for k, v in parse_qs(req.query, keep_blank_values=True).items()}
            if req.query
            else {}
        )
        route, _labels = self.rest.match(req.method, req.path, flat)
        name: str = route.operation.name
        return name

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]:
        route = self.rest.route(operation)
        query = parse_qs(req.query, keep_blank_values=True) if req.query else {}
        return self.rest.parse(route, self.rest.labels(route, req.path), req, query)

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        status, headers, body = self.rest.serialize(self.rest.route(operation).operation, output)
        return HttpResponse(status, headers, body)

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        return json_error(err)


class JsonCodec:
    """JSON 1.0/1.1 (``X-Amz-Target: <targetPrefix>.<Operation>``). With ``validate`` the input
    is type-checked and constraint-checked against the model (a wrong type is a
    SerializationException, a broken constraint a ValidationException, as AWS answers);
    without, the handlers check what they read."""

    protocol = "json"

    def __init__(self, service: str, validate: bool = True) -> None:
        self.service = service
        self.model = service_model(service)
        self.prefix = self.model.metadata["targetPrefix"]
        version = self.model.metadata.get("jsonVersion", "1.1")
        self.content_type = f"application/x-amz-json-{version}"
        self._spec = JsonProtocolService(service) if validate else None

    def operation(self, req: HttpRequest) -> str:
        prefix, _, operation = req.headers.get("x-amz-target", "").partition(".")
        if prefix != self.prefix or operation not in self.model.operation_names:
            raise JsonUnknownOperation(f"Unknown operation {operation or prefix}.")
        return operation

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]:
        doc = parse_json_object(req.body)
        if self._spec is None:
            return doc
        try:
            return self._spec.parse(operation, doc)
        except InvalidRequestContentException as e:
            raise SerializationError(e.message) from None

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        return HttpResponse(
            200,
            {"Content-Type": self.content_type},
            json.dumps(output, default=_json_default).encode(),
        )

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        if isinstance(err, UnsupportedOperation):
            err = JsonUnknownOperation(err.message)
        body = err.body()
        body.setdefault("__type", err.code)
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": err.code, **err.headers}
        return HttpResponse(err.status, headers, json.dumps(body).encode())


class JsonUnknownOperation(ApiError):
    code, status = "UnknownOperationException", 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A JSON-protocol request body: one JSON object (an empty body is ``{}``)."""
    try:
        doc = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise SerializationError("Could not parse the request body as JSON.") from None
    if not isinstance(doc, dict):
        raise SerializationError("The request body must be a JSON object.")
    return doc


class UnsupportedServiceCodec:
    """A service this server does not have: every request answers "not supported" in that
    service's own protocol, so its SDK raises a ClientError with a code (not a parse error)."""

    def __init__(self, service: str, protocol: str) -> None:
        self.service = service
        self.protocol = protocol

    def _not_supported(self) -> ApiError:
        err = ServiceNotSupported(f"The service {self.service} is not supported by this server.")
        err.code = _NOT_SUPPORTED_CODES.get(self.protocol, "UnknownOperationException")
        return err

    def operation(self, req: HttpRequest) -> str:
        raise self._not_supported()

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]:
        raise self._not_supported()

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        raise self._not_supported()

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        code, msg, rid = escape(err.code), _xml_text(err.message), escape(request_id)
        if self.protocol == "query":
            fault = "Receiver" if err.status >= 500 else "Sender"
            body = (
                f'<?xml version="1.0"?><ErrorResponse><Error><Type>{fault}</Type>'
                f"<Code>{code}</Code><Message>{msg}</Message></Error>"
                f"<RequestId>{rid}</RequestId></ErrorResponse>"
            )
            return HttpResponse(err.status, {"Content-Type": "text/xml"}, body.encode())
        if self.protocol == "rest-xml":
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>{msg}</Message><RequestId>{rid}</RequestId></Error>"
            )
            return HttpResponse(err.status, {"Content-Type": "application/xml"}, body.encode())
        if self.protocol == "ec2":
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
                f"<Code>{code}</Code><Message>{msg}</Message></Error></Errors>"
                f"<RequestID>{rid}</RequestID></Response>"
            )
            return HttpResponse(err.status, {"Content-Type": "text/xml"}, body.encode())
        body_doc = {"__type": err.code, "message": err.message}
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": err.code}
        return HttpResponse(err.status, headers, json.dumps(body_doc).encode())


class ServiceNotSupported(ApiError):
    """A request for a service this server does not have."""

    code, status = "UnknownOperationException", 400


# What AWS answers, per protocol, for an action its endpoint does not know.
_NOT_SUPPORTED_CODES = {
    "query": "InvalidAction",
    "ec2": "InvalidAction",
    "rest-xml": "NotImplemented",
}


def _xml_text(text: str) -> str:
    # Carriage returns would be normalized away by XML parsers: send them as a reference.
    return escape(text).replace("\r", "&#xD;")
