"""CloudWatch statistics over the datapoints of one period: SampleCount, Sum, Average, Minimum,
Maximum and percentiles (``p90``, ``p99.9``), as AWS defines them.

A period's datapoints are merged: counts and sums add, minimum and maximum fold, and the value
distributions (value -> count) merge. A percentile needs the distribution; datapoints put only
as statistic sets have none, so a percentile over them is unavailable (None), as on AWS. The
percentile is the nearest-rank value: the smallest value with at least p% of samples at or
below it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ovis.models.metric import Datum

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$")


def is_percentile(stat: str) -> bool:
    return bool(_PERCENTILE.match(stat))


@dataclass
class Aggregate:
    count: float = 0.0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    values: dict[float, float] = field(default_factory=dict)
    complete: bool = True  # every datapoint carried its distribution
    unit: str = "None"

    def add(self, d: Datum) -> None:
        if self.count == 0:
            self.unit = d.unit
        self.count += d.count
        self.total += d.total
        self.minimum = min(self.minimum, d.minimum)
        self.maximum = max(self.maximum, d.maximum)
        if d.values:
            for v, c in d.values.items():
                self.values[v] = self.values.get(v, 0.0) + c
        else:
            self.complete = False

    def statistic(self, stat: str) -> float | None:
        if self.count <= 0:
            return None
        if stat == "SampleCount":
            return self.count
        if stat == "Sum":
            return self.total
        if stat == "Average":
            return self.total / self.count
        if stat == "Minimum":
            return self.minimum
        if stat == "Maximum":
            return self.maximum
        if is_percentile(stat):
            return self.percentile(float(stat[1:]))
        return None

    def percentile(self, p: float) -> float | None:
        if not self.values or not self.complete:
            return None
        total = sum(self.values.values())
        rank = max(1.0, math.ceil(p / 100.0 * total))
        seen = 0.0
        ordered = sorted(self.values.items())
        for v, c in ordered:
            seen += c
            if seen >= rank:
                return v
        return ordered[-1][0]


def aggregate(data: Iterable[Datum]) -> Aggregate:
    out = Aggregate()
    for d in data:
        out.add(d)
    return out


def buckets(data: Iterable[Datum], start_ms: int, period_ms: int) -> dict[int, Aggregate]:
    """Datapoints grouped by the period (start + k * period) holding their timestamp."""
    out: dict[int, Aggregate] = {}
    for d in data:
        k = start_ms + (d.timestamp_ms - start_ms) // period_ms * period_ms
        agg = out.get(k)
        if agg is None:
            agg = out[k] = Aggregate()
        agg.add(d)
    return out
