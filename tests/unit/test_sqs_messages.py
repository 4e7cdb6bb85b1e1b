"""Message-level SQS rules without a server: MD5 digests (AWS's published values), attribute
validation, receipt handles and attribute selection (ovis.services.sqs.messages)."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import pytest

from ovis.services.sqs import messages as m
from ovis.services.sqs.errors import (
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
    ReceiptHandleIsInvalid,
    SqsError,
)


def test_md5_of_body_is_hex_md5_of_utf8() -> None:
    assert m.md5_body("derp") == "58fd9edd83341c29f1aebba81c31e257"
    assert m.md5_body("Héllo 😀") == hashlib.md5("Héllo 😀".encode()).hexdigest()


@pytest.mark.parametrize(
    ("attrs", "digest"),
    [
        (
            {"timestamp": {"StringValue": "1493147359900", "DataType": "Number"}},
            "235c5c510d26fb653d073faed50ae77c",
        ),
        (
            {"timestamp": {"StringValue": "1493147359901", "DataType": "Number"}},
            "994258b45346a2cc3f9cbb611aa7af30",
        ),
        (
            {"SOME_Valid.attribute-Name": {"StringValue": "1493147359900", "DataType": "Number"}},
            "36655e7e9d7c0e8479fa3f3f42247ae7",
        ),
        (
            {
                "ccc": {"StringValue": "testjunk", "DataType": "String"},
                "aaa": {"BinaryValue": b"\x02\x03\x04", "DataType": "Binary"},
                "zzz": {"DataType": "Number", "StringValue": "0230.01"},
                "öther_encodings": {"DataType": "String", "StringValue": "T\xfcst"},
            },
            "8ae21a7957029ef04146b42aeaa18a22",
        ),
    ],
)
def test_md5_of_attributes_matches_aws(attrs: dict, digest: str) -> None:
    assert m.md5_attributes(attrs) == digest


def test_md5_of_binary_attribute_uses_transport_type_2_and_order_of_name() -> None:
    attrs: dict[str, dict[str, Any]] = {
        "b": {"DataType": "Binary.x", "BinaryValue": b"hi"},
        "a": {"DataType": "String", "StringValue": "s"},
    }
    expected = b""
    for name, dtype, transport, value in (("a", "String", 1, b"s"), ("b", "Binary.x", 2, b"hi")):
        expected += struct.pack(">I", len(name)) + name.encode()
        expected += struct.pack(">I", len(dtype)) + dtype.encode()
        expected += bytes([transport]) + struct.pack(">I", len(value)) + value
    assert m.md5_attributes(attrs) == hashlib.md5(expected).hexdigest()
    assert m.md5_attributes({}) is None


def test_check_body() -> None:
    assert m.check_body("ok\t\n\r\ud7ff\ue000\U0010ffff").startswith("ok")
    with pytest.raises(MissingParameter):
        m.check_body("")
    for bad in ("\x00", "a\x08b", "\ufffe", "\ud800"):
        with pytest.raises(InvalidMessageContents):
            m.check_body(bad)


@pytest.mark.parametrize(
    "attrs",
    [
        {"": {"DataType": "String", "StringValue": "v"}},
        {"AWS.x": {"DataType": "String", "StringValue": "v"}},
        {"amazon.x": {"DataType": "String", "StringValue": "v"}},
        {".a": {"DataType": "String", "StringValue": "v"}},
        {"a.": {"DataType": "String", "StringValue": "v"}},
        {"a..b": {"DataType": "String", "StringValue": "v"}},
        {"a b": {"DataType": "String", "StringValue": "v"}},
        {"x" * 257: {"DataType": "String", "StringValue": "v"}},
        {"a": {"DataType": "", "StringValue": "v"}},
        {"a": {"DataType": "Bool", "StringValue": "v"}},
        {"a": {"DataType": "String"}},
        {"a": {"DataType": "String", "StringValue": ""}},
        {"a": {"DataType": "Binary", "StringValue": "v"}},
        {"a": {"DataType": "Number", "StringValue": "1e"}},
        {"a": {"DataType": "Number", "StringValue": "1" * 39}},
        {f"k{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
    ],
)
def test_invalid_message_attributes(attrs: dict) -> None:
    with pytest.raises(InvalidParameterValue):
        m.check_attributes(attrs)


def test_valid_message_attributes_normalized() -> None:
    out = m.check_attributes(
        {
            "a.b-c_d": {"DataType": "Number.int", "StringValue": "-12.5e3"},
            "bin": {"DataType": "Binary", "BinaryValue": b"\x00"},
            "s": {"DataType": "String", "StringValue": "v", "BinaryValue": b"ignored"},
        }
    )
    assert out == {
        "a.b-c_d": {"DataType": "Number.int", "StringValue": "-12.5e3"},
        "bin": {"DataType": "Binary", "BinaryValue": b"\x00"},
        "s": {"DataType": "String", "StringValue": "v"},
    }
    assert m.attributes_size(out) == (7 + 10 + 7) + (3 + 6 + 1) + (1 + 6 + 1)
    assert m.from_wire(m.to_wire(out)) == out


def test_system_attributes_only_aws_trace_header() -> None:
    ok = {
        "AWSTraceHeader": {
            "DataType": "String",
            "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793",
        }
    }
    assert m.check_attributes(ok, system=True) == ok
    with pytest.raises(InvalidParameterValue):
        m.check_attributes({"Other": {"DataType": "String", "StringValue": "x"}}, system=True)
    with pytest.raises(InvalidParameterValue):
        m.check_attributes(
            {"AWSTraceHeader": {"DataType": "Number", "StringValue": "1"}}, system=True
        )


def test_receipt_handles_round_trip_and_reject_tampering() -> None:
    h = m.receipt_handle("q1", 42, "abc")
    assert m.parse_receipt_handle(h, "q1") == (42, "abc")
    for bad in ("", "x", "!!!", m.receipt_handle("q1", 0, "abc"), m.receipt_handle("q1", 1, "")):
        with pytest.raises(ReceiptHandleIsInvalid):
            m.parse_receipt_handle(bad, "q1")
    with pytest.raises(ReceiptHandleIsInvalid) as exc:
        m.parse_receipt_handle(h, "other-queue")
    assert isinstance(exc.value, SqsError)
    assert exc.value.message == f'The input receipt handle "{h}" is not a valid receipt handle.'


def test_select_attributes() -> None:
    attrs = {"a.x": {"n": 1}, "a.y": {"n": 2}, "b": {"n": 3}, "ab": {"n": 4}}
    assert m.select_attributes(attrs, []) == {}
    assert m.select_attributes(attrs, ["All"]) == attrs
    assert m.select_attributes(attrs, [".*"]) == attrs
    assert m.select_attributes(attrs, ["a.*"]) == {"a.x": {"n": 1}, "a.y": {"n": 2}}
    assert m.select_attributes(attrs, ["b", "nope"]) == {"b": {"n": 3}}


def test_ids_delays_and_visibility() -> None:
    assert m.check_id("g-1!#$", "MessageGroupId") == "g-1!#$"
    for bad in ("", "x" * 129, "has space", "ü"):
        with pytest.raises(InvalidParameterValue):
            m.check_id(bad, "MessageGroupId")
    assert m.check_delay(900) == 900
    for bad_delay in (-1, 901, True):
        with pytest.raises(InvalidParameterValue):
            m.check_delay(bad_delay)
    assert m.check_visibility(43200) == 43200
    with pytest.raises(InvalidParameterValue):
        m.check_visibility(43201)
    assert m.valid_batch_id("a-B_9" * 16)
    assert not m.valid_batch_id("a" * 81)
    assert not m.valid_batch_id("a.b")
