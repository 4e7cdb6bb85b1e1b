"""SQS event source mapping throughput: messages per second from a queue through a do-nothing
function, with BatchSize 10 (no window) and BatchSize 100 (1 s window).

A script, not a test. For each configuration: a fresh queue gets N messages first
(SendMessageBatch), then the mapping is created enabled; the clock runs from the create call
until the queue is empty with nothing in flight (every message deleted after its batch
succeeded; the queue's counts are polled every 250 ms while over a tenth is left, then every
20 ms). Loopback only; every wait has a deadline.

  python bench/esm_sqs.py [--messages 20000] [--peer]    # --peer: also against ministack
"""

from __future__ import annotations

import argparse
import concurrent.futures
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    create_function,
    lambda_client,
    machine_info,
    print_table,
    start_ovis,
    write_results,
)

CONFIGS = [
    {"BatchSize": 10, "MaximumBatchingWindowInSeconds": 0},
    {"BatchSize": 100, "MaximumBatchingWindowInSeconds": 1},
]


def sqs_client(endpoint: str):  # type: ignore[no-untyped-def]
    import boto3
    from botocore.config import Config

    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 0}, read_timeout=120, max_pool_connections=16),
    )


def fill(sqs, url: str, count: int) -> float:  # type: ignore[no-untyped-def]
    """Send ``count`` small messages in batches of 10 over 8 threads; seconds it took."""
    t0 = time.monotonic()

    def batch(start: int) -> None:
        entries = [
            {"Id": str(i), "MessageBody": f'{{"n": {start + i}}}'}
            for i in range(min(10, count - start))
        ]
        r = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if r.get("Failed"):
            raise RuntimeError(f"send failed: {r['Failed'][:1]}")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(batch, range(0, count, 10)))
    return time.monotonic() - t0


def counts(sqs, url: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    a = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def run_one(url: str, function: str, count: int, config: dict[str, int]) -> dict[str, object]:
    sqs, lam = sqs_client(url), lambda_client(url)
    name = f"esm-bench-{uuid.uuid4().hex[:8]}"
    qurl = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    fill_s = fill(sqs, qurl, count)
    if counts(sqs, qurl)[0] != count:
        raise RuntimeError(f"queue holds {counts(sqs, qurl)}, not {count}")
    t0 = time.monotonic()
    mid = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=arn, **config)[
        "UUID"
    ]
    deadline = t0 + 600
    left = counts(sqs, qurl)
    while left != (0, 0):
        if time.monotonic() > deadline:
            raise RuntimeError(f"not drained after 600 s: {left}")
        # Counting scans the queue under the store's lock: look rarely while much is left,
        # then often (the end is timed to within 20 ms).
        time.sleep(0.25 if sum(left) > count // 10 else 0.02)
        left = counts(sqs, qurl)
    elapsed = time.monotonic() - t0
    got = lam.get_event_source_mapping(UUID=mid)
    lam.delete_event_source_mapping(UUID=mid)
    return {
        **config,
        "messages": count,
        "fill_s": fill_s,
        "drain_s": elapsed,
        "messages_per_s": count / elapsed,
        "last_processing_result": got.get("LastProcessingResult"),
    }


def bench(url: str, count: int) -> list[dict[str, object]]:
    lam = lambda_client(url)
    function = f"esm-bench-fn-{uuid.uuid4().hex[:6]}"
    create_function(lam, function)
    return [run_one(url, function, count, c) for c in CONFIGS]


def rows(label: str, results: list[dict[str, object]]) -> list[list[str]]:
    return [
        [
            label,
            str(r["BatchSize"]),
            str(r["MaximumBatchingWindowInSeconds"]),
            f"{r['messages']:,}",
            f"{r['drain_s']:.2f}",
            f"{r['messages_per_s']:,.0f}",
        ]
        for r in results
    ]


HEADERS = ["server", "BatchSize", "window s", "messages", "drain s", "messages/s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--peer", action="store_true", help="also run against ministack")
    parser.add_argument("--url", help="a running Ovis server instead of a fresh one")
    args = parser.parse_args()
    out: dict[str, object] = {"machine": machine_info()}
    if args.url:
        ovis = bench(args.url, args.messages)
    else:
        server, url = start_ovis()
        with server:
            ovis = bench(url, args.messages)
    out["ovis"] = ovis
    table = rows("ovis", ovis)
    if args.peer:
        from peer_ministack import PeerUnavailable, ensure_peer_venv, start_ministack

        try:
            version = ensure_peer_venv()
            peer, purl = start_ministack()
            with peer:
                try:
                    res = bench(purl, args.messages)
                except Exception as exc:
                    raise PeerUnavailable(f"{exc}\n--- log tail ---\n{peer.log_tail()}") from exc
            out["ministack"] = {"version": version, "results": res}
            table += rows(f"ministack {version}", res)
        except PeerUnavailable as exc:
            print(f"ministack: NOT MEASURED - {exc}")
            out["ministack"] = {"error": str(exc)}
    print_table(HEADERS, table)
    print(f"\nJSON: {write_results('esm_sqs', out)}")


if __name__ == "__main__":
    main()
