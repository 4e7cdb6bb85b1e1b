"""Asynchronous invocation throughput: events accepted and completed per second, and how long an
accepted event waits before its function starts, at 1k and 10k queued events.

A script, not a test. Starts its own Ovis server; the load is pre-signed Invoke requests with
`X-Amz-Invocation-Type: Event` over 16 keep-alive connections (loopback only, bounded).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    lambda_client,
    machine_info,
    percentile,
    print_table,
    start_ovis,
    write_results,
)
from harness import Connection, Target, install_uvloop, invoke_path

HANDLER = "import time\ndef handler(e, c):\n    return time.time()\n"


def admin(url: str, path: str) -> dict:  # type: ignore[type-arg]
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(method="GET", url=url + "/_ovis/admin" + path)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "lambda", REGION).add_auth(req)
    r = urllib.request.Request(req.url, headers=dict(req.headers.items()))
    with urllib.request.urlopen(r, timeout=120) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


async def send_events(target: Target, count: int, connections: int) -> dict[str, float]:
    """Send ``count`` Event invokes; returns request id -> accept time (epoch seconds)."""
    accepted: dict[str, float] = {}
    todo = iter(range(count))

    async def worker() -> None:
        conn = await Connection.open(target.host, target.port)
        try:
            for _ in todo:
                resp = await conn.request(target.raw())
                if resp.status == 202:
                    accepted[resp.header("x-amzn-RequestId") or ""] = time.time()
                await conn.reopen_if_closing()
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return accepted


def run(url: str, function: str, count: int, connections: int) -> dict[str, float]:
    target = Target(url, invoke_path(function), b"{}", {"X-Amz-Invocation-Type": "Event"})
    t0 = time.time()
    accepted = asyncio.run(send_events(target, count, connections))
    t_accepted = time.time()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and admin(url, "/async/pending")["Pending"] > 0:
        time.sleep(0.2)
    t_done = time.time()
    records = admin(url, f"/async/results?function={function}")["Results"]
    waits = []
    for r in records:
        rec = json.loads(r["record"])
        rid = rec["requestContext"]["requestId"]
        if rid in accepted and isinstance(rec.get("responsePayload"), float):
            waits.append((rec["responsePayload"] - accepted[rid]) * 1000)
    return {
        "events": count,
        "accepted": len(accepted),
        "completed": len(records),
        "accept_per_s": len(accepted) / (t_accepted - t0),
        "complete_per_s": len(records) / (t_done - t0),
        "wait_p50_ms": percentile(waits, 50),
        "wait_p99_ms": percentile(waits, 99),
        "wait_max_ms": max(waits) if waits else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    install_uvloop()
    rows, results = [], []
    for size in (int(s) for s in args.sizes.split(",")):
        server, url = start_ovis()
        try:
            client = lambda_client(url)
            name = f"async-bench-{size}"
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                zf.writestr("app.py", HANDLER)
            client.create_function(
                FunctionName=name,
                Runtime="python3.11",
                Handler="app.handler",
                Role="arn:aws:iam::000000000000:role/bench",
                Code={"ZipFile": buf.getvalue()},
            )
            client.get_waiter("function_active_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": 0.1}
            )
            res = run(url, name, size, args.connections)
        finally:
            server.stop()
        results.append(res)
        rows.append(
            [
                str(size),
                f"{res['accept_per_s']:.0f}",
                f"{res['complete_per_s']:.0f}",
                f"{res['wait_p50_ms']:.0f}",
                f"{res['wait_p99_ms']:.0f}",
                f"{res['completed']}/{res['accepted']}",
            ]
        )
    print_table(
        [
            "queued events",
            "accepted/s",
            "completed/s",
            "wait p50 ms",
            "wait p99 ms",
            "completed/accepted",
        ],
        rows,
    )
    write_results("async", {"machine": machine_info(), "results": results})


if __name__ == "__main__":
    main()
