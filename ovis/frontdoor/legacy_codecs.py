"""The botocore service model as the spec: routes, request parsing and validation.

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
from urllib.parse import parse_qsl, unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from ovis.errors import (
    InvalidRequestContentException,
    MethodNotAllowedException,
    UnknownOperationException,
    ValidationException,
)


@cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


@dataclass(frozen=True)
class Route:
    operation: OperationModel
    method: str
    segments: tuple[str, ...]  # literal segment, or "{Label}" / "{Label+}"
    literal_query: tuple[tuple[str, str], ...]


@dataclass
class Request:
    method: str
    path: str  # raw (percent-encoded) path
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


class RestJsonService:
    """Routes and (de)serializes requests of one rest-json botocore service. Immutable."""

    def __init__(self, name: str) -> None:
        self.model = service_model(name)
        self._routes: dict[int, list[Route]] = {}
        for op_name in self.model.operation_names:
            op = self.model.operation_model(op_name)
            uri, _, q = op.http["requestUri"].partition("?")
            segs = tuple(s for s in uri.split("/") if s)
            lit = tuple((k, v) for k, v in parse_qsl(q, keep_blank_values=True))
            route = Route(op, op.http["method"], segs, lit)
            self._routes.setdefault(len(segs), []).append(route)
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
