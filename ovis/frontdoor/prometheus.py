"""``GET /metrics``: the server's numbers in Prometheus's text exposition format, for operators.

Served on the API port, unauthenticated like ``/_ovis/health`` (AWS has no such endpoint; the
server binds loopback unless told otherwise, and nothing here names more than functions,
queues and mappings). ``/metrics`` is claimed only when unsigned (no ``Authorization`` header,
no ``X-Amz-Signature``), so a signed S3 call to a bucket named ``metrics`` still reaches S3;
``/_ovis/metrics`` always answers the same document.

Contract: nothing here is on the invoke path. Every number is read at scrape time from where it
already lives (``MetricSources``): request counts and latency buckets from the front door's
``RequestStats``, instances and cold starts from the instance manager's pools, mapping counters
from the pollers' ``MappingStats``, commit times from the store's ``on_commit`` observer; the
async backlog and the queue depths are read from the store once per scrape, off the loop
thread. Each ``Server`` has its own ``CollectorRegistry`` (several servers in one process never
share a number). Counters count since the server started.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

from ovis.frontdoor.http import Receive, Scope, Send, respond
from ovis.frontdoor.request_stats import Latencies, RequestStats
from ovis.sandbox.pooled import PooledInstance
from ovis.services.lambda_.esm.poller import MappingStats

PATHS = ("/metrics", "/_ovis/metrics")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

STORE_BUCKETS_S: tuple[float, ...] = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
)


class StoreLatency:
    """The store's ``on_commit`` observer: a histogram per write kind. Called under the engine's
    lock (never concurrently), from whichever thread wrote."""

    def __init__(self) -> None:
        self.kinds: dict[str, Latencies] = {}

    def observe(self, kind: str, seconds: float) -> None:
        lat = self.kinds.get(kind)
        if lat is None:
            lat = self.kinds[kind] = Latencies(STORE_BUCKETS_S)
        lat.observe(seconds)


@dataclass(frozen=True)
class MappingView:
    uuid: str
    function_arn: str
    event_source_arn: str
    stats: MappingStats


@dataclass(frozen=True)
class MetricSources:
    requests: RequestStats
    instances: Callable[[], Iterable[PooledInstance]]
    cold_starts: Callable[[], Mapping[str, int]]
    mappings: Callable[[], Iterable[MappingView]]
    async_backlog: Callable[[], Awaitable[list[tuple[str, int, int]]]]  # (fn, count, oldest)
    queue_depths: Callable[[], Awaitable[list[tuple[str, tuple[int, int, int]]]]]
    store: StoreLatency = field(default_factory=StoreLatency)
    clock_ms: Callable[[], int] | None = None  # epoch ms (None: time.time)


@dataclass
class _Reads:
    """What one scrape read from the store before collecting."""

    backlog: list[tuple[str, int, int]] = field(default_factory=list)
    depths: list[tuple[str, tuple[int, int, int]]] = field(default_factory=list)
    now_ms: int = 0


def _histogram(
    name: str, doc: str, labels: list[str], series: Iterable[tuple[list[str], Latencies]]
) -> HistogramMetricFamily:
    fam = HistogramMetricFamily(name, doc, labels=labels)
    for values, lat in series:
        buckets, _count, total = lat.cumulative()
        fam.add_metric(values, buckets, total)
    return fam


def _instance_state(inst: PooledInstance) -> str:
    return "frozen" if inst.frozen else inst.state.value


class OvisCollector(Collector):
    """Builds every family from the sources at collect time (on the loop thread)."""

    def __init__(self, sources: MetricSources) -> None:
        self.sources = sources
        self.reads = _Reads()

    def collect(self) -> Iterator[Metric]:
        src = self.sources
        yield from self._requests(src.requests)
        yield from self._instances()
        yield from self._async()
        yield from self._queues()
        yield from self._mappings()
        yield _histogram(
            "ovis_store_commit_duration_seconds",
            "Time a write held the SQLite connection, fsync included, by kind.",
            ["kind"],
            (([kind], lat) for kind, lat in sorted(dict(src.store.kinds).items())),
        )

    def _requests(self, stats: RequestStats) -> Iterator[Metric]:
        counts, latency = stats.snapshot()
        requests = CounterMetricFamily(
            "ovis_api_requests",
            "API requests answered, by service, operation and HTTP status.",
            labels=["service", "operation", "status"],
        )
        for (service, operation, status), n in sorted(counts.items()):
            requests.add_metric([service, operation, str(status)], n)
        yield requests
        yield _histogram(
            "ovis_api_request_duration_seconds",
            "API request latency in the front door, by service and operation.",
            ["service", "operation"],
            (([s, o], lat) for (s, o), lat in sorted(latency.items())),
        )

    def _instances(self) -> Iterator[Metric]:
        counts: dict[tuple[str, str, str], int] = {}
        for inst in self.sources.instances():
            kind = "provisioned" if inst.provisioned_for is not None else "on_demand"
            key = (inst.spec.key[0], _instance_state(inst), kind)
            counts[key] = counts.get(key, 0) + 1
        gauge = GaugeMetricFamily(
            "ovis_instances",
            "Execution environments by function, state (starting, idle, frozen, busy, dead) "
            "and kind (on_demand, provisioned).",
            labels=["function", "state", "kind"],
        )
        for (function, state, kind), n in sorted(counts.items()):
            gauge.add_metric([function, state, kind], n)
        yield gauge
        cold = CounterMetricFamily(
            "ovis_cold_starts",
            "Execution environments started for an invocation (not provisioned ahead), by "
            "function.",
            labels=["function"],
        )
        for function, n in sorted(dict(self.sources.cold_starts()).items()):
            cold.add_metric([function], n)
        yield cold

    def _async(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily(
            "ovis_async_events_pending",
            "Accepted asynchronous invocations not yet finished (waiting, retrying or running), "
            "by function.",
            labels=["function"],
        )
        age = GaugeMetricFamily(
            "ovis_async_oldest_event_age_seconds",
            "Age of the oldest unfinished asynchronous invocation, by function.",
            labels=["function"],
        )
        now = self.reads.now_ms
        for function, n, oldest_ms in self.reads.backlog:
            pending.add_metric([function], n)
            age.add_metric([function], max(0, now - oldest_ms) / 1000.0)
        yield pending
        yield age

    def _queues(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "ovis_sqs_messages",
            "Messages in each SQS queue, by state (visible, not_visible, delayed).",
            labels=["queue", "state"],
        )
        for queue, (visible, in_flight, delayed) in self.reads.depths:
            gauge.add_metric([queue, "visible"], visible)
            gauge.add_metric([queue, "not_visible"], in_flight)
            gauge.add_metric([queue, "delayed"], delayed)
        yield gauge

    def _mappings(self) -> Iterator[Metric]:
        labels = ["uuid", "function_arn", "event_source_arn"]
        age = GaugeMetricFamily(
            "ovis_event_source_mapping_iterator_age_seconds",
            "Stream mappings' lag: age of the last record read, when it was read.",
            labels=labels,
        )
        records = CounterMetricFamily(
            "ovis_event_source_mapping_records",
            "Records an event source mapping handled, by outcome (polled, filtered_out, "
            "processed, failed, dropped).",
            labels=[*labels, "outcome"],
        )
        invocations = CounterMetricFamily(
            "ovis_event_source_mapping_invocations",
            "Batches an event source mapping sent to its function.",
            labels=labels,
        )
        throttles = CounterMetricFamily(
            "ovis_event_source_mapping_throttles",
            "Batches an event source mapping could not send because the function was throttled.",
            labels=labels,
        )
        for m in sorted(self.sources.mappings(), key=lambda v: v.uuid):
            ids = [m.uuid, m.function_arn, m.event_source_arn]
            st = m.stats
            age.add_metric(ids, st.iterator_age_ms / 1000.0)
            for outcome, n in (
                ("polled", st.polled),
                ("filtered_out", st.filtered_out),
                ("processed", st.processed),
                ("failed", st.failed),
                ("dropped", st.dropped),
            ):
                records.add_metric([*ids, outcome], n)
            invocations.add_metric(ids, st.invocations)
            throttles.add_metric(ids, st.throttles)
        yield from (age, records, invocations, throttles)


def _unsigned(scope: Scope) -> bool:
    for name, _value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            return False
    return b"x-amz-signature=" not in scope.get("query_string", b"").lower()


class MetricsEndpoint:
    """A router service: ``GET /metrics`` (unsigned) and ``GET /_ovis/metrics``."""

    name = "metrics"

    def __init__(self, sources: MetricSources) -> None:
        self.sources = sources
        self.collector = OvisCollector(sources)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)

    def match(self, scope: Scope) -> bool | None:
        path = scope.get("path")
        if scope.get("method") != "GET" or path not in PATHS:
            return None
        return True if path != "/metrics" or _unsigned(scope) else None

    async def scrape(self) -> bytes:
        """The exposition document: the store reads first (off the loop thread), then every
        family built from them and the in-memory numbers, with no await in between."""
        backlog = await self.sources.async_backlog()
        depths = await self.sources.queue_depths()
        now = self.sources.clock_ms() if self.sources.clock_ms else int(time.time() * 1000)
        self.collector.reads = _Reads(backlog, depths, now)
        return generate_latest(self.registry)

    async def serve(self, scope: Scope, receive: Receive, send: Send, token: Any) -> None:
        body = await self.scrape()
        await respond(send, 200, {"Content-Type": CONTENT_TYPE}, body)
