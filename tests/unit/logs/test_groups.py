"""Log group rules: names, tags, ARNs, retention values and the retention cutoff."""

from __future__ import annotations

import pytest

from ovis.models.log_group import LogGroup
from ovis.services.logs.groups import (
    DAY_MS,
    LogsInvalidParameter,
    check_name,
    check_tags,
    group_name_of_arn,
    retention_cutoff_ms,
)


def test_names_follow_the_logs_pattern() -> None:
    assert check_name("/aws/lambda/fn-1_x.y#z") == "/aws/lambda/fn-1_x.y#z"
    for bad in ("", "a b", "x" * 513, None, "ünï"):
        with pytest.raises(LogsInvalidParameter):
            check_name(bad)


def test_tags_are_checked() -> None:
    assert check_tags(None) == {}
    assert check_tags({"k": "v"}) == {"k": "v"}
    for bad in ({"aws:x": "v"}, {"": "v"}, {"k": "v" * 257}, {"k": 1}, ["k"]):
        with pytest.raises(LogsInvalidParameter):
            check_tags(bad)


def test_arns_name_their_group_with_or_without_the_wildcard() -> None:
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:/a/b"
    assert group_name_of_arn(arn) == "/a/b"
    assert group_name_of_arn(arn + ":*") == "/a/b"
    with pytest.raises(LogsInvalidParameter):
        group_name_of_arn("arn:aws:sqs:us-east-1:000000000000:q")


def test_retention_cutoff() -> None:
    now = 100 * DAY_MS
    assert retention_cutoff_ms(None, now) == 0
    assert retention_cutoff_ms(LogGroup("/g", 0), now) == 0
    assert retention_cutoff_ms(LogGroup("/g", 0, 7), now) == 93 * DAY_MS


def test_a_group_round_trips_through_json() -> None:
    g = LogGroup("/g", 5, 30, "INFREQUENT_ACCESS", {"a": "b"})
    assert LogGroup.from_json(g.to_json()) == g
