"""The /metrics exporter on fake sources: each family's values, histogram shape, the routes it
claims (a signed ``/metrics`` is S3's), and that two exporters never share a number."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from ovis.frontdoor.prometheus import MappingView, MetricsEndpoint, MetricSources
from ovis.frontdoor.request_stats import Latencies, RequestStats
from ovis.sandbox.instance import State
from ovis.services.lambda_.esm.poller import MappingStats
from tests.unit.sandbox.fakes import FakeInstance, spec


def _instance(name: str, n: int, state: State, frozen: bool = False) -> FakeInstance:
    inst = FakeInstance(spec(name), n)
    inst.state, inst.frozen = state, frozen
    return inst


def endpoint(**over: Any) -> MetricsEndpoint:
    async def backlog() -> list[tuple[str, int, int]]:
        return [("f", 2, 10_000)]

    async def depths() -> list[tuple[str, tuple[int, int, int]]]:
        return [("q", (5, 1, 2))]

    parts: dict[str, Any] = {
        "requests": RequestStats(),
        "instances": lambda: [
            _instance("f", 1, State.BUSY),
            _instance("f", 2, State.IDLE, frozen=True),
            _instance("f", 3, State.IDLE, frozen=True),
        ],
        "cold_starts": lambda: {"f": 3},
        "mappings": lambda: [
            MappingView("u1", "arn:fn", "arn:src", MappingStats(polled=7, processed=6, failed=1))
        ],
        "async_backlog": backlog,
        "queue_depths": depths,
        "clock_ms": lambda: 12_500,
    }
    parts.update(over)
    return MetricsEndpoint(MetricSources(**parts))


def samples(ep: MetricsEndpoint) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = asyncio.run(ep.scrape()).decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


def test_every_family_reports_its_source() -> None:
    ep = endpoint()
    ep.sources.requests.add("lambda", "Invoke", 200, 2.0)
    ep.sources.requests.add("lambda", "Invoke", 200, 40.0)
    ep.sources.requests.add("lambda", "Invoke", 429, 0.1)
    ep.sources.store.observe("transaction", 0.002)
    s = samples(ep)
    assert (
        s[key("ovis_api_requests_total", service="lambda", operation="Invoke", status="200")] == 2
    )
    assert (
        s[key("ovis_api_requests_total", service="lambda", operation="Invoke", status="429")] == 1
    )
    inv = {"service": "lambda", "operation": "Invoke"}
    assert s[key("ovis_api_request_duration_seconds_count", **inv)] == 3
    assert s[key("ovis_api_request_duration_seconds_bucket", **inv, le="0.0025")] == 2
    assert s[key("ovis_api_request_duration_seconds_bucket", **inv, le="0.05")] == 3
    assert abs(s[key("ovis_api_request_duration_seconds_sum", **inv)] - 0.0421) < 1e-9
    assert s[key("ovis_instances", function="f", state="busy", kind="on_demand")] == 1
    assert s[key("ovis_instances", function="f", state="frozen", kind="on_demand")] == 2
    assert s[key("ovis_cold_starts_total", function="f")] == 3
    assert s[key("ovis_async_events_pending", function="f")] == 2
    assert s[key("ovis_async_oldest_event_age_seconds", function="f")] == 2.5
    assert s[key("ovis_sqs_messages", queue="q", state="visible")] == 5
    assert s[key("ovis_sqs_messages", queue="q", state="not_visible")] == 1
    assert s[key("ovis_sqs_messages", queue="q", state="delayed")] == 2
    ids = {"uuid": "u1", "function_arn": "arn:fn", "event_source_arn": "arn:src"}
    assert s[key("ovis_event_source_mapping_records_total", **ids, outcome="polled")] == 7
    assert s[key("ovis_event_source_mapping_records_total", **ids, outcome="failed")] == 1
    assert s[key("ovis_store_commit_duration_seconds_count", kind="transaction")] == 1
    assert s[key("ovis_store_commit_duration_seconds_bucket", kind="transaction", le="0.001")] == 0


def test_two_exporters_share_nothing() -> None:
    a, b = endpoint(), endpoint()
    a.sources.requests.add("sqs", "SendMessage", 200, 1.0)
    sa, sb = samples(a), samples(b)
    k = key("ovis_api_requests_total", service="sqs", operation="SendMessage", status="200")
    assert sa[k] == 1 and k not in sb


def test_histogram_count_is_its_inf_bucket() -> None:
    lat = Latencies((0.1, 1.0))
    for v in (0.05, 0.1, 0.5, 3.0):
        lat.observe(v)
    buckets, count, total = lat.cumulative()
    assert buckets == [("0.1", 2), ("1.0", 3), ("+Inf", 4)]  # le is inclusive
    assert count == 4 and abs(total - 3.65) < 1e-9


def _scope(path: str, method: str = "GET", **extra: Any) -> dict[str, Any]:
    return {"path": path, "method": method, "headers": [], "query_string": b"", **extra}


def test_routes_claimed() -> None:
    ep = endpoint()
    assert ep.match(_scope("/metrics")) is True
    assert ep.match(_scope("/_ovis/metrics")) is True
    assert ep.match(_scope("/metrics", "PUT")) is None
    assert ep.match(_scope("/metrics/key")) is None
    # signed: an S3 request to a bucket named "metrics"
    signed = _scope("/metrics", headers=[(b"authorization", b"AWS4-HMAC-SHA256 ...")])
    assert ep.match(signed) is None
    presigned = _scope("/metrics", query_string=b"X-Amz-Signature=abc&X-Amz-Date=1")
    assert ep.match(presigned) is None
    assert ep.match(_scope("/_ovis/metrics", headers=signed["headers"])) is True
