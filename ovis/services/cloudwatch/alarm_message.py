"""The JSON message CloudWatch publishes to an SNS topic when an alarm changes state, and its
subject, as AWS sends them (the fields SNS email and Lambda subscribers read)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ovis.models.metric import Alarm, AlarmState

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
}


def _time(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{ms % 1000:03d}+0000"
    )


iso = _time  # the timestamps of AWS's alarm messages and composite state reasons


def subject(alarm: Alarm, new: AlarmState, region: str) -> str:
    text = f'{new.value}: "{alarm.name}" in {REGION_NAMES.get(region, region)}'
    return text[:100]  # SNS subjects are at most 100 characters


def _composite(alarm: Alarm, old: AlarmState, new: AlarmState, region: str, account: str) -> str:
    """A composite alarm's message: its rule and the children that triggered the change."""
    c = alarm.config
    data = json.loads(new.reason_data) if new.reason_data else {}
    doc = {
        "AlarmName": alarm.name,
        "AlarmDescription": c.get("AlarmDescription"),
        "AWSAccountId": account,
        "NewStateValue": new.value,
        "NewStateReason": new.reason,
        "StateChangeTime": _time(new.updated_ms),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm.arn,
        "OldStateValue": old.value,
        "OKActions": c.get("OKActions", []),
        "AlarmActions": c.get("AlarmActions", []),
        "InsufficientDataActions": c.get("InsufficientDataActions", []),
        "AlarmRule": c["AlarmRule"],
        "TriggeringChildren": [
            {
                "Arn": t["arn"],
                "State": {"Value": t["state"]["value"], "Timestamp": t["state"]["timestamp"]},
            }
            for t in data.get("triggeringAlarms", [])
        ],
        "AlarmConfigurationUpdatedTimestamp": _time(alarm.configuration_updated_ms),
    }
    return json.dumps(doc)


def message(alarm: Alarm, old: AlarmState, new: AlarmState, region: str, account: str) -> str:
    c = alarm.config
    if "AlarmRule" in c:
        return _composite(alarm, old, new, region, account)
    trigger: dict[str, Any]
    if "Metrics" in c:
        trigger = {
            "Period": c.get("Period"),
            "EvaluationPeriods": c["EvaluationPeriods"],
            "ComparisonOperator": c["ComparisonOperator"],
            "Threshold": c.get("Threshold"),
            "TreatMissingData": c.get("TreatMissingData", "missing"),
            "EvaluateLowSampleCountPercentile": c.get("EvaluateLowSampleCountPercentile", ""),
            "Metrics": [_metric_query(q) for q in c["Metrics"]],
        }
    else:
        extended = "ExtendedStatistic" in c
        trigger = {
            "MetricName": c["MetricName"],
            "Namespace": c["Namespace"],
            "StatisticType": "ExtendedStatistic" if extended else "Statistic",
            "Statistic": c["ExtendedStatistic"] if extended else c["Statistic"].upper(),
            "Unit": c.get("Unit"),
            "Dimensions": [
                {"value": d["Value"], "name": d["Name"]} for d in c.get("Dimensions", [])
            ],
            "Period": c["Period"],
            "EvaluationPeriods": c["EvaluationPeriods"],
            "DatapointsToAlarm": c.get("DatapointsToAlarm", c["EvaluationPeriods"]),
            "ComparisonOperator": c["ComparisonOperator"],
            "Threshold": c.get("Threshold"),
            "TreatMissingData": c.get("TreatMissingData", "missing"),
            "EvaluateLowSampleCountPercentile": c.get("EvaluateLowSampleCountPercentile", ""),
        }
    doc = {
        "AlarmName": alarm.name,
        "AlarmDescription": c.get("AlarmDescription"),
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": _time(alarm.configuration_updated_ms),
        "NewStateValue": new.value,
        "NewStateReason": new.reason,
        "StateChangeTime": _time(new.updated_ms),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm.arn,
        "OldStateValue": old.value,
        "OKActions": c.get("OKActions", []),
        "AlarmActions": c.get("AlarmActions", []),
        "InsufficientDataActions": c.get("InsufficientDataActions", []),
        "Trigger": trigger,
    }
    return json.dumps(doc)


def _metric_query(q: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q["Id"], "returnData": q.get("ReturnData", True)}
    if "Expression" in q:
        out["expression"] = q["Expression"]
    if "Label" in q:
        out["label"] = q["Label"]
    stat = q.get("MetricStat")
    if stat:
        m = stat["Metric"]
        out["metricStat"] = {
            "metric": {
                "namespace": m.get("Namespace"),
                "name": m.get("MetricName"),
                "dimensions": [{d["Name"]: d["Value"]} for d in m.get("Dimensions", [])],
            },
            "period": stat["Period"],
            "stat": stat["Stat"],
        }
    return out
