"""Message-level rules of SQS: body and attribute validation, sizes, the MD5 digests AWS returns
(``MD5OfMessageBody``, ``MD5OfMessageAttributes``, ``MD5OfMessageSystemAttributes``) and
receipt handles. Pure functions; no I/O."""

from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import re
import struct
from collections.abc import Iterable, Mapping
from typing import Any

from ovis.services.sqs.errors import (
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
    ReceiptHandleIsInvalid,
)

MAX_ATTRIBUTES = 10
MAX_NAME = 256
MAX_DELAY_S = 900
MAX_VISIBILITY_S = 43_200
MAX_WAIT_S = 20
MAX_BATCH = 10
MAX_BATCH_BYTES = 1_048_576
DEDUP_WINDOW_MS = 5 * 60 * 1000

# The characters SQS accepts in a body or a string attribute value (the XML 1.0 character set).
_INVALID_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_GROUP_OR_DEDUP_ID = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
_TYPES = ("String", "Number", "Binary")

# System attributes a receive can ask for, in the order AWS lists them.
SYSTEM_ATTRIBUTE_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)
SEND_SYSTEM_ATTRIBUTE_NAMES = ("AWSTraceHeader",)


def md5_body(body: str) -> str:
    return hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()


def md5_attributes(attributes: Mapping[str, Mapping[str, Any]] | None) -> str | None:
    """AWS's digest of message attributes: for each attribute in order of name, the name, the
    data type (each as a 4-byte big-endian length and UTF-8 bytes), a transport byte (1 string,
    2 binary) and the value (length-prefixed); None when there are none."""
    if not attributes:
        return None
    buf = bytearray()
    for name in sorted(attributes):
        attr = attributes[name]
        _put(buf, name.encode())
        _put(buf, str(attr["DataType"]).encode())
        if _base_type(str(attr["DataType"])) == "Binary":
            buf.append(2)
            _put(buf, _binary(attr.get("BinaryValue")))
        else:
            buf.append(1)
            _put(buf, str(attr.get("StringValue", "")).encode())
    return hashlib.md5(bytes(buf), usedforsecurity=False).hexdigest()


def _put(buf: bytearray, data: bytes) -> None:
    buf += struct.pack(">I", len(data))
    buf += data


def _base_type(data_type: str) -> str:
    return data_type.split(".", 1)[0]


def _binary(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):  # base64, as on the wire
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            return b""
    return b""


def check_body(body: Any, field: str = "MessageBody") -> str:
    if not isinstance(body, str) or not body:
        raise MissingParameter(f"The request must contain the parameter {field}.")
    check_chars(body)
    return body


def check_chars(text: str) -> None:
    if _INVALID_CHARS.search(text):
        raise InvalidMessageContents(
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to "
            "#xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
        )


def check_attributes(
    attributes: Mapping[str, Any] | None, system: bool = False
) -> dict[str, dict[str, Any]]:
    """Validated message (or, with ``system``, message system) attributes as
    ``{name: {"DataType": ..., "StringValue" | "BinaryValue": ...}}`` (binary values as bytes)."""
    if not attributes:
        return {}
    kind = "system" if system else "user"
    if not system and len(attributes) > MAX_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    out: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        if system:
            if name not in SEND_SYSTEM_ATTRIBUTE_NAMES:
                raise InvalidParameterValue(
                    f"Message system attribute name '{name}' is invalid. Valid names: "
                    + ", ".join(SEND_SYSTEM_ATTRIBUTE_NAMES)
                    + "."
                )
        else:
            _check_attribute_name(name)
        if not isinstance(value, Mapping):
            raise InvalidParameterValue(f"Message ({kind}) attribute '{name}' is invalid.")
        data_type = value.get("DataType")
        if not isinstance(data_type, str) or not data_type:
            raise InvalidParameterValue(
                f"The message attribute '{name}' must contain non-empty message attribute type."
            )
        if len(data_type.encode()) > MAX_NAME:
            raise InvalidParameterValue(
                f"Message ({kind}) attribute '{name}' type must be shorter than {MAX_NAME} bytes."
            )
        base = _base_type(data_type)
        if base not in _TYPES or (system and data_type != "String"):
            allowed = "String" if system else "Binary, Number, String"
            raise InvalidParameterValue(
                f"The type of message ({kind}) attribute '{name}' is invalid. You must use only "
                f"the following supported type prefixes: {allowed}."
            )
        if base == "Binary":
            raw = value.get("BinaryValue")
            data = _binary(raw) if raw is not None else b""
            if not data:
                raise InvalidParameterValue(
                    f"Message ({kind}) attribute '{name}' must contain a non-empty value of type "
                    "'Binary'."
                )
            out[name] = {"DataType": data_type, "BinaryValue": data}
            continue
        text = value.get("StringValue")
        if not isinstance(text, str) or not text:
            raise InvalidParameterValue(
                f"Message ({kind}) attribute '{name}' must contain a non-empty value of type "
                "'String'."
            )
        check_chars(text)
        if base == "Number":
            try:
                num = decimal.Decimal(text)
            except decimal.InvalidOperation:
                num = decimal.Decimal("NaN")
            if not num.is_finite() or len(num.as_tuple().digits) > 38:
                raise InvalidParameterValue(
                    f"Can't cast the value of message ({kind}) attribute '{name}' to a number."
                )
        out[name] = {"DataType": data_type, "StringValue": text}
    return out


def _check_attribute_name(name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise InvalidParameterValue("The request must contain non-empty message attribute name.")
    if len(name.encode()) > MAX_NAME:
        raise InvalidParameterValue(
            f"Message (user) attribute name '{name}' must be shorter than {MAX_NAME} bytes."
        )
    if not _ATTRIBUTE_NAME.fullmatch(name):
        raise InvalidParameterValue(
            f"Message (user) attribute name '{name}' can only contain alphanumeric characters, "
            "hyphens (-), underscores (_), or periods (.)."
        )
    if name.lower().startswith(("aws.", "amazon.")):
        raise InvalidParameterValue(
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These "
            "strings are reserved for internal use."
        )
    if name.startswith(".") or name.endswith(".") or ".." in name:
        raise InvalidParameterValue(
            f"Message (user) attribute name '{name}' can't start or end with a period (.), or "
            "have periods in succession (..)."
        )


def attributes_size(attributes: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes the attributes count toward the message size: name, type and value."""
    n = 0
    for name, a in attributes.items():
        n += len(name.encode()) + len(str(a["DataType"]).encode())
        if "BinaryValue" in a:
            n += len(_binary(a["BinaryValue"]))
        else:
            n += len(str(a.get("StringValue", "")).encode())
    return n


def check_id(value: Any, field: str) -> str:
    """A MessageGroupId or MessageDeduplicationId."""
    if not isinstance(value, str) or not _GROUP_OR_DEDUP_ID.fullmatch(value):
        raise InvalidParameterValue(
            f"Value {value} for parameter {field} is invalid. Reason: {field} can only include "
            "alphanumeric and punctuation characters. 1 to 128 in length."
        )
    return value


def check_delay(value: Any, field: str = "DelaySeconds") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DELAY_S:
        raise InvalidParameterValue(
            f"Value {value} for parameter {field} is invalid. Reason: must be between 0 and "
            f"{MAX_DELAY_S}, if provided."
        )
    return value


def check_visibility(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_VISIBILITY_S:
        raise InvalidParameterValue(
            f"Value {value} for parameter VisibilityTimeout is invalid. Reason: Must be between "
            f"0 and {MAX_VISIBILITY_S}, if provided."
        )
    return value


def valid_batch_id(entry_id: Any) -> bool:
    return isinstance(entry_id, str) and _BATCH_ID.fullmatch(entry_id) is not None


def to_wire(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Attributes as stored (JSON): binary values in base64."""
    out: dict[str, dict[str, Any]] = {}
    for name, a in attributes.items():
        if "BinaryValue" in a:
            out[name] = {
                "DataType": a["DataType"],
                "BinaryValue": base64.b64encode(_binary(a["BinaryValue"])).decode(),
            }
        else:
            out[name] = {"DataType": a["DataType"], "StringValue": a["StringValue"]}
    return out


def from_wire(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Stored attributes back with binary values as bytes."""
    out: dict[str, dict[str, Any]] = {}
    for name, a in attributes.items():
        if "BinaryValue" in a:
            out[name] = {"DataType": a["DataType"], "BinaryValue": _binary(a["BinaryValue"])}
        else:
            out[name] = dict(a)
    return out


def select_attributes(
    attributes: Mapping[str, Mapping[str, Any]], names: Iterable[str]
) -> dict[str, Mapping[str, Any]]:
    """The attributes a receive asked for: ``All`` or ``.*`` for every one, ``prefix.*`` for
    those under a prefix, or exact names."""
    wanted = list(names)
    if not wanted:
        return {}
    if "All" in wanted or ".*" in wanted:
        return dict(attributes)
    prefixes = tuple(n[:-1] for n in wanted if n.endswith(".*"))
    exact = {n for n in wanted if not n.endswith(".*")}
    return {
        k: v for k, v in attributes.items() if k in exact or (prefixes and k.startswith(prefixes))
    }


def receipt_handle(queue: str, row: int, nonce: str) -> str:
    return base64.urlsafe_b64encode(f"{queue}\n{row}\n{nonce}".encode()).decode()


def parse_receipt_handle(handle: Any, queue: str) -> tuple[int, str]:
    """(row, nonce) of a handle this server gave out for ``queue``."""
    bad = ReceiptHandleIsInvalid(
        f'The input receipt handle "{handle}" is not a valid receipt handle.'
    )
    if not isinstance(handle, str) or not handle or len(handle) > 1024:
        raise bad
    try:
        text = base64.urlsafe_b64decode(handle.encode("ascii")).decode()
        name, row, nonce = text.split("\n")
        num = int(row)
    except (ValueError, UnicodeError, binascii.Error):
        raise bad from None
    if name != queue or not nonce or num <= 0:
        raise bad
    return num, nonce
