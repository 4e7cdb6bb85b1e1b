"""The CloudWatch alarms AWS creates for a target tracking policy, kept in step with it.

``TargetTracking-function:NAME:QUALIFIER-AlarmHigh-UUID``: the tracked metric above TargetValue
for 3 of 3 one-minute periods; ``-AlarmLow-UUID``: below 90% of it for 15 of 15 (absent with
DisableScaleIn). Their action is the policy's ARN and their description AWS's "DO NOT EDIT OR
DELETE". The scaler (``scaling.py``) reads the same metric itself, on the same windows, so the
alarms are what an operator sees in DescribeAlarms, not what drives scaling.

Contract: every function is a no-op without an ``AlarmService`` (unit tests); ``put`` creates
or updates, ``delete`` ignores names already gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from ovis.models.metric import MetricKey
from ovis.services.cloudwatch.alarms import AlarmService

SCALE_OUT_PERIODS = 3  # AlarmHigh: 3 of 3 datapoints above the target
SCALE_IN_PERIODS = 15  # AlarmLow: 15 of 15 datapoints below 90% of the target
SCALE_IN_RATIO = 0.9


async def put(
    alarms: AlarmService | None,
    names: Iterable[str],
    policy_arn: str,
    metric: tuple[MetricKey, str, str | None],
    target_value: float,
) -> None:
    """Create or update the alarms ``names`` (AlarmHigh/AlarmLow by name) on ``metric``
    (key, statistic, unit or None)."""
    if alarms is None:
        return
    key, stat, unit = metric
    for name in names:
        high = "-AlarmHigh-" in name
        periods = SCALE_OUT_PERIODS if high else SCALE_IN_PERIODS
        params: dict[str, Any] = {
            "AlarmName": name,
            "AlarmDescription": (
                f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy_arn}."
            ),
            "AlarmActions": [policy_arn],
            **key.wire(),
            "Statistic": stat,
            "Period": 60,
            "EvaluationPeriods": periods,
            "DatapointsToAlarm": periods,
            "Threshold": target_value * (1.0 if high else SCALE_IN_RATIO),
            "ComparisonOperator": "GreaterThanThreshold" if high else "LessThanThreshold",
        }
        if unit is not None:
            params["Unit"] = unit
        await alarms.put(params)


async def existing(alarms: AlarmService | None) -> set[str]:
    """The names of every alarm CloudWatch has (empty without an AlarmService)."""
    if alarms is None:
        return set()
    return {a.name for a in await asyncio.to_thread(alarms.store.alarms)}


async def delete(alarms: AlarmService | None, names: Iterable[str]) -> None:
    if alarms is None:
        return
    known = await existing(alarms)
    gone = [n for n in dict.fromkeys(names) if n in known]
    if gone:
        await alarms.delete(gone)
