"""What one `GET /metrics` scrape costs at 1,000 functions' worth of state.

Two measurements:

- **render** (in process): ``MetricsEndpoint.scrape()`` over ``MetricSources`` holding N
  functions' worth of numbers: 3 instances each (idle, busy, frozen) plus one provisioned,
  a cold-start count, an async backlog row, an SQS mapping with its counters, a queue's three
  depths, and API request counts/latency histograms for 20 operations. The store reads are
  answered from memory here, so this is the cost of building and formatting the document on
  the event loop (the part that holds up other requests).
- **live** (a real server): N SQS queues, N functions and N SQS event source mappings (one
  queue -> one function each) created with boto3, then sequential `GET /metrics` over HTTP:
  end to end, including the store reads (async backlog, one depth read per queue) off the
  loop thread. No instances run (N warm instances would be N processes); the render part
  above covers them.

  python bench/prometheus_scrape.py            # N = 1000, 50 scrapes
  python bench/prometheus_scrape.py --quick    # N = 100, 20 scrapes
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from common import (
    ACCESS_KEY,
    REGION,
    ROLE_ARN,
    SECRET_KEY,
    fmt,
    handler_zip,
    lambda_client,
    machine_info,
    percentile,
    print_table,
    start_ovis,
    write_results,
)

from ovis.frontdoor.prometheus import MappingView, MetricsEndpoint, MetricSources
from ovis.frontdoor.request_stats import RequestStats
from ovis.sandbox.instance import State
from ovis.services.lambda_.esm.poller import MappingStats


@dataclass
class _Spec:
    key: tuple[str, str, str]


@dataclass
class _Instance:
    """The fields of a pooled instance the collector reads."""

    spec: _Spec
    state: State
    frozen: bool = False
    provisioned_for: tuple[str, str] | None = None


def sources(n: int) -> MetricSources:
    names = [f"fn-{i:04d}" for i in range(n)]
    instances: list[Any] = []
    for name in names:
        spec = _Spec((name, "$LATEST", "r1"))
        instances += [
            _Instance(spec, State.IDLE),
            _Instance(spec, State.BUSY),
            _Instance(spec, State.IDLE, frozen=True),
            _Instance(_Spec((name, "1", "r1")), State.IDLE, provisioned_for=(name, "live")),
        ]
    requests = RequestStats()
    for i in range(20):
        for status in (200, 400):
            requests.add("lambda", f"Operation{i}", status, 1.5)
    arn = "arn:aws:{}:us-east-1:000000000000:{}"
    mappings = [
        MappingView(
            f"uuid-{i:04d}",
            arn.format("lambda", f"function:{name}"),
            arn.format("sqs", f"q-{i:04d}"),
            MappingStats(polled=10, processed=9, failed=1, invocations=5),
        )
        for i, name in enumerate(names)
    ]
    backlog = [(name, 3, int(time.time() * 1000) - 5000) for name in names]
    depths = [(f"q-{i:04d}", (5, 1, 0)) for i in range(n)]

    async def read_backlog() -> list[tuple[str, int, int]]:
        return backlog

    async def read_depths() -> list[tuple[str, tuple[int, int, int]]]:
        return depths

    return MetricSources(
        requests=requests,
        instances=lambda: instances,
        cold_starts=lambda: {name: 2 for name in names},
        mappings=lambda: mappings,
        async_backlog=read_backlog,
        queue_depths=read_depths,
    )


def render(n: int, scrapes: int) -> dict[str, float]:
    endpoint = MetricsEndpoint(sources(n))

    async def run() -> tuple[list[float], int]:
        body = await endpoint.scrape()  # warm-up
        times = []
        for _ in range(scrapes):
            t0 = time.perf_counter()
            body = await endpoint.scrape()
            times.append((time.perf_counter() - t0) * 1000)
        return times, len(body)

    times, size = asyncio.run(run())
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": percentile(times, 99),
        "bytes": float(size),
    }


def _client(service: str, url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 0}, max_pool_connections=16),
    )


def _scrape(url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url + "/metrics", timeout=60) as r:
        body = r.read()
    return (time.perf_counter() - t0) * 1000, len(body)


def live(n: int, scrapes: int) -> dict[str, float]:
    server, url = start_ovis()
    try:
        empty = statistics.median(_scrape(url)[0] for _ in range(10))
        sqs, lam = _client("sqs", url), lambda_client(url)
        code = handler_zip()

        def make(i: int) -> None:
            q = sqs.create_queue(QueueName=f"q-{i:04d}")["QueueUrl"]
            qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            lam.create_function(
                FunctionName=f"fn-{i:04d}",
                Runtime="python3.11",
                Role=ROLE_ARN,
                Handler="index.handler",
                Code={"ZipFile": code},
                MemorySize=128,
            )
            lam.create_event_source_mapping(EventSourceArn=qarn, FunctionName=f"fn-{i:04d}")
            sqs.send_message(QueueUrl=q, MessageBody="x", DelaySeconds=900)  # a delayed depth

        t0 = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(make, range(n)))
        setup_s = time.perf_counter() - t0
        _scrape(url)  # warm-up
        samples = [_scrape(url) for _ in range(scrapes)]
        times = [t for t, _ in samples]
        return {
            "empty_p50_ms": empty,
            "p50_ms": statistics.median(times),
            "p99_ms": percentile(times, 99),
            "bytes": float(samples[-1][1]),
            "setup_s": setup_s,
        }
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--functions", type=int, default=1000)
    ap.add_argument("--scrapes", type=int, default=50)
    ap.add_argument("--quick", action="store_true", help="N = 100, 20 scrapes")
    args = ap.parse_args()
    n, scrapes = (100, 20) if args.quick else (args.functions, args.scrapes)
    r = render(n, scrapes)
    lv = live(n, scrapes)
    print(f"{n} functions' worth; {scrapes} scrapes each; {machine_info()}")
    print_table(
        ["measurement", "p50 ms", "p99 ms", "document KB"],
        [
            ["render (in process, 4 instances/function)", fmt(r["p50_ms"]), fmt(r["p99_ms"]),
             fmt(r["bytes"] / 1024, 0)],
            ["live GET /metrics, empty server", fmt(lv["empty_p50_ms"]), "", ""],
            [f"live GET /metrics, {n} queues+functions+mappings", fmt(lv["p50_ms"]),
             fmt(lv["p99_ms"]), fmt(lv["bytes"] / 1024, 0)],
        ],
    )  # fmt: skip
    print(f"(live setup: {lv['setup_s']:.1f} s)")
    path = write_results("prometheus_scrape", {"n": n, "render": r, "live": lv})
    print(f"results: {path}")


if __name__ == "__main__":
    main()
