"""The platform's CloudWatch metrics: an in-memory per-minute aggregator on the hot path, a
supervised loop writing what it aggregated in batches.

Contract: ``invocation()``, ``throttle()`` and ``put()`` only update dicts on the event-loop
thread (no I/O, no lock, no allocation beyond the first datum of a key in a minute); the
AWS/Lambda dimension sets (none, FunctionName, FunctionName+Resource, and +ExecutedVersion for
qualified invokes) are expanded at flush time, not per invoke. ``flush()`` writes everything
aggregated so far as standard-resolution datapoints stamped with their minute, in one
transaction (queries add up the several rows a minute may get); if the write fails the batch is
kept and retried by the next flush, bounded by ``max_pending`` keys (oldest dropped, counted in
``dropped``). Metrics are telemetry: the last ``interval_s`` of aggregates may be lost on a
kill -9, and nothing waits for them. ``close()`` stops the loop and makes a last flush.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Protocol

from ovis.models.metric import Datum, Dimensions, MetricKey
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)
LOOP = "metrics-flush"
LAMBDA = "AWS/Lambda"


class MetricWriter(Protocol):
    """``ovis.storage.sqlite.SqliteMetrics.put_data``: durable on return, one transaction."""

    def put_data(self, data: Sequence[Datum]) -> None: ...


class _Cell:
    """count, sum, min, max and the values seen, of one metric in one minute."""

    __slots__ = ("count", "maximum", "minimum", "total", "values")

    def __init__(self) -> None:
        self.count = 0.0
        self.total = 0.0
        self.minimum = float("inf")
        self.maximum = float("-inf")
        self.values: list[float] = []

    def add(self, v: float) -> None:
        self.count += 1
        self.total += v
        if v < self.minimum:
            self.minimum = v
        if v > self.maximum:
            self.maximum = v
        self.values.append(v)


class _Invokes:
    """One (function, resource, version)'s invocations in one minute."""

    __slots__ = ("concurrency", "durations", "errors", "invocations", "throttles", "unreserved")

    def __init__(self) -> None:
        self.invocations = 0
        self.errors = 0
        self.throttles = 0
        self.durations = _Cell()
        self.concurrency = _Cell()
        self.unreserved = _Cell()  # the account's unreserved pool in use


# key of a generic cell: (namespace, name, dimensions, unit, minute ms)
_CellKey = tuple[str, str, Dimensions, str, int]
# key of invocations: (function, resource, executed version or "", minute ms)
_InvokeKey = tuple[str, str, str, int]


def _histogram(values: list[float]) -> dict[float, float]:
    """Values rounded to 4 significant digits, counted: percentiles stay within 0.05%, and the
    stored distribution stays small however many invokes a minute had."""
    out: dict[float, float] = {}
    for v in values:
        r = float(f"{v:.4g}")
        out[r] = out.get(r, 0.0) + 1.0
    return out


def _datum(key: MetricKey, minute: int, unit: str, cell: _Cell) -> Datum:
    return Datum(
        key,
        minute,
        unit,
        cell.count,
        cell.total,
        cell.minimum,
        cell.maximum,
        _histogram(cell.values),
    )


class PlatformMetrics:
    name = LOOP

    def __init__(
        self,
        writer: MetricWriter,
        supervisor: Supervisor | None = None,
        interval_s: float = 1.0,
        max_pending: int = 100_000,
    ) -> None:
        self._writer = writer
        self._interval = interval_s
        self._max_pending = max_pending
        self._cells: dict[_CellKey, _Cell] = {}
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
        minute = int(time.time()) // 60 * 60_000
        key = (function, resource, version, minute)
        agg = self._invokes.get(key)
        if agg is None:
            agg = self._invokes[key] = _Invokes()
        agg.invocations += 1
        if error:
            agg.errors += 1
        agg.durations.add(duration_ms)
        agg.concurrency.add(float(concurrent))
        agg.unreserved.add(float(unreserved))

    def throttle(self, function: str, resource: str, version: str = "") -> None:
        minute = int(time.time()) // 60 * 60_000
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
        key = (namespace, name, dims, unit, now // 60_000 * 60_000)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = _Cell()
        cell.add(value)

    def lambda_metric(self, function: str, name: str, value: float, unit: str = "Count") -> None:
        """An AWS/Lambda metric of a function, under no dimension and FunctionName."""
        self.put(LAMBDA, name, (), value, unit)
        self.put(LAMBDA, name, (("FunctionName", function),), value, unit)

    # ---- flushing

    def drain(self) -> list[Datum]:
        """Everything aggregated since the last drain, as datapoints (AWS/Lambda expanded)."""
        cells, self._cells = self._cells, {}
        invokes, self._invokes = self._invokes, {}
        merged: dict[_CellKey, _Cell] = {}
        # counts as AWS samples them: Invocations 1 per invoke, Errors 0 or 1 per invoke (its
        # Average is the error rate), Throttles 1 per throttled request: key -> (ones, samples)
        counts: dict[_CellKey, list[float]] = {}
        key: _CellKey
        for (fn, resource, version, minute), agg in invokes.items():
            if agg.unreserved.count:
                key = (LAMBDA, "UnreservedConcurrentExecutions", (), "Count", minute)
                _merge(merged, key, agg.unreserved)
            dim_sets: list[Dimensions] = [(), (("FunctionName", fn),)]
            dim_sets.append((("FunctionName", fn), ("Resource", resource)))
            if version:
                dim_sets.append(
                    (("ExecutedVersion", version), ("FunctionName", fn), ("Resource", resource))
                )
            for dims in dim_sets:
                samples = (
                    ("Invocations", agg.invocations, agg.invocations),
                    ("Errors", agg.errors, agg.invocations),
                    ("Throttles", agg.throttles, agg.throttles),
                )
                for name, ones, n in samples:  # (name, ones, samples)
                    if n:
                        c = counts.setdefault((LAMBDA, name, dims, "Count", minute), [0.0, 0.0])
                        c[0] += ones
                        c[1] += n
                if agg.durations.count:
                    _merge(
                        merged, (LAMBDA, "Duration", dims, "Milliseconds", minute), agg.durations
                    )
                if agg.concurrency.count and len(dims) < 3:
                    key = (LAMBDA, "ConcurrentExecutions", dims, "Count", minute)
                    _merge(merged, key, agg.concurrency)
        out: list[Datum] = []
        for (ns, name, dims, unit, minute), (ones_f, n_f) in counts.items():
            zeros = n_f - ones_f
            dist: dict[float, float] = {v: c for v, c in ((0.0, zeros), (1.0, ones_f)) if c}
            lo = 0.0 if zeros else 1.0
            hi = 1.0 if ones_f else 0.0
            out.append(Datum(MetricKey(ns, name, dims), minute, unit, n_f, ones_f, lo, hi, dist))
        for (ns, name, dims, unit, minute), cell in (*merged.items(), *cells.items()):
            out.append(_datum(MetricKey(ns, name, dims), minute, unit, cell))
        return out

    async def flush(self) -> None:
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


def _merge(into: dict[_CellKey, _Cell], key: _CellKey, cell: _Cell) -> None:
    have = into.get(key)
    if have is None:
        have = into[key] = _Cell()
    have.count += cell.count
    have.total += cell.total
    have.minimum = min(have.minimum, cell.minimum)
    have.maximum = max(have.maximum, cell.maximum)
    have.values.extend(cell.values)
