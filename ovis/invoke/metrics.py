"""The platform's CloudWatch metrics: an in-memory per-minute aggregator on the hot path, a
supervised loop writing what it aggregated in batches.

Contract: ``invocation()``, ``throttle()`` and ``put()`` only update dicts on the event-loop
thread (no I/O, no lock, no allocation beyond the first datum of a key in a minute); the
AWS/Lambda dimension sets (none, FunctionName, FunctionName+Resource, and +ExecutedVersion for
qualified invokes) are expanded at flush time, not per invoke. ``flush()`` writes everything
aggregated so far as standard-resolution datapoints stamped with their period's start (a
minute unless ``resolution_s`` says otherwise), in one transaction (queries add up the several
rows a period may get); if the write fails the batch is
kept and retried by the next flush, bounded by ``max_pending`` keys (oldest dropped, counted in
``dropped``). Metrics are telemetry: the last ``interval_s`` of aggregates may be lost on a
kill -9, and nothing waits for them. ``close()`` stops the loop and makes a last flush.

``resolution_s`` is the width of the aggregation period (AWS: a minute). Tests shrink it with
``--cloudwatch-time-scale`` so that minute-based consumers (provisioned-concurrency target
tracking) see many periods quickly; queries over longer periods add the rows up, so totals are
the same at any resolution. The flush interval is at most half a period, so every period of a
sampled gauge gets a datapoint. Periods are never under 0.1 s.

Gauges (``add_gauge``): callables sampled at every flush, before draining, for values that exist
whether or not anything is invoked (ProvisionedConcurrencyUtilization of an idle alias is 0, and
target tracking must see that to scale in).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from ovis.models.metric import Datum, Dimensions, MetricKey
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)
LOOP = "metrics-flush"
LAMBDA = "AWS/Lambda"


class MetricWriter(Protocol):
    """``ovis.storage.sqlite.SqliteMetrics.put_data``: durable on return, one transaction."""

    def put_data(self, data: Sequence[Datum]) -> None: ...


# a provisioned qualifier's state right now: (function, resource "NAME:QUALIFIER", busy, allocated)
ProvisionedSample = tuple[str, str, int, int]
Gauge = Callable[[], Iterable[ProvisionedSample]]


class _Invokes:
    """One (function, resource, version)'s invocations in one minute: counters, the durations
    (a list append per invoke; statistics are computed when drained) and peak concurrency."""

    __slots__ = ("concurrency", "durations", "errors", "invocations", "throttles", "unreserved")

    def __init__(self) -> None:
        self.invocations = 0
        self.errors = 0
        self.throttles = 0
        self.durations: list[float] = []
        self.concurrency = 0  # the function's peak in-flight invocations
        self.unreserved = 0  # the account's unreserved pool's peak use


class _Stats:
    """A statistic set and its value distribution, merged from several sources at drain."""

    __slots__ = ("count", "hist", "maximum", "minimum", "total")

    def __init__(self) -> None:
        self.count = 0.0
        self.total = 0.0
        self.minimum = float("inf")
        self.maximum = float("-inf")
        self.hist: dict[float, float] = {}

    def merge(
        self, count: float, total: float, lo: float, hi: float, hist: dict[float, float]
    ) -> None:
        self.count += count
        self.total += total
        self.minimum = min(self.minimum, lo)
        self.maximum = max(self.maximum, hi)
        mine = self.hist
        for v, c in hist.items():
            mine[v] = mine.get(v, 0.0) + c

    def datum(self, key: MetricKey, minute: int, unit: str) -> Datum:
        return Datum(
            key, minute, unit, self.count, self.total, self.minimum, self.maximum, self.hist
        )


# key of generic values: (namespace, name, dimensions, unit, minute ms)
_CellKey = tuple[str, str, Dimensions, str, int]
# key of invocations: (function, resource, executed version or "", minute ms)
_InvokeKey = tuple[str, str, str, int]


def _histogram(values: list[float], digits: int | None = None) -> dict[float, float]:
    """Values counted, rounded so the stored distribution stays small however many a minute
    had: to ``digits`` decimals (durations: 0.01 ms), else to 4 significant digits
    (percentiles stay within 0.05%)."""
    out: dict[float, float] = {}
    for v in values:
        r = round(v, digits) if digits is not None else float(f"{v:.4g}")
        out[r] = out.get(r, 0.0) + 1.0
    return out


class PlatformMetrics:
    name = LOOP

    def __init__(
        self,
        writer: MetricWriter,
        supervisor: Supervisor | None = None,
        interval_s: float = 1.0,
        max_pending: int = 100_000,
        resolution_s: float = 60.0,
    ) -> None:
        self._writer = writer
        self._res_ms = max(100, int(resolution_s * 1000))  # tiny time scales: 0.1 s at least
        self._interval = min(interval_s, self._res_ms / 2000)
        self._gauges: list[Gauge] = []
        self._max_pending = max_pending
        self._cells: dict[_CellKey, list[float]] = {}
        self._invokes: dict[_InvokeKey, _Invokes] = {}
        self._unsent: list[Datum] = []
        self.dropped = 0
        self.supervisor = supervisor or Supervisor()

    # ---- hot path (event-loop thread)

    def invocation(
        self,
        function: str,
        resource: str,
        version: str,
        duration_ms: float,
        error: bool,
        concurrent: int,
        unreserved: int = 0,
    ) -> None:
        minute = int(time.time() * 1000) // self._res_ms * self._res_ms
        key = (function, resource, version, minute)
        agg = self._invokes.get(key)
        if agg is None:
            agg = self._invokes[key] = _Invokes()
        agg.invocations += 1
        if error:
            agg.errors += 1
        agg.durations.append(duration_ms)
        if concurrent > agg.concurrency:
            agg.concurrency = concurrent
        if unreserved > agg.unreserved:
            agg.unreserved = unreserved

    def throttle(self, function: str, resource: str, version: str = "") -> None:
        minute = int(time.time() * 1000) // self._res_ms * self._res_ms
        key = (function, resource, version, minute)
        agg = self._invokes.get(key)
        if agg is None:
            agg = self._invokes[key] = _Invokes()
        agg.throttles += 1

    def provisioned(
        self, function: str, resource: str, used: bool, busy: int, allocated: int
    ) -> None:
        """One invocation of a qualifier with provisioned concurrency: served by a provisioned
        instance (``used``) or spilled over to on-demand; ``busy`` of ``allocated`` in use."""
        name = (
            "ProvisionedConcurrencyInvocations"
            if used
            else "ProvisionedConcurrencySpilloverInvocations"
        )
        for dims in (
            (("FunctionName", function),),
            (("FunctionName", function), ("Resource", resource)),
        ):
            self.put(LAMBDA, name, dims, 1.0)
            self.put(LAMBDA, "ProvisionedConcurrentExecutions", dims, float(busy))
            self.put(LAMBDA, "ProvisionedConcurrencyUtilization", dims, busy / allocated, "None")

    @property
    def resolution_s(self) -> float:
        return self._res_ms / 1000

    def add_gauge(self, gauge: Gauge) -> None:
        """Sample ``gauge`` at every flush: each provisioned qualifier it answers gets its
        ProvisionedConcurrentExecutions (busy) and ProvisionedConcurrencyUtilization
        (busy / allocated) under FunctionName and FunctionName+Resource, as AWS reports them."""
        self._gauges.append(gauge)

    def sample(self) -> None:
        """Take one sample of every gauge (event-loop thread; called before each drain)."""
        for gauge in self._gauges:
            try:
                samples = list(gauge())
            except Exception:  # a gauge must never stop the flush of everything else
                log.exception("metrics gauge failed")
                continue
            for function, resource, busy, allocated in samples:
                if allocated <= 0:
                    continue
                for dims in (
                    (("FunctionName", function),),
                    (("FunctionName", function), ("Resource", resource)),
                ):
                    self.put(LAMBDA, "ProvisionedConcurrentExecutions", dims, float(busy))
                    self.put(
                        LAMBDA,
                        "ProvisionedConcurrencyUtilization",
                        dims,
                        busy / allocated,
                        "None",
                    )

    def put(
        self,
        namespace: str,
        name: str,
        dims: Dimensions,
        value: float,
        unit: str = "Count",
        ts_ms: int | None = None,
    ) -> None:
        """One value of any metric (``dims`` sorted by name)."""
        now = ts_ms if ts_ms is not None else int(time.time() * 1000)
        key = (namespace, name, dims, unit, now // self._res_ms * self._res_ms)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = []
        cell.append(value)

    def lambda_metric(self, function: str, name: str, value: float, unit: str = "Count") -> None:
        """An AWS/Lambda metric of a function, under no dimension and FunctionName."""
        self.put(LAMBDA, name, (), value, unit)
        self.put(LAMBDA, name, (("FunctionName", function),), value, unit)

    # ---- flushing

    def drain(self) -> list[Datum]:
        """Everything aggregated since the last drain, as datapoints (AWS/Lambda expanded)."""
        cells, self._cells = self._cells, {}
        invokes, self._invokes = self._invokes, {}
        stats: dict[_CellKey, _Stats] = {}

        def add(
            key: _CellKey, n: float, total: float, lo: float, hi: float, hist: dict[float, float]
        ) -> None:
            st = stats.get(key)
            if st is None:
                st = stats[key] = _Stats()
            st.merge(n, total, lo, hi, hist)

        for (fn, resource, version, minute), agg in invokes.items():
            dim_sets: list[Dimensions] = [(), (("FunctionName", fn),)]
            dim_sets.append((("FunctionName", fn), ("Resource", resource)))
            if version:
                dim_sets.append(
                    (("ExecutedVersion", version), ("FunctionName", fn), ("Resource", resource))
                )
            durations = agg.durations
            dur = (
                (
                    float(len(durations)),
                    sum(durations),
                    min(durations),
                    max(durations),
                    _histogram(durations, 2),
                )
                if durations
                else None
            )
            # counts as AWS samples them: Invocations 1 per invoke, Errors 0 or 1 per invoke (its
            # Average is the error rate), Throttles 1 per throttled request
            inv, err, thr = agg.invocations, agg.errors, agg.throttles
            samples = []
            if inv:
                samples.append(("Invocations", float(inv), float(inv), 1.0, 1.0, {1.0: float(inv)}))
                hist = {v: c for v, c in ((0.0, float(inv - err)), (1.0, float(err))) if c}
                lo, hi = (0.0 if err < inv else 1.0), (1.0 if err else 0.0)
                samples.append(("Errors", float(inv), float(err), lo, hi, hist))
            if thr:
                samples.append(("Throttles", float(thr), float(thr), 1.0, 1.0, {1.0: float(thr)}))
            peak = float(agg.concurrency)
            for dims in dim_sets:
                for name, n, total, lo, hi, hist in samples:
                    add((LAMBDA, name, dims, "Count", minute), n, total, lo, hi, hist)
                if dur is not None:
                    add((LAMBDA, "Duration", dims, "Milliseconds", minute), *dur)
                if inv and len(dims) < 3:  # ConcurrentExecutions: by function and resource
                    key = (LAMBDA, "ConcurrentExecutions", dims, "Count", minute)
                    add(key, 1.0, peak, peak, peak, {peak: 1.0})
            if inv:
                u = float(agg.unreserved)
                add(
                    (LAMBDA, "UnreservedConcurrentExecutions", (), "Count", minute),
                    1.0,
                    u,
                    u,
                    u,
                    {u: 1.0},
                )
        for key, values in cells.items():
            add(key, float(len(values)), sum(values), min(values), max(values), _histogram(values))
        return [
            st.datum(MetricKey(ns, name, dims), minute, unit)
            for (ns, name, dims, unit, minute), st in stats.items()
        ]

    async def flush(self) -> None:
        self.sample()
        batch = self._unsent + self.drain()
        self._unsent = []
        if not batch:
            return
        try:
            await asyncio.to_thread(self._writer.put_data, batch)
        except Exception:
            excess = len(batch) - self._max_pending
            if excess > 0:
                del batch[:excess]
                self.dropped += excess
            self._unsent = batch
            raise

    async def start(self) -> None:
        self.supervisor.loop(LOOP, self._step)

    async def _step(self) -> None:
        await asyncio.sleep(self._interval)
        await self.flush()

    async def close(self) -> None:
        await self.supervisor.stop(LOOP)
        try:
            await self.flush()
        except Exception:
            log.exception("could not persist the last metrics at shutdown")
