"""Function URL throughput and latency: requests/s, p50 and p99 through a function URL.

Starts `python -m ovis server` on a loopback port with a throwaway data dir, creates the trivial
python3.11 function with a public (AuthType NONE) URL, then drives it with the keep-alive load
client of harness.py: C connections (default 16) sending GET requests back to back for T seconds
(after 2 s of warm-up, which also starts the instances), addressed by host name
(Host: <url-id>.lambda-url.<region>.localhost:<port>) and by path (/_ovis/url/<url-id>/).
For reference, the same load on the signed Invoke API.
Everything stays on 127.0.0.1; every phase is bounded in time.

  python bench/url_bench.py                 # 16 connections, 5 s per target
  python bench/url_bench.py -c 16 -t 10
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from common import (
    create_function,
    fmt,
    lambda_client,
    print_table,
    start_ovis,
    write_results,
)
from harness import Target, install_uvloop, invoke_path, run_throughput, single_request

FUNCTION_NAME = "bench-url"


@dataclass
class UrlTarget(Target):
    """A plain (unsigned) keep-alive GET to a function URL."""

    host_header: str = ""

    def raw(self) -> bytes:
        if not self._raw:
            head = (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host_header}\r\n"
                "User-Agent: ovis-url-bench\r\nConnection: keep-alive\r\n\r\n"
            )
            self._raw = head.encode("latin-1")
        return self._raw


def setup(endpoint: str) -> str:
    """Create the function and its public URL; return the url-id."""
    lam = lambda_client(endpoint)
    create_function(lam, FUNCTION_NAME)
    url = lam.create_function_url_config(FunctionName=FUNCTION_NAME, AuthType="NONE")
    lam.add_permission(
        FunctionName=FUNCTION_NAME,
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    return urlsplit(url["FunctionUrl"]).hostname.split(".")[0]  # type: ignore[union-attr]


async def measure(endpoint: str, url_id: str, concurrency: int, duration: float) -> dict:
    netloc = urlsplit(endpoint).netloc
    port = netloc.rsplit(":", 1)[1]
    targets = {
        "url (host name)": UrlTarget(
            endpoint, "/bench?x=1", host_header=f"{url_id}.lambda-url.us-east-1.localhost:{port}"
        ),
        "url (path form)": UrlTarget(
            endpoint, f"/_ovis/url/{url_id}/bench?x=1", host_header=netloc
        ),
        "Invoke API (signed)": Target(endpoint, invoke_path(FUNCTION_NAME)),
    }
    results = {}
    for label, target in targets.items():
        _ms, resp = await single_request(target)
        if resp.status != 200:
            raise SystemExit(f"{label}: HTTP {resp.status}: {resp.body[:200]!r}")
        results[label] = await run_throughput(target, concurrency, duration, warmup_s=2.0)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-c", "--concurrency", type=int, default=16)
    ap.add_argument("-t", "--duration", type=float, default=5.0, help="seconds per target")
    args = ap.parse_args()
    if not 1 <= args.concurrency <= 256 or not 0 < args.duration <= 120:
        raise SystemExit("concurrency must be 1..256 and duration 0..120 s")
    loop = install_uvloop()
    server, endpoint = start_ovis("zygote")
    try:
        url_id = setup(endpoint)
        results = asyncio.run(measure(endpoint, url_id, args.concurrency, args.duration))
    finally:
        server.stop()
    rows = [
        [
            label,
            fmt(r["rps"], 0),
            fmt(r["p50_ms"], 3),
            fmt(r["p99_ms"], 3),
            str(r["requests"]),
            str(r["errors"]),
        ]
        for label, r in results.items()
    ]
    print(
        f"{args.concurrency} keep-alive connections, {args.duration:g} s each, client loop {loop}"
    )
    print_table(["target", "req/s", "p50 ms", "p99 ms", "requests", "errors"], rows)
    path = write_results(
        "url_bench",
        {"concurrency": args.concurrency, "duration_s": args.duration, "results": results},
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
