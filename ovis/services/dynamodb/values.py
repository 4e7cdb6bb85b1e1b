"""Attribute values: validation with AWS's wording, DynamoDB's number semantics, the sortable
byte encoding of key values, item sizes, comparisons and the stored JSON form.

Values are the wire's dicts (``{"S": "x"}``, ``{"N": "1.5"}``, ``{"B": b"..."}``; the codec has
already turned base64 into bytes). Numbers: up to 38 significant digits, magnitude 1E-130 to
9.9999999999999999999999999999999999999E+125, compared numerically ("1.0" equals "1"), stored
and returned normalized (as AWS does: "1.50" comes back as "1.5").
"""

from __future__ import annotations

import base64
import decimal
import json
import zlib
from decimal import Decimal
from typing import Any

from ovis.models.dynamodb import BUCKETS
from ovis.services.dynamodb.errors import ValidationException, invalid

Value = dict[str, Any]
Item = dict[str, Value]

CONTEXT = decimal.Context(prec=38, Emin=-128, Emax=126, traps=[decimal.InvalidOperation])
MAX_ITEM_BYTES = 400 * 1024
TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
KEY_TYPES = ("S", "N", "B")


def number(text: Any) -> Decimal:
    """A number attribute's value, checked as AWS checks it."""
    if not isinstance(text, str):
        raise ValidationException("The parameter cannot be converted to a numeric value")
    try:
        d = Decimal(text.strip())
    except decimal.InvalidOperation:
        raise ValidationException(
            f"The parameter cannot be converted to a numeric value: {text}"
        ) from None
    if not d.is_finite():
        raise ValidationException(f"The parameter cannot be converted to a numeric value: {text}")
    if d.is_zero():
        return Decimal(0)
    d = d.normalize(decimal.Context(prec=100))
    if len(d.as_tuple().digits) > 38:
        raise ValidationException("Attempting to store more than 38 significant digits in a Number")
    if d.adjusted() > 125:
        raise ValidationException(
            "Number overflow. Attempting to store a number with magnitude larger than "
            "supported range"
        )
    if d.adjusted() < -130:
        raise ValidationException(
            "Number underflow. Attempting to store a number with magnitude smaller than "
            "supported range"
        )
    return d


def number_text(d: Decimal) -> str:
    """The normalized text AWS returns: no exponent, no trailing zeros."""
    if d.is_zero():
        return "0"
    s = format(d.normalize(decimal.Context(prec=38)), "f")
    return s


MAX_DEPTH = 32  # AWS: "up to 32 levels deep" of nested maps and lists


def check(v: Any, depth: int = 0) -> Value:
    """A validated and normalized attribute value (ValidationException otherwise)."""
    if depth > MAX_DEPTH:
        raise ValidationException("Nesting Levels have exceeded supported limits")
    if not isinstance(v, dict) or len(v) != 1:
        n = len(v) if isinstance(v, dict) else 0
        if n == 0:
            raise ValidationException(
                "Supplied AttributeValue is empty, must contain exactly one of the "
                "supported datatypes"
            )
        raise ValidationException(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly "
            "one of the supported datatypes"
        )
    ((t, x),) = v.items()
    if t == "S":
        if not isinstance(x, str):
            raise ValidationException("Supplied AttributeValue S is not a string")
        return {"S": x}
    if t == "N":
        return {"N": number_text(number(x))}
    if t == "B":
        if not isinstance(x, bytes | bytearray):
            raise ValidationException("Supplied AttributeValue B is not binary")
        return {"B": bytes(x)}
    if t == "BOOL":
        if not isinstance(x, bool):
            raise ValidationException("Supplied AttributeValue BOOL is not a boolean")
        return {"BOOL": x}
    if t == "NULL":
        if x is not True:
            raise invalid("Null attribute value types must have the value of true")
        return {"NULL": True}
    if t == "M":
        if not isinstance(x, dict):
            raise ValidationException("Supplied AttributeValue M is not a map")
        return {"M": {k: check(e, depth + 1) for k, e in x.items()}}
    if t == "L":
        if not isinstance(x, list):
            raise ValidationException("Supplied AttributeValue L is not a list")
        return {"L": [check(e, depth + 1) for e in x]}
    if t in ("SS", "NS", "BS"):
        if not isinstance(x, list):
            raise ValidationException(f"Supplied AttributeValue {t} is not a list")
        if not x:
            kind = {"SS": "string", "NS": "number", "BS": "binary"}[t]
            article = "An" if t == "NS" else "A"
            raise invalid(f"{article} {kind} set  may not be empty")
        if t == "SS":
            members: list[Any] = [str(e) for e in x]
            keys: list[Any] = members
        elif t == "NS":
            nums = [number(e) for e in x]
            members, keys = [number_text(n) for n in nums], nums
        else:
            members = [bytes(e) for e in x]
            keys = members
        if len(set(keys)) != len(keys):
            raise ValidationException(
                f"One or more parameter values were invalid: Input collection {x} "
                "contains duplicates."
            )
        return {t: members}
    raise ValidationException(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )


def check_item(item: Any) -> Item:
    if not isinstance(item, dict):
        raise ValidationException("Item must be a map of attribute values")
    out = {}
    for k, v in item.items():
        if not k:
            raise invalid("An attribute name may not be empty")  # pragma: no cover - model
        out[k] = check(v)
    return out


def type_of(v: Value) -> str:
    return next(iter(v))


def equal(a: Value, b: Value) -> bool:
    ta, tb = type_of(a), type_of(b)
    if ta != tb:
        return False
    if ta == "N":
        return Decimal(a["N"]) == Decimal(b["N"])
    if ta == "NS":
        return {Decimal(x) for x in a["NS"]} == {Decimal(x) for x in b["NS"]}
    if ta in ("SS", "BS"):
        return set(a[ta]) == set(b[ta])
    if ta == "M":
        am, bm = a["M"], b["M"]
        return am.keys() == bm.keys() and all(equal(am[k], bm[k]) for k in am)
    if ta == "L":
        al, bl = a["L"], b["L"]
        return len(al) == len(bl) and all(equal(x, y) for x, y in zip(al, bl, strict=True))
    return bool(a[ta] == b[tb])


def ordered(a: Value, b: Value) -> int | None:
    """-1, 0, 1 comparing two scalars of one type (N, S, B); None when they do not compare."""
    ta, tb = type_of(a), type_of(b)
    if ta != tb or ta not in KEY_TYPES:
        return None
    x: Any
    y: Any
    if ta == "N":
        x, y = Decimal(a["N"]), Decimal(b["N"])
    else:
        x, y = a[ta], b[tb]
    return int(x > y) - int(x < y)


# ---- sortable key encoding ----------------------------------------------------------------


def _number_key(d: Decimal) -> bytes:
    """Order-preserving bytes of a number: sign class, then exponent, then digits (inverted
    and terminated for negatives, so that a longer digit string sorts first there)."""
    if d.is_zero():
        return b"\x01"
    sign, digits, _ = d.as_tuple()
    e = d.adjusted() + 1
    text = "".join(str(x) for x in digits).rstrip("0") or "0"
    if not sign:
        return b"\x02" + (e + 16384).to_bytes(2, "big") + text.encode()
    inverted = "".join(str(9 - int(c)) for c in text)
    return b"\x00" + (16384 - e).to_bytes(2, "big") + inverted.encode() + b"\xff"


def key_bytes(v: Value) -> bytes:
    """The sortable encoding of a key value: byte order is DynamoDB's order for its type."""
    t = type_of(v)
    if t == "S":
        return str(v["S"]).encode()
    if t == "N":
        return _number_key(Decimal(v["N"]))
    return bytes(v["B"])


def bucket_of(hk: bytes) -> int:
    return zlib.crc32(hk) % BUCKETS


def join_keys(*parts: bytes) -> bytes:
    """Several encoded keys as one sortable value (length-prefixed would not sort; the parts
    are escaped so that 0x00 0x00 separates them)."""
    return b"\x00\x00".join(p.replace(b"\x00", b"\x00\x01") for p in parts)


# ---- sizes --------------------------------------------------------------------------------


def value_size(v: Value) -> int:
    t = type_of(v)
    x = v[t]
    if t == "S":
        return len(x.encode())
    if t == "N":
        return (len(x.lstrip("-").replace(".", "").strip("0")) + 1) // 2 + 1
    if t == "B":
        return len(x)
    if t in ("BOOL", "NULL"):
        return 1
    if t == "SS":
        return sum(len(e.encode()) for e in x)
    if t == "NS":
        return sum(value_size({"N": e}) for e in x)
    if t == "BS":
        return sum(len(e) for e in x)
    if t == "M":
        return 3 + sum(len(k.encode()) + value_size(e) + 1 for k, e in x.items())
    return 3 + sum(value_size(e) + 1 for e in x)


def item_size(item: Item) -> int:
    return sum(len(k.encode()) + value_size(v) for k, v in item.items())


def check_size(item: Item) -> int:
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise ValidationException("Item size has exceeded the maximum allowed size")
    return size


# ---- stored form --------------------------------------------------------------------------


def _out(v: Value) -> Any:
    t = type_of(v)
    x = v[t]
    if t == "B":
        return {"B": base64.b64encode(x).decode()}
    if t == "BS":
        return {"BS": [base64.b64encode(e).decode() for e in x]}
    if t == "M":
        return {"M": {k: _out(e) for k, e in x.items()}}
    if t == "L":
        return {"L": [_out(e) for e in x]}
    return v


def _in(v: Any) -> Value:
    t = type_of(v)
    x = v[t]
    if t == "B":
        return {"B": base64.b64decode(x)}
    if t == "BS":
        return {"BS": [base64.b64decode(e) for e in x]}
    if t == "M":
        return {"M": {k: _in(e) for k, e in x.items()}}
    if t == "L":
        return {"L": [_in(e) for e in x]}
    return dict(v)


def dumps(item: Item) -> str:
    return json.dumps({k: _out(v) for k, v in item.items()}, separators=(",", ":"))


def loads(text: str) -> Item:
    return {k: _in(v) for k, v in json.loads(text).items()}


def to_json_value(v: Value) -> Any:
    """A value in JSON form (binary as base64): stream records and tokens."""
    return _out(v)


def wire_item(item: Item) -> dict[str, Any]:
    """An item as error bodies carry it (they are plain JSON: binary values base64)."""
    return {k: _out(v) for k, v in item.items()}
