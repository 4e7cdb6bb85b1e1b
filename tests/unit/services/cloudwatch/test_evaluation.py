"""Alarm decisions: M out of N, comparison operators, and each TreatMissingData."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ovis.services.cloudwatch.evaluation import decide


def config(**kw: Any) -> dict[str, Any]:
    return {
        "EvaluationPeriods": 3,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Period": 60,
        **kw,
    }


def periods(*vals: float | None) -> list[tuple[int, float | None, float]]:
    return [(i * 60_000, v, 0.0 if v is None else 1.0) for i, v in enumerate(vals)]


@pytest.mark.parametrize(
    ("vals", "m", "state"),
    [
        ((6, 7, 8), None, "ALARM"),
        ((6, 1, 8), None, "OK"),  # N of N by default
        ((6, 1, 8), 2, "ALARM"),  # 2 of 3
        ((1, 2, 3), 1, "OK"),
        ((5, 5, 5), 1, "OK"),  # not greater than
    ],
)
def test_m_out_of_n(vals: tuple[float, ...], m: int | None, state: str) -> None:
    c = config(**({"DatapointsToAlarm": m} if m else {}))
    d = decide(c, "OK", periods(*vals), 1_000_000, "Sum")
    assert d.state == state
    data = json.loads(d.reason_data)
    assert data["threshold"] == 5.0 and data["recentDatapoints"] == [float(v) for v in vals[::-1]]


@pytest.mark.parametrize(
    ("op", "value", "breaches"),
    [
        ("GreaterThanOrEqualToThreshold", 5, True),
        ("GreaterThanThreshold", 5, False),
        ("LessThanThreshold", 4, True),
        ("LessThanOrEqualToThreshold", 5, True),
        ("LessThanThreshold", 5, False),
    ],
)
def test_comparisons(op: str, value: float, breaches: bool) -> None:
    c = config(EvaluationPeriods=1, ComparisonOperator=op)
    assert decide(c, "OK", periods(value), 0, "Sum").state == ("ALARM" if breaches else "OK")


@pytest.mark.parametrize(
    ("treat", "vals", "current", "state"),
    [
        ("missing", (None, None, None), "OK", "INSUFFICIENT_DATA"),
        ("ignore", (None, None, None), "ALARM", "ALARM"),
        ("breaching", (None, None, None), "OK", "ALARM"),
        ("notBreaching", (None, None, None), "ALARM", "OK"),
        ("breaching", (6, None, 7), "OK", "ALARM"),
        ("notBreaching", (6, None, 7), "OK", "OK"),
        ("missing", (None, 6, 7), "OK", "OK"),  # too few breaching among the present
    ],
)
def test_missing_data(treat: str, vals: tuple[float | None, ...], current: str, state: str) -> None:
    d = decide(config(TreatMissingData=treat), current, periods(*vals), 0, "Average")
    assert d.state == state


def test_reason_reads_as_aws() -> None:
    d = decide(config(EvaluationPeriods=1), "OK", periods(9.0), 0, "Maximum")
    assert d.reason.startswith(
        "Threshold Crossed: 1 out of the last 1 datapoint [9.0 (01/01/70 00:00:00)]"
    )
    assert "was greater than the threshold (5.0)" in d.reason
