"""Filter policies over the shared event-pattern matcher: scopes, attribute typing, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ovis.services.sns.errors import InvalidParameter
from ovis.services.sns.filter_policy import attribute_values, compile_filter_policy


def s(v: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": v}


def n(v: str) -> dict[str, str]:
    return {"DataType": "Number", "StringValue": v}


def matches(policy: dict[str, Any], attrs: dict[str, Any], body: str = "x") -> bool:
    return compile_filter_policy(json.dumps(policy)).matches(body, attrs)


def test_attribute_values_are_typed_as_sns_types_them() -> None:
    got = attribute_values(
        {
            "s": s("10"),
            "n": n("10"),
            "a": {"DataType": "String.Array", "StringValue": '["x", 1]'},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00"},
            "c": {"DataType": "Number.float", "StringValue": "1.5"},
        }
    )
    assert got == {"s": "10", "n": 10.0, "a": ["x", 1], "c": 1.5}


@pytest.mark.parametrize(
    ("policy", "attrs", "want"),
    [
        ({"k": ["v"]}, {"k": s("v")}, True),
        ({"k": ["v"]}, {"k": s("w")}, False),
        ({"k": ["v"]}, {}, False),
        ({"k": [10]}, {"k": n("10.0")}, True),
        ({"k": [10]}, {"k": s("10")}, False),  # a string never equals a number
        ({"k": [{"prefix": "ab"}]}, {"k": s("abc")}, True),
        ({"k": [{"suffix": "bc"}]}, {"k": s("abc")}, True),
        ({"k": [{"equals-ignore-case": "ABC"}]}, {"k": s("abc")}, True),
        ({"k": [{"anything-but": ["a", "b"]}]}, {"k": s("c")}, True),
        ({"k": [{"anything-but": ["a", "b"]}]}, {"k": s("a")}, False),
        ({"k": [{"anything-but": {"prefix": "a"}}]}, {"k": s("abc")}, False),
        ({"k": [{"numeric": [">=", 0, "<", 10]}]}, {"k": n("9.5")}, True),
        ({"k": [{"numeric": [">=", 0, "<", 10]}]}, {"k": n("10")}, False),
        ({"k": [{"exists": True}]}, {"k": s("x")}, True),
        ({"k": [{"exists": False}]}, {"j": s("x")}, True),
        ({"k": [{"exists": False}]}, {"k": s("x")}, False),
        (
            {"k": ["red"]},
            {"k": {"DataType": "String.Array", "StringValue": '["blue","red"]'}},
            True,
        ),
        ({"k": [{"cidr": "10.0.0.0/24"}]}, {"k": s("10.0.0.7")}, True),
        ({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"b": s("2")}, True),
        ({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"b": s("3")}, False),
        ({"a": ["1"], "b": ["2"]}, {"a": s("1")}, False),  # every key must match
    ],
)
def test_attribute_scope_operators(
    policy: dict[str, Any], attrs: dict[str, Any], want: bool
) -> None:
    assert matches(policy, attrs) is want


def test_body_scope_matches_the_decoded_json_body_nested() -> None:
    p = compile_filter_policy(
        json.dumps({"order": {"kind": ["book"], "qty": [{"numeric": [">", 1]}]}}), "MessageBody"
    )
    assert p.matches(json.dumps({"order": {"kind": "book", "qty": 2}}), None)
    assert not p.matches(json.dumps({"order": {"kind": "book", "qty": 1}}), None)
    assert not p.matches("not json", {"order": s("x")})  # attributes are not the body
    assert not p.matches("[1, 2]", None)


@pytest.mark.parametrize(
    ("text", "scope", "reason"),
    [
        ("nope", "MessageAttributes", "failed to parse JSON"),
        ("[1]", "MessageAttributes", "must be a JSON object"),
        ('{"a": {"b": ["c"]}}', "MessageAttributes", "does not support nested"),
        (json.dumps({k: ["v"] for k in "abcdef"}), "MessageAttributes", "more than 5 keys"),
        (json.dumps({k: list(range(6)) for k in "abc"}), "MessageBody", "too complex"),
        ('{"a": [{"numeric": ["<"]}]}', "MessageAttributes", "FilterPolicy:"),
        ('{"a": ["b"]}', "Elsewhere", "FilterPolicyScope"),
    ],
)
def test_invalid_policies_are_refused_with_a_reason(text: str, scope: str, reason: str) -> None:
    with pytest.raises(InvalidParameter) as e:
        compile_filter_policy(text, scope)
    assert reason in e.value.message and e.value.message.startswith("Invalid parameter: ")


def test_nested_policies_are_allowed_in_the_body_scope() -> None:
    compile_filter_policy('{"a": {"b": ["c"]}}', "MessageBody")
