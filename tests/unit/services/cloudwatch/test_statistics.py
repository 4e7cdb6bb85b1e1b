"""Statistics of a period's datapoints: statistic sets merge, percentiles by nearest rank, and
percentiles are unavailable when a datapoint carried no distribution."""

from __future__ import annotations

import pytest

from ovis.models.metric import Datum, MetricKey
from ovis.services.cloudwatch.statistics import aggregate, buckets, is_percentile

K = MetricKey("N", "m")


def values(ts: int, *vs: float) -> Datum:
    dist: dict[float, float] = {}
    for v in vs:
        dist[v] = dist.get(v, 0.0) + 1.0
    return Datum(K, ts, "Count", float(len(vs)), float(sum(vs)), min(vs), max(vs), dist)


def test_standard_statistics_merge_datapoints() -> None:
    agg = aggregate([values(0, 1, 2, 3), values(0, 10), Datum(K, 0, "Count", 2, 8, 3, 5, {})])
    assert agg.statistic("SampleCount") == 6
    assert agg.statistic("Sum") == 24
    assert agg.statistic("Average") == 4
    assert (agg.statistic("Minimum"), agg.statistic("Maximum")) == (1, 10)
    assert agg.statistic("p50") is None  # a statistic set has no distribution


@pytest.mark.parametrize(
    ("p", "want"), [("p0.1", 1), ("p10", 10), ("p50", 50), ("p90", 90), ("p99", 99), ("p100", 100)]
)
def test_percentiles_are_nearest_rank(p: str, want: float) -> None:
    agg = aggregate([values(0, *range(1, 51)), values(0, *range(51, 101))])
    assert agg.statistic(p) == want


def test_empty_period_has_no_statistics() -> None:
    assert aggregate([]).statistic("Sum") is None


@pytest.mark.parametrize(
    ("stat", "ok"),
    [
        ("p99", True),
        ("p99.9", True),
        ("p0", True),
        ("p100", True),
        ("p101", False),
        ("tm99", False),
        ("Sum", False),
    ],
)
def test_percentile_names(stat: str, ok: bool) -> None:
    assert is_percentile(stat) is ok


def test_buckets_group_by_period_from_the_origin() -> None:
    groups = buckets([values(0, 1), values(59_999, 2), values(60_000, 3)], 0, 60_000)
    assert {t: a.statistic("Sum") for t, a in groups.items()} == {0: 3, 60_000: 3}
