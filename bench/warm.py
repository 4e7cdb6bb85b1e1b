"""Warm invoke latency and throughput: Ovis (zygote and exec spawn modes) vs a bare server.

For each Ovis spawn mode: start `python -m ovis server`, create a trivial python3.11 function,
wait until Active, warm it, then run the harness in latency mode (1 connection, sequential) and
throughput mode (C connections for T seconds). The bare asyncio server gets the same load; the
ratio Ovis/bare is the price of everything Ovis does on top of an HTTP round trip.

  python bench/warm.py                 # zygote + exec + bare, default sizes
  python bench/warm.py --modes zygote  # just one spawn mode
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import asdict, dataclass

from common import (
    check_invoke,
    create_function,
    fmt,
    fmt_ratio,
    lambda_client,
    pinned,
    print_table,
    start_bare_server,
    start_ovis,
    write_results,
)
from harness import (
    Target,
    install_uvloop,
    invoke_path,
    run_latency,
    run_throughput,
    single_request,
)

FUNCTION_NAME = "bench-warm"


@dataclass
class WarmSizes:
    requests: int = 1000  # timed sequential requests (latency mode)
    warmup: int = 100  # untimed sequential requests before them
    concurrency: int = 16
    duration: float = 5.0  # seconds of timed throughput load
    warmup_s: float = 1.0  # seconds of untimed load at the same concurrency


def check_target(target: Target) -> None:
    """One request through the harness itself must return 200 and the handler's result."""
    _, resp = asyncio.run(single_request(target))
    if resp.status != 200 or b"ok" not in resp.body:
        raise RuntimeError(f"{target.url}{target.path}: {resp.status} {resp.body[:300]!r}")


def measure(target: Target, sizes: WarmSizes) -> dict:
    """Latency then throughput against one target; both results in one dict."""
    check_target(target)
    latency = asyncio.run(run_latency(target, sizes.requests, sizes.warmup))
    throughput = asyncio.run(
        run_throughput(target, sizes.concurrency, sizes.duration, sizes.warmup_s)
    )
    return {"latency": latency, "throughput": throughput}


def bench_bare(sizes: WarmSizes) -> dict:
    """The reference: client and bare server pinned to different CPUs.

    Unpinned, the kernel sometimes runs both on one vCPU (a ~15 us round trip) and sometimes
    on two (~90 us: a cross-vCPU wake-up), so the floor would flip between runs. Pinned
    apart is the stable, realistic case; the same-CPU latency is recorded beside it.
    """
    if (os.cpu_count() or 1) < 2:
        server, url = start_bare_server()
        with server:
            return measure(Target(url, invoke_path(FUNCTION_NAME)), sizes)
    server, url = start_bare_server(cpu=1)
    target = Target(url, invoke_path(FUNCTION_NAME))
    with server:
        with pinned(0):
            result = measure(target, sizes)
        with pinned(1):
            result["latency_same_cpu"] = asyncio.run(
                run_latency(target, sizes.requests, sizes.warmup)
            )
    result["placement"] = "client cpu0, server cpu1 (latency_same_cpu: both cpu1)"
    return result


def prepare_function(endpoint: str, name: str = FUNCTION_NAME) -> None:
    """Create the trivial handler, wait until Active, and invoke it once (warm)."""
    client = lambda_client(endpoint)
    create_function(client, name)
    check_invoke(client, name)


def bench_ovis(spawn_mode: str, sizes: WarmSizes) -> dict:
    server, url = start_ovis(spawn_mode)
    with server:
        prepare_function(url)
        result = measure(Target(url, invoke_path(FUNCTION_NAME)), sizes)
        if not server.alive():
            raise RuntimeError(f"ovis ({spawn_mode}) died during the run:\n{server.log_tail()}")
        return result


def rows_for(results: dict[str, dict]) -> list[list[str]]:
    bare = results.get("bare")
    rows = []
    for name, res in results.items():
        lat, thr = res["latency"], res["throughput"]
        ratio_p50 = lat["p50_ms"] / bare["latency"]["p50_ms"] if bare else None
        ratio_rps = thr["rps"] / bare["throughput"]["rps"] if bare else None
        rows.append(
            [
                name,
                fmt(lat["p50_ms"], 3),
                fmt(lat["p99_ms"], 3),
                fmt(thr["rps"], 0),
                fmt(thr["p50_ms"], 2),
                fmt(thr["p99_ms"], 2),
                str(lat["errors"] + thr["errors"]),
                fmt_ratio(ratio_p50, 1),
                fmt_ratio(ratio_rps, 4),
            ]
        )
    return rows


HEADERS = [
    "target",
    "warm p50 ms",
    "warm p99 ms",
    "req/s",
    "load p50 ms",
    "load p99 ms",
    "errors",
    "p50 / bare",
    "req/s / bare",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="zygote,exec", help="comma-separated spawn modes")
    parser.add_argument("-n", "--requests", type=int, default=WarmSizes.requests)
    parser.add_argument("-c", "--concurrency", type=int, default=WarmSizes.concurrency)
    parser.add_argument("-t", "--duration", type=float, default=WarmSizes.duration)
    args = parser.parse_args()
    sizes = WarmSizes(requests=args.requests, concurrency=args.concurrency, duration=args.duration)
    loop_name = install_uvloop()

    results = {"bare": bench_bare(sizes)}
    for mode in filter(None, args.modes.split(",")):
        results[f"ovis-{mode}"] = bench_ovis(mode, sizes)

    print(f"\nwarm invokes (client loop: {loop_name}, {sizes.concurrency} connections for load)")
    print_table(HEADERS, rows_for(results))
    path = write_results("warm", {"sizes": asdict(sizes), "results": results})
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()
