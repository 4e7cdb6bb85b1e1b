"""The HTTP-bound members of REST operations (rest-json and rest-xml alike).

Input: URI labels, query-string members (scalars, lists, and a map that takes every other
parameter), headers, prefixed-header maps (S3's ``x-amz-meta-*``) and the payload member; the
members left over travel in the body, which the protocol decodes. Output: the ``statusCode``
member, header members and the payload member, the rest again for the protocol's body.
Each operation is compiled once into tuples of bindings; a request is a walk over them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, Shape

from ovis.errors import ApiError
from ovis.protocols import timestamps
from ovis.protocols.model import FLOATS, INTEGERS, camel

Coerce = Callable[[str], Any]
Format = Callable[[Any], str]


def _not_of_type(error: type[ApiError], value: str, wire: str, type_name: str) -> ApiError:
    return error(
        f"1 validation error detected: Value '{value}' at '{camel(wire)}' failed to satisfy "
        f"constraint: Member must be of type {type_name}"
    )


def coercer(shape: Shape, wire: str, error: type[ApiError]) -> Coerce | None:
    """String (from a URI, query string or header) -> the member's value; None: kept as is."""
    t = shape.type_name
    if t in INTEGERS or t in FLOATS:
        convert: Callable[[str], Any] = int if t in INTEGERS else float

        def number(value: str) -> Any:
            try:
                return convert(value)
            except ValueError:
                raise _not_of_type(error, value, wire, t) from None

        return number
    if t == "boolean":

        def boolean(value: str) -> bool:
            low = value.lower()
            if low not in ("true", "false"):
                raise _not_of_type(error, value, wire, t)
            return low == "true"

        return boolean
    if t == "blob" or shape.serialization.get("jsonvalue"):
        is_json = bool(shape.serialization.get("jsonvalue"))

        def decoded(value: str) -> Any:
            try:
                raw = base64.b64decode(value, validate=True)
                return json.loads(raw) if is_json else raw
            except (binascii.Error, ValueError, RecursionError):
                raise _not_of_type(error, value, wire, t) from None

        return decoded
    return None  # strings, and timestamps "as given by the wire"


def formatter(shape: Shape) -> Format:
    """Output member value -> header value."""
    t = shape.type_name
    if shape.serialization.get("jsonvalue"):
        return lambda v: base64.b64encode(json.dumps(v).encode()).decode()
    if t == "boolean":
        return lambda v: "true" if v else "false"
    if t == "timestamp":
        fmt: Format = timestamps.formatter(shape.serialization.get("timestampFormat"), "rfc822")
        return lambda v: str(fmt(v))
    if t == "blob":
        return lambda v: base64.b64encode(v).decode()
    if t == "list":
        item = formatter(shape.member)
        return lambda v: ",".join(item(x) for x in v)
    return str


@dataclass(frozen=True)
class Scalar:
    name: str  # member name
    wire: str  # label, query key or lower-cased header name
    coerce: Coerce | None


@dataclass(frozen=True)
class Multi:
    """A query-string list (repeated key) or map (every parameter no other member claims)."""

    name: str
    wire: str
    coerce: Coerce | None
    is_map: bool
    map_of_lists: bool


@dataclass(frozen=True)
class RestInput:
    """Where each input member of one operation lives in the HTTP request."""

    labels: tuple[Scalar, ...]
    query: tuple[Scalar, ...]
    multi: tuple[Multi, ...]
    headers: tuple[Scalar, ...]
    prefixed: tuple[tuple[str, str], ...]  # (member, lower-cased header prefix)
    payload: tuple[str, Shape] | None  # the payload member and its shape
    body: dict[str, Shape]  # the members serialized in the body document
    bound_query: frozenset[str]

    @staticmethod
    def of(op: OperationModel, error: type[ApiError]) -> RestInput:
        shape = op.input_shape
        labels: list[Scalar] = []
        query: list[Scalar] = []
        multi: list[Multi] = []
        headers: list[Scalar] = []
        prefixed: list[tuple[str, str]] = []
        payload: tuple[str, Shape] | None = None
        body: dict[str, Shape] = {}
        members: dict[str, Shape] = shape.members if shape is not None else {}
        payload_name = shape.serialization.get("payload") if shape is not None else None
        for name, m in members.items():
            ser = m.serialization
            loc = ser.get("location")
            wire = ser.get("name", name)
            if loc == "uri":
                labels.append(Scalar(name, wire, coercer(m, wire, error)))
            elif loc == "querystring" and m.type_name == "list":
                multi.append(Multi(name, wire, coercer(m.member, wire, error), False, False))
            elif loc == "querystring" and m.type_name == "map":
                lists = m.value.type_name == "list"
                multi.append(Multi(name, wire, None, True, lists))
            elif loc == "querystring":
                query.append(Scalar(name, wire, coercer(m, wire, error)))
            elif loc == "header":
                headers.append(Scalar(name, wire.lower(), coercer(m, wire, error)))
            elif loc == "headers":
                prefixed.append((name, wire.lower()))
            elif loc == "statusCode":
                continue
            elif name == payload_name:
                payload = (name, m)
            else:
                body[name] = m
        # a query-string map takes the parameters no other member (nor the route) claims
        literal = op.http["requestUri"].partition("?")[2]
        bound = frozenset(s.wire for s in query) | {m.wire for m in multi if not m.is_map}
        bound |= {unquote(p.partition("=")[0]) for p in literal.split("&") if p}
        return RestInput(
            tuple(labels),
            tuple(query),
            tuple(multi),
            tuple(headers),
            tuple(prefixed),
            payload,
            body,
            bound,
        )

    @property
    def query_bound(self) -> bool:
        """Whether any member lives in the query string (else it need not be decoded)."""
        return bool(self.query or self.multi)

    def bind(
        self, labels: Mapping[str, str], query: dict[str, list[str]], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        """The members found in the URI, query string and headers."""
        params: dict[str, Any] = {}
        for b in self.labels:
            v = labels.get(b.wire)
            if v is not None:
                params[b.name] = v if b.coerce is None else b.coerce(v)
        if query:
            for b in self.query:
                values = query.get(b.wire)
                if values is not None:
                    params[b.name] = values[-1] if b.coerce is None else b.coerce(values[-1])
            for mb in self.multi:
                if mb.is_map:
                    rest = {k: v if mb.map_of_lists else v[-1] for k, v in query.items()}
                    for k in self.bound_query:
                        rest.pop(k, None)
                    if rest:
                        params[mb.name] = rest
                elif mb.wire in query:
                    c = mb.coerce
                    params[mb.name] = [x if c is None else c(x) for x in query[mb.wire]]
        for b in self.headers:
            v = headers.get(b.wire)
            if v is not None:
                params[b.name] = v if b.coerce is None else b.coerce(v)
        for name, prefix in self.prefixed:
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
        return params


@dataclass(frozen=True)
class RestOutput:
    """Where each output member of one operation goes in the HTTP response."""

    status: int  # the model's responseCode
    status_member: str | None
    headers: dict[str, tuple[str, Format]]  # member -> (header name, formatter)
    prefixed: dict[str, str]  # member -> header prefix
    payload: tuple[str, Shape] | None
    body: dict[str, Shape]

    @staticmethod
    def of(op: OperationModel) -> RestOutput:
        shape = op.output_shape
        status_member: str | None = None
        headers: dict[str, tuple[str, Format]] = {}
        prefixed: dict[str, str] = {}
        payload: tuple[str, Shape] | None = None
        body: dict[str, Shape] = {}
        members: dict[str, Shape] = shape.members if shape is not None else {}
        payload_name = shape.serialization.get("payload") if shape is not None else None
        for name, m in members.items():
            ser = m.serialization
            loc = ser.get("location")
            if loc == "statusCode":
                status_member = name
            elif loc == "header":
                headers[name] = (ser.get("name", name), formatter(m))
            elif loc == "headers":
                prefixed[name] = ser.get("name", name)
            elif name == payload_name:
                payload = (name, m)
            else:
                body[name] = m
        status = int(op.http.get("responseCode", 200))
        return RestOutput(status, status_member, headers, prefixed, payload, body)

    def split(self, output: dict[str, Any]) -> tuple[int, dict[str, str], Any, dict[str, Any]]:
        """(status, headers, payload value or None, body members) of an output."""
        status = self.status
        headers: dict[str, str] = {}
        payload: Any = None
        body: dict[str, Any] = {}
        payload_name = self.payload[0] if self.payload is not None else None
        for name, value in output.items():
            if value is None:
                continue
            h = self.headers.get(name)
            if h is not None:
                headers[h[0]] = h[1](value)
            elif name == payload_name:
                payload = value
            elif name in self.body:
                body[name] = value
            elif name == self.status_member:
                status = int(value)
            elif name in self.prefixed:
                prefix = self.prefixed[name]
                headers.update({prefix + k: str(v) for k, v in value.items()})
        return status, headers, payload, body
