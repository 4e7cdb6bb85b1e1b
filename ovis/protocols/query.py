"""The query protocol (STS, IAM, SNS, CloudFormation, classic SQS): form parameters in
(``Action=<Operation>&Version=...`` in a POST body or a GET query string), XML out.

Parameter names follow botocore: ``Tags.member.1.Key`` (lists), ``Attributes.entry.1.key``
(maps), flattened variants and locationNames, ``Parent.Child`` for structures, ``Name=`` for
an empty list. A per-service ``names`` table (``QueryName`` by shape name) adds the classic
flattened names a JSON-protocol model dropped; both spellings parse, responses use the table's.

Responses: ``<OpResponse xmlns=...><OpResult>...</OpResult><ResponseMetadata><RequestId>``;
errors: ``<ErrorResponse><Error><Type>Sender</Type><Code>..</Code><Message>..</Message>
</Error><RequestId>..</RequestId></ErrorResponse>``, with the query code of the error (an
SqsError's ``query_code``, else the modeled shape's ``error.code``, else its code).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import Shape

from ovis.errors import ApiError, InvalidAction, InvalidParameterValue, MalformedQueryString
from ovis.errors import ValidationError as QueryValidationError
from ovis.protocols.base import HttpRequest, HttpResponse
from ovis.protocols.faults import query_code, query_fault
from ovis.protocols.model import FLOATS, INTEGERS, operations, service_model
from ovis.protocols.validate import Validator
from ovis.protocols.xmldoc import Names, QueryName, XmlEncoders, escape

MAX_PARAMETERS = 10_000
_ABSENT = object()


@dataclass(frozen=True)
class _Form:
    """A request's parameters, with every dotted prefix of their names (structure presence)."""

    flat: dict[str, str]
    prefixes: frozenset[str]

    @staticmethod
    def of(flat: dict[str, str]) -> _Form:
        prefixes: set[str] = set()
        for key in flat:
            dot = key.rfind(".")
            while dot > 0:
                prefix = key[:dot]
                if prefix in prefixes:
                    break
                prefixes.add(prefix)
                dot = key.rfind(".", 0, dot)
        return _Form(flat, frozenset(prefixes))


# read(form, key) -> the value whose parameters start at ``key``, or _ABSENT
Read = Callable[[_Form, str], Any]


class _Readers:
    def __init__(self, names: Names) -> None:
        self._names = names
        self._done: dict[str, Read] = {}
        self._pending: set[str] = set()

    def structure(self, shape: Shape) -> Callable[[_Form, str], dict[str, Any]]:
        """Reads the members of a structure whose parameters start with ``prefix``."""
        plan: list[tuple[str, tuple[tuple[str, Read], ...]]] = []
        for name, m in shape.members.items():
            plan.append((name, self._member(name, m)))

        def members(form: _Form, prefix: str) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, ways in plan:
                for suffix, read in ways:
                    v = read(form, prefix + suffix)
                    if v is not _ABSENT:
                        out[name] = v
                        break
            return out

        return members

    def _member(self, name: str, m: Shape) -> tuple[tuple[str, Read], ...]:
        """(parameter name, reader) pairs to try for a member, the classic names first."""
        wire = m.serialization.get("name", name)
        ways: list[tuple[str, Read]] = []
        classic = self._names.get(m.name)
        if classic is not None and m.type_name in ("list", "map"):
            ways.append((classic.name, self._container(m, classic, True)))
        t = m.type_name
        if t == "list":
            flat = bool(m.serialization.get("flattened"))
            item_name = m.member.serialization.get("name")
            if flat:
                ways.append((item_name or wire, self._container(m, None, True)))
            else:
                ways.append((wire, self._container(m, None, False)))
        elif t == "map":
            ways.append((wire, self._container(m, None, bool(m.serialization.get("flattened")))))
        else:
            ways.append((wire, self.compile(m)))
        return tuple(ways)

    def _container(self, m: Shape, classic: QueryName | None, flat: bool) -> Read:
        if m.type_name == "list":
            item = self.compile(m.member)
            item_name = "" if flat else "." + (m.member.serialization.get("name") or "member")

            def items(form: _Form, key: str) -> Any:
                out = []
                base = key + item_name + "."
                i = 1
                while True:
                    v = item(form, f"{base}{i}")
                    if v is _ABSENT:
                        break
                    out.append(v)
                    i += 1
                if not out:
                    return [] if form.flat.get(key) == "" else _ABSENT
                return out

            return items
        if classic is not None:
            kname, vname = classic.key, classic.value
        else:
            kname = m.key.serialization.get("name") or "key"
            vname = m.value.serialization.get("name") or "value"
        entry = "" if flat else ".entry"
        kread, vread = self.compile(m.key), self.compile(m.value)

        def entries(form: _Form, key: str) -> Any:
            out = {}
            base = key + entry + "."
            i = 1
            while True:
                k = kread(form, f"{base}{i}.{kname}")
                if k is _ABSENT:
                    break
                v = vread(form, f"{base}{i}.{vname}")
                if v is not _ABSENT:
                    out[k] = v
                i += 1
            return out if out else _ABSENT

        return entries

    def compile(self, shape: Shape) -> Read:
        """The reader of a value of ``shape`` found at a key (list/map members: model names)."""
        key = shape.name
        done = self._done
        if key in done:
            return done[key]
        if key in self._pending:
            return lambda f, k: done[key](f, k)
        self._pending.add(key)
        read = self._build(shape)
        self._pending.discard(key)
        done[key] = read
        return read

    def _build(self, shape: Shape) -> Read:
        t = shape.type_name
        if t == "structure":
            members = self.structure(shape)

            def structure(form: _Form, key: str) -> Any:
                return members(form, key + ".") if key in form.prefixes else _ABSENT

            return structure
        if t in ("list", "map"):
            ways = self._member(shape.name, shape)

            def container(form: _Form, key: str) -> Any:
                for _suffix, read in ways:  # nested containers: the member's own key
                    v = read(form, key)
                    if v is not _ABSENT:
                        return v
                return _ABSENT

            return container
        convert = _converter(t)

        def scalar(form: _Form, key: str) -> Any:
            v = form.flat.get(key)
            if v is None:
                return _ABSENT
            return v if convert is None else convert(v, key)

        return scalar


def _converter(t: str) -> Callable[[str, str], Any] | None:
    def invalid(value: str, key: str, reason: str) -> ApiError:
        return InvalidParameterValue(
            f"Value {value} for parameter {key} is invalid. Reason: {reason}"
        )

    if t in INTEGERS:

        def integer(v: str, key: str) -> int:
            try:
                return int(v)
            except ValueError:
                raise invalid(v, key, "Must be an integer.") from None

        return integer
    if t in FLOATS:

        def number(v: str, key: str) -> float:
            try:
                return float(v)
            except ValueError:
                raise invalid(v, key, "Must be a number.") from None

        return number
    if t == "boolean":

        def boolean(v: str, key: str) -> bool:
            low = v.lower()
            if low not in ("true", "false"):
                raise invalid(v, key, "Must be a boolean.")
            return low == "true"

        return boolean
    if t == "blob":

        def blob(v: str, key: str) -> bytes:
            try:
                return base64.b64decode(v, validate=True)
            except (binascii.Error, ValueError):
                raise invalid(v, key, "Must be base64.") from None

        return blob
    return None


@dataclass(frozen=True)
class _Operation:
    read: Callable[[_Form, str], dict[str, Any]] | None
    members: frozenset[str]  # of the input
    validate: Validator | None
    result: str | None  # the result wrapper element, None: no output members
    write: Callable[[dict[str, Any], list[str]], None] | None


class QueryCodec:
    """Codec of one service in the query protocol, e.g. ``QueryCodec("sts")`` or
    ``QueryCodec("sqs", names=SQS_QUERY_NAMES, xml_namespace=..., validate=False)``.

    ``names``: classic wire names by shape name; ``xml_namespace``: of the responses (default
    the model's ``xmlNamespace``; error documents carry only one given here, which SQS's
    clients look their elements up in); ``validate=False`` leaves constraint checks to the
    service. ``unknown_action(name)`` is the error for an Action naming no operation (default
    STS's InvalidAction wording). ``path_member``: an input member that a call posted to a
    path other than ``/`` takes from that URL when the parameters lack it (SQS's queue URL as
    the endpoint). Validation errors are the query protocol's ``ValidationError``. Immutable."""

    protocol = "query"

    def __init__(
        self,
        service: str,
        *,
        names: Names | None = None,
        xml_namespace: str | None = None,
        validate: bool = True,
        unknown_action: Callable[[str], ApiError] | None = None,
        path_member: str | None = None,
    ) -> None:
        self.service = service
        self.model = service_model(service)
        meta = self.model.metadata
        ns = xml_namespace or meta.get("xmlNamespace") or ""
        self._xmlns = f' xmlns="{escape(ns)}"' if ns else ""
        self._error_xmlns = f' xmlns="{escape(xml_namespace)}"' if xml_namespace else ""
        self._unknown_action = unknown_action
        self._path_member = path_member
        self._version = meta.get("apiVersion", "")
        readers = _Readers(names or {})
        writers = XmlEncoders(names)
        self._ops: dict[str, _Operation] = {}
        for op in operations(self.model):
            ins, outs = op.input_shape, op.output_shape
            result = None
            if outs is not None:
                result = outs.serialization.get("resultWrapper") or f"{op.name}Result"
            self._ops[op.name] = _Operation(
                readers.structure(ins) if ins is not None else None,
                frozenset(ins.members) if ins is not None else frozenset(),
                Validator(ins, QueryValidationError) if ins is not None and validate else None,
                result,
                writers.members(outs) if outs is not None else None,
            )

    def params(self, req: HttpRequest) -> dict[str, str]:
        """The request's parameters: its query string, and a form-encoded POST body."""
        pairs: list[tuple[str, str]] = []
        try:
            if req.query:
                pairs += parse_qsl(req.query, keep_blank_values=True, max_num_fields=MAX_PARAMETERS)
            ctype = req.headers.get("content-type", "application/x-www-form-urlencoded")
            if req.body and req.method == "POST" and ctype.startswith("application/x-www-form"):
                text = req.body.decode("utf-8")
                pairs += parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_PARAMETERS)
        except (UnicodeDecodeError, ValueError):
            raise MalformedQueryString("The request parameters could not be decoded.") from None
        return dict(pairs)

    def operation(self, req: HttpRequest) -> str:
        params = self.params(req)
        action = params.get("Action", "")
        if action not in self._ops:
            raise self._unknown(action, params.get("Version", self._version))
        return action

    def _unknown(self, action: str, version: str) -> ApiError:
        if self._unknown_action is not None:
            return self._unknown_action(action)
        return InvalidAction(f"Could not find operation {action} for version {version}")

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]:
        op = self._ops.get(operation)
        if op is None:
            raise self._unknown(operation, self._version)
        if op.read is None:
            return {}
        try:
            params = op.read(_Form.of(self.params(req)), "")
        except RecursionError:  # a recursive shape under absurdly long dotted names
            raise MalformedQueryString("The request parameters are nested too deeply.") from None
        member = self._path_member
        if member in op.members and member not in params and req.path.strip("/"):
            host = req.headers.get("host", "localhost")
            params[member] = f"http://{host}{req.path.rstrip('/')}"
        if op.validate is not None:
            op.validate(params)
        return params

    def check(self, operation: str, params: dict[str, Any]) -> None:
        op = self._ops[operation]
        if op.validate is not None:
            op.validate(params)

    def serialize(self, operation: str, output: dict[str, Any], request_id: str) -> HttpResponse:
        op = self._ops[operation]
        parts = [f'<?xml version="1.0" encoding="UTF-8"?><{operation}Response{self._xmlns}>']
        if op.result is not None and op.write is not None:
            parts.append(f"<{op.result}>")
            op.write(output, parts)
            parts.append(f"</{op.result}>")
        parts.append(
            f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>"
            f"</{operation}Response>"
        )
        return HttpResponse(200, _headers(request_id), "".join(parts).encode())

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        code = query_code(self.model, err)
        body = (
            f'<?xml version="1.0"?><ErrorResponse{self._error_xmlns}><Error>'
            f"<Type>{query_fault(err)}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(err.message)}</Message></Error>"
            f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
        )
        headers = _headers(request_id)
        headers.update(
            (k, v)
            for k, v in err.headers.items()
            if k.lower() not in ("content-type", "x-amzn-query-error")
        )
        return HttpResponse(err.status, headers, body.encode())


def _headers(request_id: str) -> dict[str, str]:
    return {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
