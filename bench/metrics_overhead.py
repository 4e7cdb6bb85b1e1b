"""The price of CloudWatch metrics on the warm invoke path: metrics on (the default) vs off
(`--no-metrics`).

With metrics on, every invoke updates the in-memory per-minute aggregator (AWS/Lambda's
Invocations, Errors, Duration, ConcurrentExecutions...) and every log line gets a substring
test for EMF; a supervised loop writes the aggregates once a second. Each round starts a
fresh server per setting, creates a trivial python3.11 function, warms it, and runs the
harness in latency mode (1 connection, sequential) and throughput mode (C connections for T
seconds); rounds alternate on/off so drift on a shared machine hits both alike. The table
shows the median over rounds, and checks that the metrics really were recorded.

  python bench/metrics_overhead.py            # 3 rounds each
  python bench/metrics_overhead.py --rounds 5 -n 2000 -t 5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import (
    Server,
    fmt,
    free_port,
    ovis_source,
    print_table,
    project_python,
    wait_http_ok,
    write_results,
)
from harness import Target, install_uvloop, invoke_path, run_latency
from server_cpu import cpu_s
from warm import FUNCTION_NAME, WarmSizes, measure, prepare_function


def start(metrics: bool) -> tuple[Server, str]:
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    argv = [project_python(), "-m", "ovis", "server", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--data-dir", str(data)]
    if not metrics:
        argv.append("--no-metrics")
    src = ovis_source()
    server = Server(
        f"ovis-metrics-{'on' if metrics else 'off'}",
        argv,
        env={"PYTHONPATH": str(src)},
        cwd=src,
        scratch=[data],
    )
    url = f"http://127.0.0.1:{port}"
    wait_http_ok(url + "/_ovis/health", server, timeout=60)
    return server, url


def recorded_invocations(url: str) -> float:
    """Invocations the server recorded for the function (waits for the 1 s flush)."""
    import boto3

    cw = boto3.client(
        "cloudwatch",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    now = datetime.now(UTC)
    deadline = time.monotonic() + 10
    total = 0.0
    while time.monotonic() < deadline:
        points = cw.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="Invocations",
            Dimensions=[{"Name": "FunctionName", "Value": FUNCTION_NAME}],
            StartTime=now - timedelta(hours=1),
            EndTime=now + timedelta(minutes=5),
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        total = sum(p["Sum"] for p in points)
        if total:
            time.sleep(1.5)  # one more flush, so the last aggregates are in
            points = cw.get_metric_statistics(
                Namespace="AWS/Lambda",
                MetricName="Invocations",
                Dimensions=[{"Name": "FunctionName", "Value": FUNCTION_NAME}],
                StartTime=now - timedelta(hours=1),
                EndTime=now + timedelta(minutes=5),
                Period=3600,
                Statistics=["Sum"],
            )["Datapoints"]
            return float(sum(p["Sum"] for p in points))
        time.sleep(0.2)
    return total


def one(metrics: bool, sizes: WarmSizes) -> dict:
    server, url = start(metrics)
    with server:
        prepare_function(url)
        target = Target(url, invoke_path(FUNCTION_NAME))
        result = measure(target, sizes)
        # the server process's own CPU per warm invoke: steadier than latency on a busy host
        before = cpu_s(server.proc.pid)
        asyncio.run(run_latency(target, sizes.requests, 0))
        result["server_cpu_us"] = (cpu_s(server.proc.pid) - before) / sizes.requests * 1e6
        result["recorded_invocations"] = recorded_invocations(url)
        if not server.alive():
            raise RuntimeError(f"server died:\n{server.log_tail()}")
    return result


HEADERS = ["setting", "warm p50 ms", "warm p99 ms", "req/s", "load p99 ms"]


def hook_cost_ns(n: int = 200_000) -> dict[str, float]:
    """In process: what the invoke path's metrics hooks cost per invoke (no server)."""
    import sys

    sys.path.insert(0, str(ovis_source()))
    from ovis.invoke.metrics import PlatformMetrics
    from ovis.logs.emf import emit_emf

    class Nowhere:
        def put_data(self, data: object) -> None: ...

    def empty(a: object, b: object, c: object, d: object, e: object, f: object, g: object) -> None:
        pass

    t0 = time.perf_counter()
    for _ in range(n):
        empty("fn", "fn", "", 1.25, False, 1, 1)
    empty_call = (time.perf_counter() - t0) / n * 1e9  # the scale: a call doing nothing
    m = PlatformMetrics(Nowhere())
    t0 = time.perf_counter()
    for _ in range(n):
        m.invocation("fn", "fn", "", 1.25, False, 1, 1)
    invocation = (time.perf_counter() - t0) / n * 1e9
    t0 = time.perf_counter()
    m.drain()
    drain = (time.perf_counter() - t0) * 1e9
    lines = [
        "START RequestId: 8f5e Version: $LATEST",
        "END RequestId: 8f5e",
        "REPORT RequestId: 8f5e\tDuration: 1.25 ms\tBilled Duration: 2 ms",
    ]
    t0 = time.perf_counter()
    for _ in range(n):
        emit_emf(lines, m)
    emf = (time.perf_counter() - t0) / n * 1e9
    return {
        "empty_call_ns": empty_call,
        "invocation_ns": invocation,
        "emf_scan_ns": emf,
        "drain_200k_invokes_ns": drain,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-n", "--requests", type=int, default=WarmSizes.requests)
    parser.add_argument("-c", "--concurrency", type=int, default=WarmSizes.concurrency)
    parser.add_argument("-t", "--duration", type=float, default=WarmSizes.duration)
    args = parser.parse_args()
    sizes = WarmSizes(requests=args.requests, concurrency=args.concurrency, duration=args.duration)
    loop_name = install_uvloop()
    runs: dict[str, list[dict]] = {"metrics on": [], "metrics off": []}
    for _ in range(args.rounds):
        runs["metrics on"].append(one(True, sizes))
        runs["metrics off"].append(one(False, sizes))
    rows = []
    med = {}
    for name, rs in runs.items():
        m = {
            "p50": statistics.median(r["latency"]["p50_ms"] for r in rs),
            "p99": statistics.median(r["latency"]["p99_ms"] for r in rs),
            "rps": statistics.median(r["throughput"]["rps"] for r in rs),
            "load_p99": statistics.median(r["throughput"]["p99_ms"] for r in rs),
            "recorded": statistics.median(r["recorded_invocations"] for r in rs),
            "cpu_us": statistics.median(r["server_cpu_us"] for r in rs),
        }
        med[name] = m
        rows.append(
            [
                name,
                fmt(m["p50"], 3),
                fmt(m["p99"], 3),
                fmt(m["rps"], 0),
                fmt(m["load_p99"], 2),
                fmt(m["cpu_us"], 0),
                fmt(m["recorded"], 0),
            ]
        )
    on, off = med["metrics on"], med["metrics off"]
    print(f"\nwarm invokes, median of {args.rounds} rounds (client loop: {loop_name})")
    print_table(
        [*HEADERS, "server CPU us/invoke", "Invocations recorded"],
        rows,
    )
    print(
        f"\nmetrics on / off: p50 {on['p50'] / off['p50']:.3f}x, "
        f"req/s {on['rps'] / off['rps']:.3f}x, server CPU {on['cpu_us'] / off['cpu_us']:.3f}x"
    )
    hooks = hook_cost_ns()
    print(
        f"in process: invocation() {hooks['invocation_ns']:.0f} ns, EMF scan of an invoke's "
        f"3 lines {hooks['emf_scan_ns']:.0f} ns (an empty 7-argument call: "
        f"{hooks['empty_call_ns']:.0f} ns); draining 200,000 invokes' aggregates "
        f"{hooks['drain_200k_invokes_ns'] / 1e6:.0f} ms"
    )
    path = write_results(
        "metrics_overhead", {"sizes": asdict(sizes), "runs": runs, "median": med, "hooks": hooks}
    )
    print(f"JSON: {path}")


if __name__ == "__main__":
    main()
