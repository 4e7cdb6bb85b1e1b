"""SNS topics: Publish -> Lambda handler latency, and fan-out throughput to 10 SQS queues.

A script, not a test. Starts its own Ovis server (loopback only; every loop is bounded).

1. Latency: ``--messages`` Publish calls one after another (boto3) to a topic with one Lambda
   subscription; each message carries its send time, the handler returns the time it started,
   and the async results give the difference: Publish sent -> handler running (the Publish
   commit, the outbox, the delivery loop, the policy-checked async invoke, the async queue).
2. Fan-out: ``--fanout-messages`` Publish requests (pre-signed, over 16 keep-alive
   connections) to a topic with 10 SQS subscriptions (JSON envelopes, signed); measured until
   every queue holds every message. Reported: publishes accepted/s and deliveries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ACCESS_KEY,
    REGION,
    ROOT,
    SECRET_KEY,
    machine_info,
    percentile,
    print_table,
    start_ovis,
    write_results,
)
from harness import Connection, install_uvloop

HANDLER = "import time\ndef handler(e, c):\n    return time.time()\n"
ACCOUNT = "000000000000"


def client(url: str, service: str):  # type: ignore[no-untyped-def]
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, read_timeout=120),
    )


def admin(url: str, path: str) -> dict:  # type: ignore[type-arg]
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(method="GET", url=url + "/_ovis/admin" + path)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "lambda", REGION).add_auth(req)
    r = urllib.request.Request(req.url, headers=dict(req.headers.items()))
    with urllib.request.urlopen(r, timeout=120) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def signed_publish(url: str, topic: str, message: str) -> bytes:
    """A complete HTTP/1.1 Publish request (query protocol), SigV4-signed for ``sns``."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = urllib.parse.urlencode(
        {"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic, "Message": message}
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    request = AWSRequest(method="POST", url=url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sns", REGION).add_auth(request)
    lines = ["POST / HTTP/1.1", f"Host: {urlsplit(url).netloc}"]
    lines += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "host"]
    lines += [f"Content-Length: {len(body)}", "Connection: keep-alive"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def latency(url: str, count: int) -> dict[str, float]:
    lam, sns = client(url, "lambda"), client(url, "sns")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", HANDLER)
    name = "sns-bench"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Handler="app.handler",
        Role=f"arn:aws:iam::{ACCOUNT}:role/bench",
        Code={"ZipFile": buf.getvalue()},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1})
    topic = sns.create_topic(Name="latency")["TopicArn"]
    fn_arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lam.add_permission(
        FunctionName=name,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)
    for i in range(5):  # warm the instance and the signing key
        sns.publish(TopicArn=topic, Message=json.dumps({"warm": i}))
    deadline = time.monotonic() + 120
    while (
        time.monotonic() < deadline
        and len(admin(url, f"/async/results?function={name}")["Results"]) < 5
    ):
        time.sleep(0.1)
    for _ in range(count):
        sns.publish(TopicArn=topic, Message=json.dumps({"sent": time.time()}))
    deadline = time.monotonic() + 300
    records: list[dict] = []  # type: ignore[type-arg]
    while time.monotonic() < deadline:
        records = admin(url, f"/async/results?function={name}")["Results"]
        if len(records) >= count + 5:
            break
        time.sleep(0.2)
    samples = []
    for r in records:
        rec = json.loads(r["record"])
        msg = json.loads(rec["requestPayload"]["Records"][0]["Sns"]["Message"])
        if "sent" in msg and isinstance(rec.get("responsePayload"), float):
            samples.append((rec["responsePayload"] - msg["sent"]) * 1000)
    return {
        "messages": count,
        "delivered": len(samples),
        "p50_ms": percentile(samples, 50),
        "p99_ms": percentile(samples, 99),
        "max_ms": max(samples) if samples else 0.0,
    }


async def publish_all(url: str, raw: bytes, count: int, connections: int) -> int:
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    ok = 0
    todo = iter(range(count))

    async def worker() -> None:
        nonlocal ok
        conn = await Connection.open(host, port)
        try:
            for _ in todo:
                resp = await conn.request(raw)
                ok += resp.status == 200
                await conn.reopen_if_closing()
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return ok


def fanout(url: str, count: int, subscribers: int, connections: int) -> dict[str, float]:
    sns, sqs = client(url, "sns"), client(url, "sqs")
    topic = sns.create_topic(Name="fanout")["TopicArn"]
    urls = []
    for i in range(subscribers):
        q = sqs.create_queue(QueueName=f"fanout-{i}")["QueueUrl"]
        urls.append(q)
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:fanout-{i}"
        )
    sns.publish(TopicArn=topic, Message="warm")  # the signing key; not counted below
    want = 1
    raw = signed_publish(url, topic, "x" * 200)
    t0 = time.time()
    accepted = asyncio.run(publish_all(url, raw, count, connections))
    t_accepted = time.time()
    want += accepted
    deadline = time.monotonic() + 600
    counts = [0] * subscribers
    while time.monotonic() < deadline:
        counts = [
            int(
                sqs.get_queue_attributes(
                    QueueUrl=q, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]["ApproximateNumberOfMessages"]
            )
            for q in urls
        ]
        if all(c >= want for c in counts):
            break
        time.sleep(0.1)
    t_done = time.time()
    delivered = sum(counts) - subscribers  # the warm-up message
    return {
        "messages": count,
        "subscribers": subscribers,
        "accepted": accepted,
        "publish_per_s": accepted / (t_accepted - t0),
        "deliveries": delivered,
        "deliveries_per_s": delivered / (t_done - t0),
        "seconds": t_done - t0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--fanout-messages", type=int, default=2000)
    parser.add_argument("--subscribers", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    install_uvloop()
    server, url = start_ovis()
    try:
        lat = latency(url, args.messages)
        fan = fanout(url, args.fanout_messages, args.subscribers, args.connections)
    finally:
        server.stop()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    print_table(
        ["Publish -> Lambda handler", "p50 ms", "p99 ms", "max ms", "delivered"],
        [
            [
                f"{lat['messages']} sequential publishes",
                f"{lat['p50_ms']:.1f}",
                f"{lat['p99_ms']:.1f}",
                f"{lat['max_ms']:.1f}",
                f"{lat['delivered']}/{lat['messages']}",
            ]
        ],
    )
    print_table(
        ["fan-out", "publishes/s", "deliveries/s", "delivered", "seconds"],
        [
            [
                f"{fan['messages']} x {fan['subscribers']} SQS subscribers",
                f"{fan['publish_per_s']:.0f}",
                f"{fan['deliveries_per_s']:.0f}",
                f"{fan['deliveries']}/{fan['accepted'] * fan['subscribers']}",
                f"{fan['seconds']:.1f}",
            ]
        ],
    )
    write_results(
        "sns", {"machine": machine_info(), "commit": commit, "latency": lat, "fanout": fan}
    )


if __name__ == "__main__":
    main()
