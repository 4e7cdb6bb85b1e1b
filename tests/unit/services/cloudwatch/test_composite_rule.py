"""The AlarmRule language of composite alarms: state functions, constants, precedence, names."""

from __future__ import annotations

import pytest

from ovis.services.cloudwatch.composite import parse_rule
from ovis.services.cloudwatch.errors import InvalidParameterValue

ARN = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:"


def test_state_functions_and_names() -> None:
    rule = parse_rule(f'ALARM(cpu) OR OK("disk space") OR INSUFFICIENT_DATA("{ARN}mem")')
    assert rule.names == ("cpu", "disk space", "mem")
    assert rule.holds({"cpu": "ALARM"})
    assert rule.holds({"disk space": "OK"})
    assert rule.holds({"mem": "INSUFFICIENT_DATA"})
    assert not rule.holds({"cpu": "OK", "disk space": "ALARM", "mem": "OK"})
    assert not rule.holds({})  # alarms that do not exist are in no state


def test_precedence_not_and_or_and_parentheses() -> None:
    # NOT binds tighter than AND, AND tighter than OR
    rule = parse_rule("ALARM(a) OR ALARM(b) AND NOT ALARM(c)")
    assert rule.holds({"a": "ALARM", "c": "ALARM"})
    assert not rule.holds({"b": "ALARM", "c": "ALARM"})
    assert rule.holds({"b": "ALARM", "c": "OK"})
    grouped = parse_rule("(ALARM(a) OR ALARM(b)) AND NOT ALARM(c)")
    assert not grouped.holds({"a": "ALARM", "c": "ALARM"})
    assert parse_rule("TRUE").holds({}) and not parse_rule("FALSE").holds({})
    assert parse_rule("NOT NOT TRUE").holds({})
    assert parse_rule("ALARM(a) AND TRUE").names == ("a",)


@pytest.mark.parametrize(
    "bad",
    ["", "ALARM(a", "ALARM()", "ALARM a", "alarm(a)", "ALARM(a) AND", "ALARM(a) ALARM(b)", ")"],
)
def test_unreadable_rules_are_refused(bad: str) -> None:
    with pytest.raises(InvalidParameterValue):
        parse_rule(bad)


def test_rule_length_limit() -> None:
    with pytest.raises(InvalidParameterValue):
        parse_rule("TRUE OR " * 2000 + "TRUE")
