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
