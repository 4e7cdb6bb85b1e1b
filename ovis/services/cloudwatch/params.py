"""Wire members to values, with CloudWatch's own checks and wording (the codec has already
checked types, lengths, ranges and enums against the model).

Timestamps arrive as datetimes (CBOR), epoch numbers (JSON) or ISO 8601 strings (query).
"""

from __future__ import annotations

import math
import time
from typing import Any

from ovis.models.metric import Datum, MetricKey, dimensions
from ovis.protocols import timestamps
from ovis.services.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)

TWO_WEEKS_MS = 14 * 24 * 3600 * 1000
TWO_HOURS_MS = 2 * 3600 * 1000
# AWS: values must be in [-2^360, 2^360] and not too close to zero ("8.515920e-109")
MAX_MAGNITUDE = 2.0**360
MIN_MAGNITUDE = 8.515920e-109
MAX_VALUES = 150
MAX_METRIC_DATA = 1000  # entries per PutMetricData (AWS)


def epoch_ms(value: Any, member: str) -> int:
    try:
        return int(timestamps.to_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterValue(f"The parameter {member} must be a valid timestamp.") from None


def _number(v: Any, member: str) -> float:
    x = float(v)
    if not math.isfinite(x) or abs(x) > MAX_MAGNITUDE or (x != 0 and abs(x) < MIN_MAGNITUDE):
        raise InvalidParameterValue(f"The value {v} for parameter {member} is invalid.")
    return x


def metric_data(
    namespace: str, entries: list[dict[str, Any]], now_ms: int | None = None
) -> list[Datum]:
    """PutMetricData's entries as datapoints, or the first error AWS reports."""
    if namespace.startswith("AWS/"):
        raise InvalidParameterValue(
            f"The value {namespace} for parameter Namespace is invalid: it may not begin with "
            "'AWS/'."
        )
    if len(entries) > MAX_METRIC_DATA:
        raise InvalidParameterValue(
            f"The collection MetricData must not have a size greater than {MAX_METRIC_DATA}."
        )
    now = int(time.time() * 1000) if now_ms is None else now_ms
    out = []
    for i, e in enumerate(entries, 1):
        member = f"MetricData.member.{i}"
        has_value = "Value" in e
        has_stats = "StatisticValues" in e
        has_values = bool(e.get("Values"))
        if has_value and has_stats:
            raise InvalidParameterCombination(
                f"The parameters {member}.Value and {member}.StatisticValues are mutually "
                "exclusive and you have specified both."
            )
        if has_values and (has_value or has_stats):
            other = "Value" if has_value else "StatisticValues"
            raise InvalidParameterCombination(
                f"The parameters {member}.Values and {member}.{other} are mutually exclusive "
                "and you have specified both."
            )
        if not (has_value or has_stats or has_values):
            raise MissingParameter(f"The parameter {member}.Value is required.")
        resolution = e.get("StorageResolution", 60)
        if resolution not in (1, 60):
            raise InvalidParameterValue(
                f"The value {resolution} for parameter {member}.StorageResolution is invalid."
            )
        ts = epoch_ms(e["Timestamp"], f"{member}.Timestamp") if "Timestamp" in e else now
        if ts < now - TWO_WEEKS_MS:
            raise InvalidParameterValue(
                f"The parameter {member}.Timestamp must specify a time no more than two weeks "
                "in the past."
            )
        if ts > now + TWO_HOURS_MS:
            raise InvalidParameterValue(
                f"The parameter {member}.Timestamp must specify a time no more than two hours "
                "in the future."
            )
        step = 1000 if resolution == 1 else 60_000
        ts = ts // step * step
        names = [d["Name"] for d in e.get("Dimensions", ())]
        if len(set(names)) != len(names):
            raise InvalidParameterValue(
                f"No Metric Dimension may be specified more than once in {member}.Dimensions."
            )
        key = MetricKey(namespace, e["MetricName"], dimensions(e.get("Dimensions")))
        unit = e.get("Unit", "None")
        if has_value:
            v = _number(e["Value"], f"{member}.Value")
            out.append(Datum(key, ts, unit, 1.0, v, v, v, {v: 1.0}, resolution == 1))
        elif has_stats:
            s = e["StatisticValues"]
            count = _number(s["SampleCount"], f"{member}.StatisticValues.SampleCount")
            total = _number(s["Sum"], f"{member}.StatisticValues.Sum")
            lo = _number(s["Minimum"], f"{member}.StatisticValues.Minimum")
            hi = _number(s["Maximum"], f"{member}.StatisticValues.Maximum")
            if count <= 0 or lo > hi:
                raise InvalidParameterValue(
                    f"The parameter {member}.StatisticValues is invalid: SampleCount must be "
                    "positive and Minimum no greater than Maximum."
                )
            out.append(Datum(key, ts, unit, count, total, lo, hi, {}, resolution == 1))
        else:
            values = [_number(v, f"{member}.Values") for v in e["Values"]]
            counts = [float(c) for c in e.get("Counts") or [1.0] * len(values)]
            if len(values) > MAX_VALUES:
                raise InvalidParameterValue(
                    f"The collection {member}.Values must not have more than {MAX_VALUES} items."
                )
            if len(counts) != len(values):
                raise InvalidParameterValue(
                    f"The parameters {member}.Values and {member}.Counts must be of the same size."
                )
            dist: dict[float, float] = {}
            for v, c in zip(values, counts, strict=True):
                if c < 0:
                    raise InvalidParameterValue(f"The value {c} for {member}.Counts is invalid.")
                if c > 0:
                    dist[v] = dist.get(v, 0.0) + c
            if not dist:
                continue
            n = sum(dist.values())
            total = sum(v * c for v, c in dist.items())
            out.append(Datum(key, ts, unit, n, total, min(dist), max(dist), dist, resolution == 1))
    return out


def period(value: int, member: str = "Period") -> int:
    """A query period: 1, 5, 10, 30 (high resolution) or a multiple of 60 seconds."""
    if value in (1, 5, 10, 30) or (value > 0 and value % 60 == 0):
        return value
    raise InvalidParameterValue(
        f"The parameter {member} must be 1, 5, 10, 30, or a multiple of 60."
    )
