"""Kinesis event source mappings: PutRecord -> handler latency and bulk records/s.

A script, not a test. Starts its own Ovis server (and, with --peer, ministack: installed into
bench/.peer-venv as bench/peer_ministack.py does) and, on each:
- creates a stream (1 shard), a Python function whose handler sends its time of receipt and
  the records' ids in a UDP datagram to this script (loopback, no AWS call on the handler's
  path), and a mapping (TRIM_HORIZON, MaximumBatchingWindowInSeconds 0);
- latency: N PutRecord calls one after another, each waiting for the handler's datagram;
  latency = handler start - PutRecord's return (negative when the handler started before the
  response reached the client: the record is committed before the response leaves);
- bulk: PutRecords of 500 records from 4 threads, records/s from the first put to the last
  record received by the handler (BatchSize 500);
- backlog: the same records put while the mapping is disabled, then enabled: records/s from
  the enabling UpdateEventSourceMapping to the last record received (the poller alone).

  python bench/esm_kinesis.py [-n 300] [--bulk 20000] [--peer]
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ACCESS_KEY,
    REGION,
    ROLE_ARN,
    SECRET_KEY,
    machine_info,
    percentile,
    print_table,
    start_ovis,
    write_results,
)

HANDLER = """
import base64, json, os, socket, time
S = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ADDR = ("127.0.0.1", int(os.environ["BENCH_PORT"]))

def handler(event, context):
    t = time.time()
    recs = event.get("Records", [])
    ids = [base64.b64decode(r["kinesis"]["data"]).decode() for r in recs[:20]]
    S.sendto(json.dumps({"t": t, "n": len(recs), "ids": ids}).encode(), ADDR)
    return {}
"""


class Receiver:
    """Collects the handler's datagrams; ``wait_for(id)`` returns the receipt time of an id."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.port = self.sock.getsockname()[1]
        self.seen: dict[str, float] = {}
        self.count = 0
        self.last_t = 0.0
        self.cond = threading.Condition()
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            data, _ = self.sock.recvfrom(65536)
            msg = json.loads(data)
            with self.cond:
                for i in msg["ids"]:
                    self.seen.setdefault(i, msg["t"])
                self.count += msg["n"]
                self.last_t = max(self.last_t, msg["t"])
                self.cond.notify_all()

    def wait(self, pred: Callable[[], bool], timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(pred, timeout)


def clients(url: str) -> tuple[Any, Any]:
    import boto3
    from botocore.config import Config

    cfg = Config(
        retries={"max_attempts": 2}, read_timeout=60, connect_timeout=5, max_pool_connections=16
    )
    kw: dict[str, Any] = dict(
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=cfg,
    )
    return boto3.client("lambda", **kw), boto3.client("kinesis", **kw)


def handler_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.py", HANDLER)
    return buf.getvalue()


def setup(
    url: str, rx: Receiver, batch_size: int, enabled: bool = True
) -> tuple[Any, Any, str, str]:
    """A stream, a function and a mapping; returns (lambda, kinesis, stream name, uuid)."""
    lam, kin = clients(url)
    tag = uuid.uuid4().hex[:8]
    name, fn = f"bench-esk-{tag}", f"bench-eskfn-{tag}"
    kin.create_stream(StreamName=name, ShardCount=1)
    deadline = time.monotonic() + 60
    while True:
        desc = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if desc["StreamStatus"] == "ACTIVE":
            break
        if time.monotonic() > deadline:
            raise TimeoutError("stream never ACTIVE")
        time.sleep(0.05)
    lam.create_function(
        FunctionName=fn,
        Runtime="python3.11",
        Role=ROLE_ARN,
        Handler="index.handler",
        Code={"ZipFile": handler_zip()},
        Timeout=30,
        MemorySize=256,
        Environment={"Variables": {"BENCH_PORT": str(rx.port)}},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=fn, WaiterConfig={"Delay": 0.1})
    m = lam.create_event_source_mapping(
        FunctionName=fn,
        EventSourceArn=desc["StreamARN"],
        StartingPosition="TRIM_HORIZON",
        BatchSize=batch_size,
        MaximumBatchingWindowInSeconds=0,
        Enabled=enabled,
    )
    wait_state(lam, m["UUID"], "Enabled" if enabled else "Disabled")
    return lam, kin, name, m["UUID"]


def wait_state(lam: Any, mapping_uuid: str, state: str) -> None:
    deadline = time.monotonic() + 120
    while lam.get_event_source_mapping(UUID=mapping_uuid)["State"] != state:
        if time.monotonic() > deadline:
            raise TimeoutError(f"mapping never {state}")
        time.sleep(0.05)


def latency(url: str, n: int) -> dict[str, Any]:
    rx = Receiver()
    _lam, kin, stream, _ = setup(url, rx, 100)
    # warm: the first record starts an instance (a cold start is not what this measures)
    kin.put_record(StreamName=stream, Data=b"warm", PartitionKey="k")
    if not rx.wait(lambda: "warm" in rx.seen, 60):
        raise TimeoutError("the handler never ran")
    samples: list[float] = []
    from_call: list[float] = []
    calls: list[float] = []
    lost = 0
    for i in range(n):
        rid = f"l{i}"
        called = time.time()
        kin.put_record(StreamName=stream, Data=rid.encode(), PartitionKey="k")
        returned = time.time()
        if not rx.wait(lambda rid=rid: rid in rx.seen, 10):  # type: ignore[misc]
            lost += 1
            continue
        samples.append((rx.seen[rid] - returned) * 1000)
        from_call.append((rx.seen[rid] - called) * 1000)
        calls.append((returned - called) * 1000)
    return {
        "put_call_p50_ms": percentile(calls, 50),
        "from_put_call_p50_ms": percentile(from_call, 50),
        "from_put_call_p99_ms": percentile(from_call, 99),
        "n": len(samples),
        "not_received_in_10s": lost,
        "p50_ms": percentile(samples, 50),
        "p90_ms": percentile(samples, 90),
        "p99_ms": percentile(samples, 99),
        "max_ms": max(samples) if samples else float("nan"),
    }


def bulk(url: str, total: int) -> dict[str, Any]:
    rx = Receiver()
    _lam, kin, stream, _ = setup(url, rx, 500)
    kin.put_record(StreamName=stream, Data=b"warm", PartitionKey="k")
    if not rx.wait(lambda: rx.count >= 1, 60):
        raise TimeoutError("the handler never ran")
    base = rx.count
    chunks = [list(range(i, min(total, i + 500))) for i in range(0, total, 500)]

    def put(chunk: list[int]) -> None:
        recs = [
            {"Data": f"b{i}".encode() + b"x" * 100, "PartitionKey": f"k{i % 64}"} for i in chunk
        ]
        got = kin.put_records(StreamName=stream, Records=recs)
        if got["FailedRecordCount"]:
            raise RuntimeError(f"{got['FailedRecordCount']} records refused")

    start = time.time()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, chunks))
    put_s = time.time() - start
    ok = rx.wait(lambda: rx.count - base >= total, 300)
    done_s = rx.last_t - start
    return {
        "records": total,
        "all_received": ok,
        "put_records_per_s": total / put_s,
        "end_to_end_records_per_s": (rx.count - base) / done_s if done_s > 0 else float("nan"),
        "seconds": done_s,
    }


def backlog(url: str, total: int) -> dict[str, Any]:
    """The poller alone: ``total`` records put while the mapping is disabled, then drained."""
    rx = Receiver()
    lam, kin, stream, uid = setup(url, rx, 500, enabled=False)
    for i in range(0, total, 500):
        recs = [
            {"Data": f"q{j}".encode() + b"x" * 100, "PartitionKey": f"k{j % 64}"}
            for j in range(i, min(total, i + 500))
        ]
        kin.put_records(StreamName=stream, Records=recs)
    start = time.time()
    lam.update_event_source_mapping(UUID=uid, Enabled=True)
    ok = rx.wait(lambda: rx.count >= total, 300)
    took = rx.last_t - start
    return {"records": total, "all_received": ok, "drain_records_per_s": rx.count / took}


def run(label: str, url: str, n: int, total: int) -> dict[str, Any]:
    out: dict[str, Any] = {"latency": latency(url, n)}
    out["bulk"] = bulk(url, total)
    out["backlog"] = backlog(url, total)
    lat, b = out["latency"], out["bulk"]
    print(f"\n{label}")
    print_table(
        ["metric", "value"],
        [
            ["PutRecord -> handler p50 (ms)", f"{lat['p50_ms']:.1f}"],
            ["p90 (ms)", f"{lat['p90_ms']:.1f}"],
            ["p99 (ms)", f"{lat['p99_ms']:.1f}"],
            ["PutRecord call p50 (ms)", f"{lat['put_call_p50_ms']:.1f}"],
            ["PutRecord call start -> handler p50 (ms)", f"{lat['from_put_call_p50_ms']:.1f}"],
            ["... p99 (ms)", f"{lat['from_put_call_p99_ms']:.1f}"],
            ["samples / not received", f"{lat['n']} / {lat['not_received_in_10s']}"],
            [f"bulk {b['records']} records: put/s", f"{b['put_records_per_s']:,.0f}"],
            ["bulk end to end records/s", f"{b['end_to_end_records_per_s']:,.0f}"],
            ["bulk all received", str(b["all_received"])],
            ["backlog drain records/s", f"{out['backlog']['drain_records_per_s']:,.0f}"],
            ["backlog all received", str(out["backlog"]["all_received"])],
        ],
    )
    return out


def peer(n: int, total: int) -> dict[str, Any]:
    from peer_ministack import PeerUnavailable, ensure_peer_venv, start_ministack

    try:
        version = ensure_peer_venv()
        server, url = start_ministack()
    except PeerUnavailable as exc:
        print(f"ministack: NOT MEASURED - {exc}")
        return {"error": str(exc)}
    with server:
        try:
            res = run(f"ministack {version}", url, n, total)
        except Exception as exc:  # report what happens, whatever it is
            print(f"ministack {version}: FAILED - {type(exc).__name__}: {exc}")
            return {
                "version": version,
                "error": f"{type(exc).__name__}: {exc}",
                "log_tail": server.log_tail(),
            }
    res["version"] = version
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="latency samples")
    parser.add_argument("--bulk", type=int, default=20_000, help="records in the bulk load")
    parser.add_argument("--peer", action="store_true", help="also measure ministack")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine_info()}
    server, url = start_ovis()
    with server:
        results["ovis"] = run("ovis", url, args.n, args.bulk)
    if args.peer:
        results["ministack"] = peer(args.n, args.bulk)
    print(f"\nJSON: {write_results('esm_kinesis', results)}")


if __name__ == "__main__":
    main()
