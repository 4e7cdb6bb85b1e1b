"""The console's functions list at 1,000 functions: how long one page takes to answer.

Starts `python -m ovis server` on a loopback port with a throwaway data dir, creates N functions
(default 1,000) with boto3 from a few threads, signs in to the console over HTTP (session
cookie, CSRF token) and times `GET /console/api/functions` as the list page asks for it: the
first page, a middle page, the last page, a search, and sorts by memory and last modified.
For reference, one boto3 ListFunctions page of 50 (what an SDK user pays per page).
Everything stays on 127.0.0.1; every phase is bounded in time.

  python bench/console_list.py             # 1,000 functions, 30 requests per query
  python bench/console_list.py -n 2500 -r 20
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common import (
    ROLE_ARN,
    fmt,
    handler_zip,
    lambda_client,
    print_table,
    start_ovis,
    summarize_ms,
    write_results,
)


class Console:
    """A cookie-keeping HTTP client of /console/api, as the browser is."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.csrf = ""

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/console/api" + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        with self.opener.open(req, timeout=60) as resp:
            return json.loads(resp.read())

    def sign_in(self) -> None:
        self.csrf = self.api("GET", "/session")["CsrfToken"]
        self.csrf = self.api("POST", "/signin", {"AccessKeyId": "test", "SecretAccessKey": "test"})[
            "CsrfToken"
        ]


def create_many(client: Any, count: int, threads: int) -> float:
    package = handler_zip()

    def one(i: int) -> None:
        client.create_function(
            FunctionName=f"bench-list-{i:05d}",
            Runtime="python3.11",
            Role=ROLE_ARN,
            Handler="index.handler",
            Code={"ZipFile": package},
            MemorySize=128 + (i % 8) * 64,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used (/proc/PID/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn: Any, repeats: int, pid: int) -> dict[str, float]:
    """Latency of ``fn`` (sequential calls) and the server's CPU per call: the CPU figure hardly
    moves with other work on the machine, the latency does."""
    fn()  # warm-up
    samples = []
    cpu0 = cpu_seconds(pid)
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    cpu_ms = (cpu_seconds(pid) - cpu0) * 1000 / repeats
    return {**summarize_ms(samples), "server_cpu_ms": cpu_ms}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--functions", type=int, default=1000)
    ap.add_argument("-r", "--repeats", type=int, default=30)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()

    server, url = start_ovis()
    try:
        client = lambda_client(url)
        made_s = create_many(client, args.functions, args.threads)
        print(f"created {args.functions} functions in {made_s:.1f} s")
        pid = server.proc.pid
        console = Console(url)
        console.sign_in()
        last = (args.functions + 24) // 25
        queries = {
            "page 1 by name": "?page=1&size=25",
            f"page {last // 2} by name": f"?page={last // 2}&size=25",
            f"page {last} by name": f"?page={last}&size=25",
            "search '00042'": "?q=00042&page=1&size=25",
            "sort memory desc": "?sort=memory&order=desc&page=3&size=25",
            "sort modified asc": "?sort=modified&order=asc&page=2&size=100",
        }
        rows = []
        results: dict[str, Any] = {}
        for label, qs in queries.items():
            out = console.api("GET", "/functions" + qs)
            assert out["Total"] == (1 if "search" in label else args.functions), out["Total"]
            stats = timed(lambda qs=qs: console.api("GET", "/functions" + qs), args.repeats, pid)
            results[label] = stats
            rows.append(
                [
                    label,
                    fmt(stats["p50_ms"]),
                    fmt(stats["p99_ms"]),
                    fmt(stats["mean_ms"]),
                    fmt(stats["server_cpu_ms"]),
                ]
            )
        stats = timed(lambda: client.list_functions(MaxItems=50), args.repeats, pid)
        results["boto3 ListFunctions MaxItems=50"] = stats
        rows.append(
            [
                "boto3 ListFunctions, 50",
                fmt(stats["p50_ms"]),
                fmt(stats["p99_ms"]),
                fmt(stats["mean_ms"]),
                fmt(stats["server_cpu_ms"]),
            ]
        )
        print(f"GET /console/api/functions at {args.functions} functions, {args.repeats} each")
        print_table(["query", "p50 ms", "p99 ms", "mean ms", "server CPU ms"], rows)
        load = os.getloadavg()
        print(f"load average while measuring: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        path = write_results(
            "console_list",
            {
                "functions": args.functions,
                "repeats": args.repeats,
                "load": load,
                "results": results,
            },
        )
        print(f"results: {path}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
