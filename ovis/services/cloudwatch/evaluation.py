"""Alarm evaluation: from the last EvaluationPeriods datapoints to a state, as AWS documents it.

``decide`` is pure: given the alarm's configuration, its current state and one value per
period (oldest first; None where the period has no data) it returns the new state and AWS's
reason. An alarm goes to ALARM when at least DatapointsToAlarm (M) of the EvaluationPeriods (N)
periods breach. TreatMissingData says what a missing period is: ``missing`` (default) and
``ignore`` leave it out (if every period is missing, ``missing`` goes to INSUFFICIENT_DATA and
``ignore`` keeps the current state), ``breaching`` counts it as breaching, ``notBreaching`` as
good. Otherwise the alarm is OK.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}


@dataclass(frozen=True)
class Decision:
    state: str
    reason: str
    reason_data: str


def _stamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%d/%m/%y %H:%M:%S")


def _iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{ms % 1000:03d}+0000"
    )


def decide(
    config: dict[str, Any],
    current: str,
    periods: list[tuple[int, float | None, float]],
    now_ms: int,
    statistic: str,
) -> Decision:
    """``periods``: (period start ms, value or None, sample count), oldest first."""
    n = int(config["EvaluationPeriods"])
    m = int(config.get("DatapointsToAlarm") or n)
    threshold = float(config.get("Threshold", 0.0))
    compare, words = COMPARISONS[config["ComparisonOperator"]]
    treat = config.get("TreatMissingData", "missing")
    window = periods[-n:]
    present = [(t, v, c) for t, v, c in window if v is not None]
    breaching = [(t, v) for t, v, _ in present if compare(v, threshold)]  # type: ignore[no-untyped-call]
    missing = len(window) - len(present)
    bad = len(breaching) + (missing if treat == "breaching" else 0)
    data = {
        "version": "1.0",
        "queryDate": _iso(now_ms),
        "startDate": _iso(window[0][0]) if window else _iso(now_ms),
        "statistic": statistic,
        "period": config.get("Period", 60),
        "recentDatapoints": [v for _, v, _ in reversed(present)],
        "threshold": threshold,
        "evaluatedDatapoints": [
            {"timestamp": _iso(t), "sampleCount": c, "value": v} for t, v, c in reversed(present)
        ],
    }
    shown = ", ".join(f"{v} ({_stamp(t)})" for t, v, _ in reversed(present))
    if bad >= m:
        if breaching:
            k = len(breaching)
            dp = "datapoint" if k == 1 else "datapoints"
            verb = "was" if k == 1 else "were"
            listed = ", ".join(f"{v} ({_stamp(t)})" for t, v in reversed(breaching))
            reason = (
                f"Threshold Crossed: {k} out of the last {n} {dp} [{listed}] {verb} {words} "
                f"the threshold ({threshold}) (minimum {m} "
                f"{'datapoint' if m == 1 else 'datapoints'} for OK -> ALARM transition)."
            )
        else:
            reason = (
                f"Threshold Crossed: no datapoints were received for {n} "
                f"period{'s' if n > 1 else ''} and {n} missing datapoint"
                f"{'s were' if n > 1 else ' was'} treated as [Breaching]."
            )
        return Decision("ALARM", reason, json.dumps(data))
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return Decision(current, "", json.dumps(data))
        reason = f"Insufficient Data: {n} datapoint{'s were' if n > 1 else ' was'} unknown."
        return Decision("INSUFFICIENT_DATA", reason, json.dumps(data))
    k = len(present)
    reason = (
        f"Threshold Crossed: {k} datapoint{'s' if k != 1 else ''} [{shown}] "
        f"{'was' if k == 1 else 'were'} not {words} the threshold ({threshold})."
        if present
        else f"Threshold Crossed: no datapoints were received for {n} period"
        f"{'s' if n > 1 else ''} and {n} missing datapoint{'s were' if n > 1 else ' was'} "
        "treated as [NonBreaching]."
    )
    return Decision("OK", reason, json.dumps(data))
