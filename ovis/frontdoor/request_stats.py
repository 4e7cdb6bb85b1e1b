"""Counts and latency buckets of API requests, kept in memory for the ``/metrics`` scrape.

Contract: ``add()`` runs on every request the AWS front door answers (the warm Invoke path
included), so it costs about a counter increment: a dict lookup, two additions and a bisect
into a short tuple of bucket bounds; no lock, no I/O, no formatting (it runs on the event loop
thread only; about 1.5 us, a third of a labelled ``prometheus_client.Counter.inc()``).
``snapshot()`` copies the numbers for the Prometheus collector. Counts start at
zero with the server and are never reset (Prometheus counters; a restart is a counter reset,
which ``rate()`` handles).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

# Upper bounds in seconds (Prometheus's convention), ``le`` inclusive; +Inf is implicit.
REQUEST_BUCKETS_S: tuple[float, ...] = (
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
    2.5,
    5.0,
    10.0,
    30.0,
)


@dataclass
class Latencies:
    """One histogram: per-bucket (not cumulative) counts, the last one +Inf, and the sum."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total_s: float = 0.0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.total_s += seconds

    def cumulative(self) -> tuple[list[tuple[str, int]], int, float]:
        """(``le`` buckets with cumulative counts, +Inf last; count; sum) for exposition. The
        count is the +Inf bucket's, so the two agree even if an observation lands mid-copy."""
        counts = list(self.counts)
        out: list[tuple[str, int]] = []
        running = 0
        for bound, n in zip([*map(repr, self.bounds), "+Inf"], counts, strict=True):
            running += n
            out.append((bound, running))
        return out, running, self.total_s


class RequestStats:
    def __init__(self, bounds: tuple[float, ...] = REQUEST_BUCKETS_S) -> None:
        self.bounds = bounds
        self.requests: dict[tuple[str, str, int], int] = {}  # (service, operation, status)
        self.latency: dict[tuple[str, str], Latencies] = {}  # (service, operation)

    def add(self, service: str, operation: str, status: int, ms: float) -> None:
        key = (service, operation, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        lat = self.latency.get((service, operation))
        if lat is None:
            lat = self.latency[(service, operation)] = Latencies(self.bounds)
        seconds = ms / 1000.0
        lat.counts[bisect_left(self.bounds, seconds)] += 1  # observe(), inlined: per request
        lat.total_s += seconds

    def snapshot(
        self,
    ) -> tuple[dict[tuple[str, str, int], int], dict[tuple[str, str], Latencies]]:
        return dict(self.requests), dict(self.latency)
