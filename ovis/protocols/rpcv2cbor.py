"""The Smithy RPC v2 CBOR protocol (CloudWatch as boto3 calls it): ``POST
/service/<targetPrefix>/operation/<Operation>`` with ``smithy-protocol: rpc-v2-cbor`` and a
CBOR map body (RFC 8949); output and errors are CBOR maps.

Wire rules (smithy.protocols#rpcv2Cbor): structures and maps are CBOR maps, lists arrays,
blobs byte strings, timestamps tag 1 around epoch seconds (integer or float), numbers and
strings their CBOR kinds; a null member is absent. Errors are maps with ``__type`` (the error's
shape id) and ``message``; for ``awsQueryCompatible`` services the legacy query code also goes
in ``x-amzn-query-error`` as the JSON protocol sends it. Every response carries
``smithy-protocol: rpc-v2-cbor``.

Decoding checks CBOR kinds against the input shape (a string where an integer belongs is a
SerializationException naming the member) and then validates constraints with the model's
wording (``Validator``). Timestamps decode to aware datetimes, blobs to bytes. Immutable; one
instance per service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cbor2
from botocore.model import Shape

from ovis.errors import ApiError, SerializationException, UnknownTargetException
from ovis.protocols import timestamps
from ovis.protocols.base import HttpRequest, HttpResponse
from ovis.protocols.faults import json_type, query_code, query_fault
from ovis.protocols.model import FLOATS, INTEGERS, is_document, operations, service_model
from ovis.protocols.validate import Validator

Decode = Callable[[Any, str], Any]
Encode = Callable[[Any], Any]
CONTENT_TYPE = "application/cbor"
_MISSING = object()


@dataclass(frozen=True)
class _Operation:
    decode: Decode | None
    validate: Validator | None
    encode: Encode | None


def _wrong(path: str, type_name: str) -> ApiError:
    return SerializationException(f"Unexpected value for '{path}': expected {type_name}")


class _Compiler:
    """Shapes to decoders and encoders, memoized by shape name (recursive shapes re-enter)."""

    def __init__(self) -> None:
        self._dec: dict[str, Decode] = {}
        self._enc: dict[str, Encode] = {}

    # ---- input
    def members(self, members: dict[str, Shape]) -> Decode:
        compiled = {name: self.decoder(m) for name, m in members.items()}

        def structure(value: Any, path: str) -> Any:
            if not isinstance(value, dict):
                raise _wrong(path or "body", "structure")
            out = {}
            prefix = path + "." if path else ""
            for k, v in value.items():
                dec = compiled.get(k)
                if dec is not None and v is not None:
                    out[k] = dec(v, prefix + k)
            return out

        return structure

    def decoder(self, shape: Shape) -> Decode:
        name = shape.name
        if name in self._dec:
            return self._dec[name]
        self._dec[name] = lambda v, p: self._dec[name](v, p)  # placeholder while compiling
        dec = self._build_decoder(shape)
        self._dec[name] = dec
        return dec

    def _build_decoder(self, shape: Shape) -> Decode:
        t = shape.type_name
        if t == "structure" and is_document(shape):
            return lambda v, p: v
        if t == "structure":
            return self.members(shape.members)
        if t == "list":
            item = self.decoder(shape.member)

            def items(value: Any, path: str) -> Any:
                if not isinstance(value, list):
                    raise _wrong(path, t)
                return [item(v, path) for v in value]

            return items
        if t == "map":
            val = self.decoder(shape.value)

            def entries(value: Any, path: str) -> Any:
                if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                    raise _wrong(path, t)
                return {k: val(v, path) for k, v in value.items()}

            return entries
        if t == "timestamp":

            def timestamp(value: Any, path: str) -> Any:
                if isinstance(value, datetime):  # cbor2 decodes tag 1 itself
                    return value if value.tzinfo else value.replace(tzinfo=UTC)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return datetime.fromtimestamp(value, UTC)
                raise _wrong(path, t)

            return timestamp
        ok: tuple[type, ...]
        if t == "blob":
            ok = (bytes,)
        elif t == "string":
            ok = (str,)
        elif t == "boolean":
            ok = (bool,)
        elif t in INTEGERS:
            ok = (int,)
        elif t in FLOATS:
            ok = (int, float)
        else:
            ok = (object,)

        def scalar(value: Any, path: str) -> Any:
            if not isinstance(value, ok) or (isinstance(value, bool) and t != "boolean"):
                raise _wrong(path, t)
            return float(value) if t in FLOATS else value  # type: ignore[arg-type]

        return scalar

    # ---- output
    def encoder_members(self, members: dict[str, Shape]) -> Encode:
        compiled = {name: self.encoder(m) for name, m in members.items()}

        def structure(value: Any) -> Any:
            out = {}
            for k, v in value.items():
                enc = compiled.get(k, _MISSING)
                if enc is _MISSING or v is None:
                    continue
                out[k] = enc(v)  # type: ignore[operator]
            return out

        return structure

    def encoder(self, shape: Shape) -> Encode:
        name = shape.name
        if name in self._enc:
            return self._enc[name]
        self._enc[name] = lambda v: self._enc[name](v)
        enc = self._build_encoder(shape)
        self._enc[name] = enc
        return enc

    def _build_encoder(self, shape: Shape) -> Encode:
        t = shape.type_name
        if t == "structure":
            if is_document(shape):
                return _same
            return self.encoder_members(shape.members)
        if t == "list":
            item = self.encoder(shape.member)
            return lambda v: [item(x) for x in v]
        if t == "map":
            val = self.encoder(shape.value)
            return lambda v: {k: val(x) for k, x in v.items()}
        if t == "blob":
            return lambda v: v.encode() if isinstance(v, str) else bytes(v)
        if t == "timestamp":
            return lambda v: cbor2.CBORTag(1, timestamps.epoch(v))
        if t in FLOATS:
            return float
        return _same


def _same(value: Any) -> Any:
    return value


class RpcV2CborCodec:
    """Codec of one service in Smithy RPC v2 CBOR, e.g. ``RpcV2CborCodec("cloudwatch")``."""

    protocol = "smithy-rpc-v2-cbor"

    def __init__(self, service: str) -> None:
        self.service = service
        self.model = service_model(service)
        meta = self.model.metadata
        self._prefix = f"/service/{meta.get('targetPrefix', '')}/operation/"
        self._query_compatible = "awsQueryCompatible" in meta
        compiler = _Compiler()
        self._ops: dict[str, _Operation] = {}
        for op in operations(self.model):
            ins, outs = op.input_shape, op.output_shape
            self._ops[op.name] = _Operation(
                compiler.members(ins.members) if ins is not None else None,
                Validator(ins) if ins is not None else None,
                compiler.encoder_members(outs.members) if outs is not None else None,
            )

    def operation(self, req: HttpRequest) -> str:
        path = req.path.split("?", 1)[0]
        name = path[len(self._prefix) :] if path.startswith(self._prefix) else ""
        if name not in self._ops:
            raise UnknownTargetException(f"Unknown operation {name or path}")
        return name

    def parse(self, operation: str, req: HttpRequest) -> dict[str, Any]:
        op = self._ops.get(operation)
        if op is None:
            raise UnknownTargetException(f"Unknown operation {operation}")
        if req.body:
            try:
                doc = cbor2.loads(req.body)
            except (cbor2.CBORDecodeError, ValueError, RecursionError, TypeError):
                raise SerializationException("Could not parse the request body as CBOR.") from None
        else:
            doc = {}
        if not isinstance(doc, dict):
            raise SerializationException("The request body must be a CBOR map.")
        try:
            params: dict[str, Any] = op.decode(doc, "") if op.decode is not None else {}
        except RecursionError:
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
        return HttpResponse(200, self._headers(request_id), cbor2.dumps(body))

    def error(self, err: ApiError, request_id: str) -> HttpResponse:
        headers = {k: v for k, v in err.headers.items() if k.lower() != "content-type"}
        headers.update(self._headers(request_id))
        if self._query_compatible:
            headers["x-amzn-query-error"] = f"{query_code(self.model, err)};{query_fault(err)}"
        body = {"__type": json_type(err), "message": err.message, **err.extra}
        return HttpResponse(err.status, headers, cbor2.dumps(body, default=_text))

    @staticmethod
    def _headers(request_id: str) -> dict[str, str]:
        return {
            "Content-Type": CONTENT_TYPE,
            "smithy-protocol": "rpc-v2-cbor",
            "x-amzn-RequestId": request_id,
        }


def _text(encoder: Any, value: Any) -> None:
    encoder.encode(str(value))
