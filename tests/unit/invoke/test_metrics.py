"""The platform's metrics aggregator: per-minute aggregation, AWS/Lambda's dimension sets
expanded at flush time, counts sampled as AWS samples them, failed writes kept for the next
flush."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from ovis.invoke.metrics import PlatformMetrics
from ovis.models.metric import Datum


class Writer:
    def __init__(self) -> None:
        self.batches: list[list[Datum]] = []
        self.fail = False

    def put_data(self, data: Sequence[Datum]) -> None:
        if self.fail:
            raise OSError("disk gone")
        self.batches.append(list(data))


def by_key(data: list[Datum]) -> dict[tuple[str, tuple[tuple[str, str], ...]], Datum]:
    return {(d.key.name, d.key.dimensions): d for d in data}


def test_invocations_expand_to_aws_lambda_dimension_sets() -> None:
    m = PlatformMetrics(Writer())
    m.invocation("f", "f", "", 10.0, False, 1, 1)
    m.invocation("f", "f", "", 30.0, True, 2, 2)
    m.invocation("f", "f:live", "3", 20.0, False, 1, 1)
    m.throttle("f", "f")
    got = by_key(m.drain())
    fn = (("FunctionName", "f"),)
    inv = got[("Invocations", fn)]
    assert (inv.count, inv.total) == (3, 3)
    err = got[("Errors", fn)]
    assert (err.count, err.total, err.values) == (3, 1, {0.0: 2, 1.0: 1})  # Average: error rate
    assert got[("Throttles", fn)].total == 1
    dur = got[("Duration", fn)]
    assert (dur.count, dur.total, dur.minimum, dur.maximum) == (3, 60.0, 10.0, 30.0)
    assert got[("Invocations", ())].total == 3  # the account-wide metric
    assert got[("Invocations", (("FunctionName", "f"), ("Resource", "f")))].total == 2
    alias = (("ExecutedVersion", "3"), ("FunctionName", "f"), ("Resource", "f:live"))
    assert got[("Invocations", alias)].total == 1
    assert got[("ConcurrentExecutions", fn)].maximum == 2
    assert got[("UnreservedConcurrentExecutions", ())].maximum == 2
    assert ("Throttles", alias) not in got  # no throttles there: no datum
    assert m.drain() == []  # drained


def test_generic_values_and_histograms() -> None:
    m = PlatformMetrics(Writer())
    for v in (1.00001, 1.00002, 5.0):
        m.put("Shop", "Latency", (("Service", "a"),), v, "Milliseconds", ts_ms=125_000)
    (d,) = m.drain()
    assert d.timestamp_ms == 120_000 and d.unit == "Milliseconds"
    assert d.values == {1.0: 2.0, 5.0: 1.0}  # 4 significant digits keep the histogram small
    assert d.count == 3


def test_a_failed_flush_is_retried_by_the_next() -> None:
    w = Writer()
    m = PlatformMetrics(w)
    m.lambda_metric("f", "AsyncEventsReceived", 1.0)
    w.fail = True
    with pytest.raises(OSError):
        asyncio.run(m.flush())
    w.fail = False
    m.lambda_metric("f", "AsyncEventsReceived", 1.0)
    asyncio.run(m.flush())
    total = sum(d.total for batch in w.batches for d in batch if d.key.dimensions)
    assert total == 2.0


def test_provisioned_invocations_and_spillover() -> None:
    m = PlatformMetrics(Writer())
    m.provisioned("f", "f:live", True, 1, 2)
    m.provisioned("f", "f:live", False, 2, 2)
    got = by_key(m.drain())
    res = (("FunctionName", "f"), ("Resource", "f:live"))
    assert got[("ProvisionedConcurrencyInvocations", res)].total == 1
    assert got[("ProvisionedConcurrencySpilloverInvocations", res)].total == 1
    util = got[("ProvisionedConcurrencyUtilization", (("FunctionName", "f"),))]
    assert (util.minimum, util.maximum) == (0.5, 1.0)


def test_gauges_are_sampled_at_every_flush() -> None:
    """A provisioned qualifier's utilization exists whether or not it is invoked: each flush
    samples the gauges (an idle alias reports 0), and a failing gauge stops nothing else."""
    writer = Writer()
    m = PlatformMetrics(writer)
    state = {"busy": 0}

    def broken() -> list[tuple[str, str, int, int]]:
        raise RuntimeError("gauge broke")

    m.add_gauge(broken)
    m.add_gauge(lambda: [("f", "f:live", state["busy"], 4), ("g", "g:1", 0, 0)])
    m.put("Custom", "Other", (), 1.0)
    asyncio.run(m.flush())
    state["busy"] = 3
    asyncio.run(m.flush())
    first, second = (by_key(b) for b in writer.batches)
    res = (("FunctionName", "f"), ("Resource", "f:live"))
    assert first[("ProvisionedConcurrencyUtilization", res)].maximum == 0.0
    assert first[("ProvisionedConcurrentExecutions", (("FunctionName", "f"),))].total == 0.0
    assert second[("ProvisionedConcurrencyUtilization", res)].maximum == 0.75
    assert ("Other", ()) in first  # the broken gauge did not stop the flush
    assert not [k for k in first if ("FunctionName", "g") in k[1]]  # nothing allocated: no datum


def test_resolution_sets_the_aggregation_period() -> None:
    """A shrunk period (``--cloudwatch-time-scale``) stamps datapoints with its own start; the
    flush interval is at most half a period, and periods are never under 0.1 s."""
    m = PlatformMetrics(Writer(), resolution_s=0.3)
    assert m.resolution_s == 0.3
    m.put("Custom", "V", (), 1.0, ts_ms=1_000_250)
    m.put("Custom", "V", (), 2.0, ts_ms=1_000_499)
    m.put("Custom", "V", (), 4.0, ts_ms=1_000_500)
    got = sorted((d.timestamp_ms, d.total) for d in m.drain())
    assert got == [(1_000_200, 3.0), (1_000_500, 4.0)]
    assert m._interval == 0.15
    assert PlatformMetrics(Writer(), resolution_s=0.001).resolution_s == 0.1
