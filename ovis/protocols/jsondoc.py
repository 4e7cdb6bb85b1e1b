"""JSON documents against botocore shapes, compiled once per shape.

Keys are members' wire names (``locationName``) by default, as the JSON protocols write them;
with ``wire_names=False`` they are the model's member names, as boto3's parameters are.
``Decoders`` turn a parsed JSON value into the Python value of a shape, checking JSON types
(a string where an integer belongs, an object where a list belongs...) and decoding blobs from
base64; ``Encoders`` turn an output value into JSON-ready data (blobs to base64, timestamps to
epoch seconds, members that are None or not in the shape left out). Scalars that need neither
check nor conversion compile to ``None`` so containers of them are handled without calls.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

from ovis.errors import ApiError
from ovis.protocols import timestamps
from ovis.protocols.model import FLOATS, INTEGERS, is_document, shape_key, wire_name

Decode = Callable[[Any, str], Any]  # (JSON value, member path for messages) -> Python value
Encode = Callable[[Any], Any]


@dataclass(frozen=True)
class JsonErrors:
    """How a protocol reports undecodable JSON content: the error class and message prefixes."""

    error: type[ApiError]
    type_prefix: str = ""  # before "Unexpected value for 'Timeout': expected integer"
    base64_prefix: str = ""  # before "'Code.ZipFile' is not valid base64"

    def wrong_type(self, path: str, type_name: str) -> ApiError:
        return self.error(f"{self.type_prefix}Unexpected value for '{path}': expected {type_name}")

    def bad_base64(self, path: str) -> ApiError:
        return self.error(f"{self.base64_prefix}'{path}' is not valid base64")


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "list": (list,),
    "map": (dict,),
    "structure": (dict,),
    "blob": (str,),
    "timestamp": (int, float, str),
    **dict.fromkeys(INTEGERS, (int,)),
    **dict.fromkeys(FLOATS, (int, float)),
}


class Decoders:
    """Compiles input shapes into decoders reporting errors the way ``errors`` says."""

    def __init__(self, errors: JsonErrors, wire_names: bool = True) -> None:
        self._errors = errors
        self._wire_names = wire_names
        self._done: dict[tuple[str, str], Decode] = {}
        self._pending: set[tuple[str, str]] = set()

    def members(self, members: dict[str, Shape]) -> Decode:
        """A decoder of a JSON object holding (some of) a structure's members: unknown and null
        members are dropped. Used for request bodies, whose other members live elsewhere."""
        # keyed by the JSON name (a member's locationName where the model gives one: Schemas
        # writes Tags as "tags"), decoding to the member's name
        compiled = {
            _key(m, name, self._wire_names): (name, self.compile(m)) for name, m in members.items()
        }
        errors = self._errors

        def structure(value: Any, path: str) -> Any:
            if not isinstance(value, dict):
                raise errors.wrong_type(path, "structure")
            out = {}
            prefix = path + "." if path else ""
            for k, v in value.items():
                entry = compiled.get(k)
                if entry is not None and v is not None:
                    out[entry[0]] = entry[1](v, prefix + k)
            return out

        return structure

    def compile(self, shape: Shape) -> Decode:
        key = shape_key(shape)
        done = self._done
        if key in done:
            return done[key]
        if key in self._pending:  # recursive shape: look the decoder up when it is called
            return lambda v, p: done[key](v, p)
        self._pending.add(key)
        dec = self._build(shape)
        self._pending.discard(key)
        done[key] = dec
        return dec

    def _build(self, shape: Shape) -> Decode:
        t = shape.type_name
        errors = self._errors
        if t == "structure" and is_document(shape):
            return lambda v, p: v
        if t == "structure":
            return self.members(shape.members)
        ok = _JSON_TYPES.get(t, (object,))
        if t == "list":
            item = self.compile(shape.member)

            def items(value: Any, path: str) -> Any:
                if not isinstance(value, list):
                    raise errors.wrong_type(path, t)
                return [item(v, path) for v in value]

            return items
        if t == "map":
            kdec = self.compile(shape.key)
            vdec = self.compile(shape.value)

            def entries(value: Any, path: str) -> Any:
                if not isinstance(value, dict):
                    raise errors.wrong_type(path, t)
                return {kdec(k, path): vdec(v, path) for k, v in value.items()}

            return entries
        if t == "blob":

            def blob(value: Any, path: str) -> Any:
                if not isinstance(value, str):
                    raise errors.wrong_type(path, t)
                try:
                    return base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    raise errors.bad_base64(path) from None

            return blob

        def scalar(value: Any, path: str) -> Any:
            # bool is an int in Python, but true is no number in JSON
            if not isinstance(value, ok) or (isinstance(value, bool) and t != "boolean"):
                raise errors.wrong_type(path, t)
            return value

        return scalar


class Encoders:
    """Compiles output shapes into encoders; ``compile`` returns None where the value is
    JSON-ready as it is."""

    def __init__(self, timestamp_format: str = "unixTimestamp", wire_names: bool = True) -> None:
        self._timestamp_format = timestamp_format
        self._wire_names = wire_names
        self._done: dict[tuple[str, str], Encode | None] = {}
        self._pending: set[tuple[str, str]] = set()

    def members(self, members: dict[str, Shape]) -> Encode:
        compiled = {
            name: (_key(m, name, self._wire_names), self.compile(m)) for name, m in members.items()
        }

        def structure(value: Any) -> Any:
            out = {}
            for k, v in value.items():
                entry = compiled.get(k)
                if entry is None or v is None:
                    continue
                key, enc = entry
                out[key] = v if enc is None else enc(v)
            return out

        return structure

    def compile(self, shape: Shape) -> Encode | None:
        key = shape_key(shape)
        done = self._done
        if key in done:
            return done[key]
        if key in self._pending:
            return lambda v: _apply(done[key], v)
        self._pending.add(key)
        enc = self._build(shape)
        self._pending.discard(key)
        done[key] = enc
        return enc

    def _build(self, shape: Shape) -> Encode | None:
        t = shape.type_name
        if t == "structure":
            return None if is_document(shape) else self.members(shape.members)
        if t == "list":
            item = self.compile(shape.member)
            if item is None:
                return list
            return lambda v: [item(x) for x in v]
        if t == "map":
            val = self.compile(shape.value)
            if val is None:
                return dict
            return lambda v: {k: val(x) for k, x in v.items()}
        if t == "blob":
            return _b64
        if t == "timestamp":
            fmt: Encode = timestamps.formatter(
                shape.serialization.get("timestampFormat"), self._timestamp_format
            )
            return fmt
        return None


def _key(member: Shape, name: str, wire_names: bool) -> str:
    """A member's key in a JSON document: its locationName when the document is the wire's and
    the member lives in the body (a header's or URI label's name is no JSON key), else its
    model name (the console's documents are keyed as boto3's parameters are)."""
    if wire_names and not member.serialization.get("location"):
        return wire_name(member, name)
    return name


def _apply(enc: Encode | None, value: Any) -> Any:
    return value if enc is None else enc(value)


def _b64(value: Any) -> str:
    raw = value.encode() if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode()
