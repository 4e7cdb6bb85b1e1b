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


def test_unreadable_and_unserved_patterns_are_refused() -> None:
    for bad in ('"unclosed', "-only", "{ $.level = 1 }", "[ip, user]"):
        with pytest.raises(LogsInvalidParameter):
            compile_pattern(bad)
