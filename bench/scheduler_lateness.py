"""EventBridge Scheduler lateness: how long after its scheduled time each fire reaches its target.

A script, not a test. Starts its own Ovis server, creates N one-time schedules (``at(...)``, whole
seconds) spread over a window (default 200 over ~60 s), half targeting an SQS queue and half a
Lambda function, and measures per fire:

- SQS: the message's ``SentTimestamp`` (when the queue stored it) minus the scheduled time;
- Lambda: the moment the handler started (it reports ``time.time()`` through a queue) minus the
  scheduled time.

Target (issue #13): p99 <= 1 s outside a flexible window. Prints a table and writes
bench/results/scheduler-lateness-*.json.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    machine_info,
    percentile,
    print_table,
    start_ovis,
    write_results,
)

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler"
HANDLER = """
import json, os, time
import boto3
SQS = boto3.client("sqs")
def handler(event, context):
    ran = time.time()
    body = json.dumps({"due": event["due"], "ran": ran})
    SQS.send_message(QueueUrl=os.environ["RESULTS"], MessageBody=body)
"""


def client(url: str, service: str) -> Any:
    cfg = Config(retries={"max_attempts": 2}, read_timeout=60)
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=cfg,
    )


def queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def drain(sqs: Any, url: str, want: int, deadline: float) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while len(got) < want and time.time() < deadline:
        r = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        )
        msgs = r.get("Messages", [])
        for m in msgs:
            got.append(m)
        if msgs:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)
                ],
            )
    return got


def stats(samples_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50_ms": percentile(samples_ms, 50),
        "p99_ms": percentile(samples_ms, 99),
        "max_ms": max(samples_ms) if samples_ms else float("nan"),
        "min_ms": min(samples_ms) if samples_ms else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schedules", type=int, default=200)
    ap.add_argument("--window-s", type=float, default=60.0)
    ap.add_argument("--lead-s", type=float, default=8.0, help="first fire this long after start")
    args = ap.parse_args()

    server, url = start_ovis()
    try:
        sch, sqs, lam = client(url, "scheduler"), client(url, "sqs"), client(url, "lambda")
        target_url, target_arn = queue(sqs, "lateness-target")
        results_url, _ = queue(sqs, "lateness-results")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", HANDLER)
        lam.create_function(
            FunctionName="lateness",
            Runtime="python3.11",
            Role=f"arn:aws:iam::{ACCOUNT}:role/lambda",
            Handler="app.handler",
            Code={"ZipFile": buf.getvalue()},
            Environment={"Variables": {"RESULTS": results_url}},
            Timeout=10,
        )
        lam.get_waiter("function_active_v2").wait(FunctionName="lateness")
        fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:lateness"

        start = time.time() + args.lead_s
        n = args.schedules
        created_in: list[float] = []
        due_by_kind: dict[str, int] = {"sqs": 0, "lambda": 0}
        last_due = 0.0
        for i in range(n):
            due = int(start + args.window_s * i / max(n - 1, 1))  # whole seconds (at() precision)
            last_due = max(last_due, due)
            at = datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            kind = "sqs" if i % 2 == 0 else "lambda"
            due_by_kind[kind] += 1
            target = (
                {"Arn": target_arn, "RoleArn": ROLE, "Input": str(due * 1000)}
                if kind == "sqs"
                else {"Arn": fn_arn, "RoleArn": ROLE, "Input": json.dumps({"due": due * 1000})}
            )
            t0 = time.perf_counter()
            sch.create_schedule(
                Name=f"s{i}",
                ScheduleExpression=f"at({at})",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target=target,
            )
            created_in.append((time.perf_counter() - t0) * 1000)
        if time.time() > start:
            print("warning: creating the schedules took longer than --lead-s", file=sys.stderr)
        deadline = last_due + 30
        sqs_msgs = drain(sqs, target_url, due_by_kind["sqs"], deadline)
        fn_msgs = drain(sqs, results_url, due_by_kind["lambda"], deadline)
        sqs_late = [int(m["Attributes"]["SentTimestamp"]) - int(m["Body"]) for m in sqs_msgs]
        fn_late = []
        for m in fn_msgs:
            body = json.loads(m["Body"])
            fn_late.append(body["ran"] * 1000 - body["due"])
        left = sch.list_schedules()["Schedules"]
    finally:
        server.stop()

    every = sqs_late + fn_late
    rows = []
    data: dict[str, Any] = {"schedules": n, "window_s": args.window_s}
    for label, samples, want in (
        ("SQS (SentTimestamp)", sqs_late, due_by_kind["sqs"]),
        ("Lambda (handler start)", fn_late, due_by_kind["lambda"]),
        ("all", every, n),
    ):
        st = stats(samples)
        data[label] = st
        rows.append(
            [
                label,
                f"{len(samples)}/{want}",
                f"{st['p50_ms']:.0f}",
                f"{st['p99_ms']:.0f}",
                f"{st['max_ms']:.0f}",
            ]
        )
    data["create_schedule_ms"] = stats(created_in)
    data["schedules_left_after_delete"] = len(left)
    rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    data["commit"] = rev
    print(f"machine: {machine_info()}  commit: {rev}")
    print_table(["target", "fired", "lateness p50 (ms)", "p99 (ms)", "max (ms)"], rows)
    cs = data["create_schedule_ms"]
    print(f"CreateSchedule: p50 {cs['p50_ms']:.1f} ms, p99 {cs['p99_ms']:.1f} ms")
    print(f"schedules left (ActionAfterCompletion DELETE): {len(left)}")
    print(f"results: {write_results('scheduler-lateness', data)}")


if __name__ == "__main__":
    main()
