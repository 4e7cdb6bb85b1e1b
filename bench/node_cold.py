"""Node.js runtime latency: cold (forced by UpdateFunctionConfiguration) and warm Invoke.

Starts its own Ovis server (zygote spawn mode, throwaway data dir), creates a trivial nodejs
function (`exports.handler = async () => ({ok: true})`) and, for comparison, the same python3.11
function, then for each:
  cold  N rounds: UpdateFunctionConfiguration (new env value), wait for function_updated_v2,
        time one Invoke (fresh connection, X-Amz-Log-Type: Tail); Init Duration from REPORT;
  warm  K sequential Invokes on one keep-alive connection after W warm-up ones.
Also measured: the floor of a bare `node -e 0` process (clean environment), i.e. what a
pre-started node process could save at most per cold start.

  python bench/node_cold.py                 # 30 cold rounds, 1000 warm requests
  python bench/node_cold.py -n 10 -k 200 --no-python
  python bench/node_cold.py --runtime nodejs22.x --esm   # another Node runtime; an index.mjs
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import subprocess
import time
import zipfile

from cold import run_cold
from common import (
    FAST_WAITER,
    HANDLER_SOURCE,
    ROLE_ARN,
    OtherLoad,
    check_invoke,
    fmt,
    lambda_client,
    print_table,
    start_ovis,
    summarize_ms,
    write_results,
)
from harness import Target, install_uvloop, invoke_path, run_latency

NODE_SOURCE = "exports.handler = async () => ({ ok: true });\n"
NODE_ESM_SOURCE = "export const handler = async () => ({ ok: true });\n"
ESM = False  # --esm: the Node function is an ES module (index.mjs)


def node_runtime() -> tuple[str, str]:
    """(runtime name, node path) for the node on PATH."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not installed")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    return f"nodejs{version.stdout.strip().lstrip('v').split('.')[0]}.x", node


def zip_one(name: str, source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, source)
    return buf.getvalue()


def create(client, name: str, runtime: str) -> None:
    if not runtime.startswith("nodejs"):
        files = ("index.py", HANDLER_SOURCE)
    else:
        files = ("index.mjs", NODE_ESM_SOURCE) if ESM else ("index.js", NODE_SOURCE)
    client.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE_ARN,
        Handler="index.handler",
        Code={"ZipFile": zip_one(*files)},
        Timeout=30,
        MemorySize=128,
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST_WAITER)
    check_invoke(client, name)


def node_floor(node: str, rounds: int) -> dict:
    """Wall time of `node -e 0` with an empty environment (as inside an instance)."""
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([node, "-e", "0"], env={}, check=True)
        samples.append((time.perf_counter() - t0) * 1000)
    return summarize_ms(samples)


SLEEPY_NODE = (
    "exports.handler = async (e) => { await new Promise(r => setTimeout(r, e.ms || 0));"
    " return 1; };\n"
)


def scale_out(url: str, steps: int = 8, gap_s: float = 0.4, hold_ms: int = 4000) -> dict:
    """Overlapping invocations that each hold an instance: every new one is a scale-out.
    Counts how many had to cold start (Init Duration in their log tail) and their overhead."""
    import base64
    import json
    import threading

    client = lambda_client(url)
    name = "bench-node-scaleout"
    client.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=ROLE_ARN,
        Handler="index.handler",
        Code={"ZipFile": zip_one("index.js", SLEEPY_NODE)},
        Timeout=30,
        MemorySize=128,
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST_WAITER)
    out: list[tuple[bool, float]] = []

    def one() -> None:
        t0 = time.perf_counter()
        r = client.invoke(
            FunctionName=name, Payload=json.dumps({"ms": hold_ms}).encode(), LogType="Tail"
        )
        elapsed = (time.perf_counter() - t0) * 1000 - hold_ms
        out.append(("Init Duration" in base64.b64decode(r["LogResult"]).decode(), elapsed))

    threads = []
    for _ in range(steps):
        t = threading.Thread(target=one)
        t.start()
        threads.append(t)
        time.sleep(gap_s)
    for t in threads:
        t.join()
    overheads = [e for _, e in out]
    return {
        "invocations": len(out),
        "cold": sum(1 for c, _ in out if c),
        "overhead_ms": summarize_ms(overheads),
    }


def bench(runtime: str, url: str, cold_rounds: int, warm_requests: int, warmup: int) -> dict:
    client = lambda_client(url)
    name = f"bench-{runtime.replace('.', '-')}"
    create(client, name, runtime)
    cold = run_cold(url, name, cold_rounds)
    warm = asyncio.run(run_latency(Target(url, invoke_path(name)), warm_requests, warmup))
    return {"cold": cold, "warm": warm}


HEADERS = [
    "runtime",
    "cold p50 ms",
    "cold p99 ms",
    "init p50 ms",
    "init p99 ms",
    "warm p50 ms",
    "warm p99 ms",
    "n cold/warm",
]


def row(name: str, res: dict) -> list[str]:
    c, i, w = res["cold"]["client"], res["cold"]["init_duration"], res["warm"]
    return [
        name,
        fmt(c["p50_ms"]),
        fmt(c["p99_ms"]),
        fmt(i["p50_ms"]),
        fmt(i["p99_ms"]),
        fmt(w["p50_ms"], 3),
        fmt(w["p99_ms"], 3),
        f"{c['n']}/{w['n']}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--cold-rounds", type=int, default=30)
    parser.add_argument("-k", "--warm-requests", type=int, default=1000)
    parser.add_argument("-w", "--warmup", type=int, default=100)
    parser.add_argument("--no-python", action="store_true", help="skip the python3.11 baseline")
    parser.add_argument("--runtime", help="the Node runtime (default: the node on PATH's)")
    parser.add_argument("--esm", action="store_true", help="an ES module handler (index.mjs)")
    args = parser.parse_args()
    global ESM
    ESM = args.esm
    install_uvloop()
    runtime, node = node_runtime()
    runtime = args.runtime or runtime
    load = OtherLoad()
    results: dict[str, dict] = {}
    server, url = start_ovis("zygote")
    with server:
        results[runtime] = bench(runtime, url, args.cold_rounds, args.warm_requests, args.warmup)
        if not args.no_python:
            results["python3.11"] = bench(
                "python3.11", url, args.cold_rounds, args.warm_requests, args.warmup
            )
        scaling = scale_out(url)
        if not server.alive():
            raise RuntimeError(f"ovis died during the run:\n{server.log_tail()}")
    floor = node_floor(node, 20)
    other = load.percent()
    print(
        f"\n{runtime} vs python3.11 on Ovis (zygote mode); other load on the machine: {other:.0f}%"
    )
    print_table(HEADERS, [row(name, res) for name, res in results.items()])
    print(
        f"\nbare `node -e 0` (empty env): p50 {fmt(floor['p50_ms'])} ms, "
        f"p99 {fmt(floor['p99_ms'])} ms"
    )
    over = scaling["overhead_ms"]
    print(
        f"\nscale-out ({scaling['invocations']} overlapping invocations, each holding an "
        f"instance): {scaling['cold']} cold starts; overhead p50 {fmt(over['p50_ms'])} ms, "
        f"max {fmt(over['max_ms'])} ms"
    )
    for res in results.values():
        res["cold"].pop("samples_ms", None)
    path = write_results(
        "node_cold",
        {
            "runtime": runtime,
            "cold_rounds": args.cold_rounds,
            "warm_requests": args.warm_requests,
            "other_load_percent": other,
            "node_floor": floor,
            "results": results,
        },
    )
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()
