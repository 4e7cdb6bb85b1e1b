"""EventBridge: PutEvents -> Lambda handler latency (p50/p99), one event at a time (boto3) and
in a concurrent burst (pre-signed PutEvents of one entry over keep-alive connections), and the
burst's accepted and handled events per second.

A script, not a test. Starts its own Ovis server, a rule on the default bus whose target is a
Python function (allowed by a resource policy for events.amazonaws.com), and measures from just
before each PutEvents request to the moment the handler starts (the handler returns
time.time(); the async invocation records carry it and the event). Every acknowledged
PutEvents has its deliveries committed (fsync) before it answers; delivery goes through the
durable async queue (another commit) to a warm instance.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ACCESS_KEY,
    REGION,
    ROLE_ARN,
    SECRET_KEY,
    lambda_client,
    machine_info,
    percentile,
    print_table,
    start_ovis,
    write_results,
)
from harness import Connection, Target, install_uvloop

HANDLER = "import time\ndef handler(e, c):\n    return time.time()\n"
SOURCE = "bench.events"


def client(url: str, service: str):  # type: ignore[no-untyped-def]
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 0}, read_timeout=120, max_pool_connections=64),
    )


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


def setup(url: str, name: str) -> None:
    lam = lambda_client(url)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", HANDLER)
    fn = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Handler="app.handler",
        Role=ROLE_ARN,
        Code={"ZipFile": buf.getvalue()},
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1})
    ev = client(url, "events")
    rule_arn = ev.put_rule(Name=name, EventPattern=json.dumps({"source": [SOURCE]}))["RuleArn"]
    lam.add_permission(
        FunctionName=name,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    ev.put_targets(Rule=name, Targets=[{"Id": "fn", "Arn": fn}])
    lam.invoke(FunctionName=name)  # a warm instance before measuring


def put(ev, run: str, i: int) -> None:  # type: ignore[no-untyped-def]
    detail = json.dumps({"run": run, "i": i, "sent": time.time()})
    r = ev.put_events(Entries=[{"Source": SOURCE, "DetailType": "bench", "Detail": detail}])
    assert r["FailedEntryCount"] == 0, r


def cpu_s(pid: int) -> float:
    """User + system seconds the process has used (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def handled(url: str, name: str, run: str, count: int) -> dict[str, tuple[float, float]]:
    """Event id -> (detail's sent time, handler start) of ``run``'s events, once all ran."""
    deadline = time.monotonic() + 600
    while True:
        out = {}
        for r in admin(url, f"/async/results?function={name}")["Results"]:
            rec = json.loads(r["record"])
            event = rec.get("requestPayload") or {}
            detail = event.get("detail") or {}
            if detail.get("run") == run and isinstance(rec.get("responsePayload"), float):
                out[event["id"]] = (detail.get("sent", 0.0), rec["responsePayload"])
        if len(out) >= count or time.monotonic() > deadline:
            return out
        time.sleep(0.2)


async def burst(url: str, count: int, connections: int) -> dict[str, float]:
    """``count`` pre-signed PutEvents (one entry each); event id -> request start time."""
    detail = json.dumps({"run": "burst"})
    body = json.dumps(
        {"Entries": [{"Source": SOURCE, "DetailType": "bench", "Detail": detail}]}
    ).encode()
    headers = {
        "X-Amz-Target": "AWSEvents.PutEvents",
        "Content-Type": "application/x-amz-json-1.1",
    }
    target = Target(url, "/", body, headers)
    sent: dict[str, float] = {}
    todo = iter(range(count))

    async def worker() -> None:
        conn = await Connection.open(target.host, target.port)
        try:
            for _ in todo:
                t = time.time()
                resp = await conn.request(target.raw())
                if resp.status == 200:
                    sent[json.loads(resp.body)["Entries"][0]["EventId"]] = t
                await conn.reopen_if_closing()
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    install_uvloop()
    server, url = start_ovis()
    rows, results = [], []
    try:
        name = "events-bench"
        setup(url, name)
        ev = client(url, "events")
        for i in range(args.sequential):
            put(ev, "seq", i)
        seq = [(h - t) * 1000 for t, h in handled(url, name, "seq", args.sequential).values()]
        results.append({"mode": "sequential", "events": args.sequential, "ms": seq})
        rows.append(
            [
                "one at a time (boto3)",
                str(len(seq)),
                "-",
                "-",
                f"{percentile(seq, 50):.1f}",
                f"{percentile(seq, 99):.1f}",
                "-",
            ]
        )
        cpu0 = cpu_s(server.proc.pid)
        t0 = time.time()
        sent = asyncio.run(burst(url, args.burst, args.connections))
        accepted_s = time.time() - t0
        done = handled(url, name, "burst", len(sent))
        done_s = max(h for _, h in done.values()) - t0
        # the server process's CPU per event: accept, match, commit, deliver, async invoke
        # (the instances and the zygote are other processes); the admin polls are included
        cpu_ms = (cpu_s(server.proc.pid) - cpu0) * 1000 / max(1, len(done))
        ms = [(h - sent[i]) * 1000 for i, (_, h) in done.items() if i in sent]
        results.append(
            {
                "mode": "burst",
                "events": args.burst,
                "connections": args.connections,
                "accept_per_s": len(sent) / accepted_s,
                "handled_per_s": len(done) / done_s,
                "server_cpu_ms_per_event": cpu_ms,
                "ms": ms,
            }
        )
        rows.append(
            [
                f"burst, {args.connections} connections",
                f"{len(done)}/{len(sent)}",
                f"{len(sent) / accepted_s:.0f}",
                f"{len(done) / done_s:.0f}",
                f"{percentile(ms, 50):.1f}",
                f"{percentile(ms, 99):.1f}",
                f"{cpu_ms:.2f}",
            ]
        )
    finally:
        server.stop()
    print_table(
        [
            "PutEvents",
            "events",
            "accepted/s",
            "handled/s",
            "p50 ms",
            "p99 ms",
            "server CPU ms/event",
        ],
        rows,
    )
    for r in results:
        r["p50_ms"], r["p99_ms"] = percentile(r["ms"], 50), percentile(r["ms"], 99)
        del r["ms"]
    write_results("events", {"machine": machine_info(), "results": results})


if __name__ == "__main__":
    main()
