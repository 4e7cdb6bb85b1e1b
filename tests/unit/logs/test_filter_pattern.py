"""The filter pattern syntax FilterLogEvents and subscription filters share."""

from __future__ import annotations

import pytest

from ovis.services.logs.filter_pattern import compile_pattern
from ovis.services.logs.groups import LogsInvalidParameter


def test_empty_matches_everything() -> None:
    assert compile_pattern("")("anything")
    assert compile_pattern("   ")("")


def test_terms_must_all_occur_case_sensitively() -> None:
    m = compile_pattern("ERROR timeout")
    assert m("ERROR: db timeout")
    assert not m("ERROR only")
    assert not m("error timeout")


def test_quoted_terms_keep_spaces_and_punctuation() -> None:
    m = compile_pattern('"status 500" "a-b"')
    assert m("got status 500 from a-b")
    assert not m("status  500 a-b")


def test_alternatives_and_exclusions() -> None:
    alt = compile_pattern("?ERROR ?WARN")
    assert alt("WARN low disk") and alt("ERROR x") and not alt("INFO")
    ex = compile_pattern('ERROR -retry -"not really"')
    assert ex("ERROR gave up")
    assert not ex("ERROR will retry")
    assert not ex("ERROR not really")


def test_unreadable_patterns_are_refused() -> None:
    for bad in (
        '"unclosed',
        "-only",
        "%unclosed(%",
        "{ $.level = }",
        "{ level = 1 }",
        "{ $.a > high }",
        "{ $.a = 1 && }",
        "{ ($.a = 1 }",
        "{ $.a IS MAYBE }",
        "{ $.a NOT THERE }",
        "{ $.a = 1",
        "[ip, user",
        "[ip, 1bad]",
        "[...]",
        "[ip, size > big]",
        "[ip, size = 1 || nope = 2]",
        "[..., x = 1, ... = 2]",
    ):
        with pytest.raises(LogsInvalidParameter):
            compile_pattern(bad)


def test_regex_terms() -> None:
    m = compile_pattern("%ERR(OR)?: [0-9]+% -%retry%")
    assert m("ERR: 12") and m("x ERROR: 7 y")
    assert not m("ERROR: x") and not m("ERROR: 7 retry")


JSON_LINES = [
    '{"level": "ERROR", "latency": 250, "user": {"id": 7, "tags": ["a", "b"]}, "ok": false}',
    '{"level": "INFO", "latency": 12.5, "user": null, "ok": true}',
    '{"level": "WARN", "latency": "slow", "items": [{"id": 1}, {"id": 9}]}',
    "ERROR not json at all",
    "[1, 2, 3]",
]


def matching(pattern: str, lines: list[str]) -> list[int]:
    m = compile_pattern(pattern)
    return [i for i, line in enumerate(lines) if m(line)]


def test_json_equality_strings_wildcards_and_regex() -> None:
    assert matching('{ $.level = "ERROR" }', JSON_LINES) == [0]
    assert matching("{ $.level = ERROR }", JSON_LINES) == [0]  # bare strings too
    assert matching('{ $.level != "ERROR" }', JSON_LINES) == [1, 2]  # needs the field
    assert matching('{ $.level = "*R*" }', JSON_LINES) == [0, 2]
    assert matching("{ $.level = %^(WARN|INFO)$% }", JSON_LINES) == [1, 2]
    assert matching("{ $.latency = * }", JSON_LINES) == [0, 1, 2]
    assert matching('{ $.user.tags[1] = "b" }', JSON_LINES) == [0]
    assert matching("{ $.items[*].id = 9 }", JSON_LINES) == [2]
    assert matching("{ $.items[0].id = 9 }", JSON_LINES) == []


def test_json_numbers_and_logic() -> None:
    assert matching("{ $.latency > 100 }", JSON_LINES) == [0]  # "slow" is not a number
    assert matching("{ $.latency <= 12.5 }", JSON_LINES) == [1]
    assert matching("{ $.latency = 250 }", JSON_LINES) == [0]
    assert matching("{ $.latency != 250 }", JSON_LINES) == [1, 2]
    assert matching("{ $.latency >= 2.5e2 }", JSON_LINES) == [0]
    assert matching('{ $.level = "ERROR" && $.latency > 1000 }', JSON_LINES) == []
    assert matching('{ $.level = "INFO" || $.latency > 100 }', JSON_LINES) == [0, 1]
    # && binds tighter than ||; parentheses regroup
    pattern = '{ $.level = "WARN" || $.level = "ERROR" && $.latency < 100 }'
    assert matching(pattern, JSON_LINES) == [2]
    pattern = '{ ($.level = "WARN" || $.level = "ERROR") && $.latency = * }'
    assert matching(pattern, JSON_LINES) == [0, 2]


def test_json_is_null_true_false_and_not_exists() -> None:
    assert matching("{ $.user IS NULL }", JSON_LINES) == [1]  # present and null
    assert matching("{ $.user NOT EXISTS }", JSON_LINES) == [2]  # absent
    assert matching("{ $.ok IS TRUE }", JSON_LINES) == [1]
    assert matching("{ $.ok IS FALSE }", JSON_LINES) == [0]
    assert matching("{ $.missing IS NULL }", JSON_LINES) == []


APACHE = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '10.0.0.2 - - [10/Oct/2000:13:26:01 -0700] "POST /login HTTP/1.1" 503 12',
    '10.0.0.3 - alice [10/Oct/2000:13:27:44 -0700] "GET /big.iso HTTP/1.1" 500 99999',
    "short line",
]
SEVEN = "[ip, identity, user, timestamp, request, status, size]"


def test_space_delimited_fields_and_conditions() -> None:
    assert matching(SEVEN, APACHE) == [0, 1, 2]  # exactly seven fields
    assert matching("[ip, identity, user]", APACHE) == []  # counts must agree without ...
    assert matching('[ip, identity, user = "frank", ...]', APACHE) == [0]
    assert matching("[..., status = 5*, size > 1000]", APACHE) == [2]
    assert matching("[ip, user, ..., status=5*, size>1000]", APACHE) == [2]  # the brief's
    assert matching("[ip, identity, user, ..., status=5*, size>1000]", APACHE) == [2]
    assert matching("[ip = 10.0.0.*, ...]", APACHE) == [1, 2]
    assert matching("[..., status != 200, size]", APACHE) == [1, 2, 3]  # "short" != 200
    assert matching('[..., request = "GET *", status, size]', APACHE) == [0, 2]
    assert matching("[..., status >= 500 && status < 501, size]", APACHE) == [2]
    assert matching("[..., status = 200 || status = 503, size]", APACHE) == [0, 1]
    assert matching("[a, b]", APACHE) == [3]
    assert matching("[a, ..., b, c]", APACHE) == [0, 1, 2]
