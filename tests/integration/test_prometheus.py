"""``/metrics`` after known activity on a live server of its own: every family parses with
Prometheus's own text parser and its values equal what the test did (requests by service,
operation and status; latency histograms; instances and cold starts; the async backlog and its
age; queue depths; an SQS mapping's counters; store commit times). A signed S3 call to a bucket
named ``metrics`` still reaches S3.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ServerProcess, create_python_function, start_server

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = start_server(tmp_path_factory.mktemp("prom") / "data")
    yield s
    s.stop()


def scrape(url: str, path: str = "/metrics") -> tuple[str, Samples]:
    with urllib.request.urlopen(url + path, timeout=10) as r:
        assert r.status == 200
        ctype = r.headers["Content-Type"]
        text = r.read().decode()
    assert ctype.startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return text, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def matching(samples: Samples, name: str, **labels: str) -> dict[frozenset[Any], float]:
    want = set(labels.items())
    return {k[1]: v for k, v in samples.items() if k[0] == name and want <= k[1]}


def wait_for(cond: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_requests_instances_and_cold_starts(srv: ServerProcess) -> None:
    lam: Any = srv.client("lambda")
    create_python_function(lam, "prom-ok", "def handler(e, c):\n    return e\n")
    for i in range(3):
        out = lam.invoke(FunctionName="prom-ok", Payload=json.dumps({"i": i}))
        assert json.loads(out["Payload"].read()) == {"i": i}
    with pytest.raises(ClientError):
        lam.get_function(FunctionName="prom-missing")
    with pytest.raises(ClientError):
        lam.get_function(FunctionName="prom-missing")

    _, s = scrape(srv.url)
    ok = {"service": "lambda", "operation": "Invoke"}
    assert value(s, "ovis_api_requests_total", **ok, status="200") == 3
    assert value(s, "ovis_api_requests_total", service="lambda", operation="GetFunction",
                 status="404") == 2  # fmt: skip
    assert value(s, "ovis_api_request_duration_seconds_count", **ok) == 3
    assert value(s, "ovis_api_request_duration_seconds_bucket", **ok, le="+Inf") == 3
    assert (value(s, "ovis_api_request_duration_seconds_sum", **ok) or 0) > 0
    # buckets are cumulative and never exceed the count
    buckets = matching(s, "ovis_api_request_duration_seconds_bucket", **ok)
    by_le = sorted((float(dict(k)["le"]), v) for k, v in buckets.items())
    assert [v for _, v in by_le] == sorted(v for _, v in by_le)
    # one cold start, then the same instance warm: one instance, idle or frozen
    assert value(s, "ovis_cold_starts_total", function="prom-ok") == 1
    inst = matching(s, "ovis_instances", function="prom-ok")
    assert sum(inst.values()) == 1
    (labels,) = inst
    assert dict(labels)["state"] in ("idle", "frozen")
    assert dict(labels)["kind"] == "on_demand"
    # the store's commits (CreateFunction wrote) were timed
    assert sum(matching(s, "ovis_store_commit_duration_seconds_count").values()) > 0
    # the same document under /_ovis/metrics
    _, again = scrape(srv.url, "/_ovis/metrics")
    assert value(again, "ovis_cold_starts_total", function="prom-ok") == 1


def test_async_backlog_and_its_age(srv: ServerProcess) -> None:
    lam: Any = srv.client("lambda")
    # fails every time: after its first attempt each event waits a minute for its retry, so
    # both stay in the backlog for the test's duration
    create_python_function(lam, "prom-boom", "def handler(e, c):\n    raise ValueError('no')\n")
    for _ in range(2):
        assert lam.invoke(FunctionName="prom-boom", InvocationType="Event")["StatusCode"] == 202
    _, s = scrape(srv.url)
    assert value(s, "ovis_async_events_pending", function="prom-boom") == 2
    age = value(s, "ovis_async_oldest_event_age_seconds", function="prom-boom")
    assert age is not None and 0 <= age < 60
    # the age grows while the events wait
    wait_for(
        lambda: (
            (
                value(
                    scrape(srv.url)[1], "ovis_async_oldest_event_age_seconds", function="prom-boom"
                )
                or 0
            )
            > age
        )
    )


def test_queue_depths_and_a_mapping_s_counters(srv: ServerProcess) -> None:
    sqs: Any = srv.client("sqs")
    url = sqs.create_queue(QueueName="prom-depth")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.send_message(QueueUrl=url, MessageBody="b")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    assert len(got["Messages"]) == 1
    _, s = scrape(srv.url)
    assert value(s, "ovis_sqs_messages", queue="prom-depth", state="visible") == 1
    assert value(s, "ovis_sqs_messages", queue="prom-depth", state="not_visible") == 1
    assert value(s, "ovis_sqs_messages", queue="prom-depth", state="delayed") == 1

    lam: Any = srv.client("lambda")
    create_python_function(lam, "prom-esm", "def handler(e, c):\n    return None\n")
    src = sqs.create_queue(QueueName="prom-src")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="prom-esm", BatchSize=10
    )["UUID"]
    for i in range(4):
        sqs.send_message(QueueUrl=src, MessageBody=f"m{i}")
    ids = {"uuid": uuid, "event_source_arn": arn}

    def processed() -> Samples | None:
        _, s = scrape(srv.url)
        n = matching(s, "ovis_event_source_mapping_records_total", **ids, outcome="processed")
        return s if sum(n.values()) == 4 else None

    s = wait_for(processed)
    assert sum(matching(s, "ovis_event_source_mapping_records_total", **ids,
                        outcome="polled").values()) == 4  # fmt: skip
    assert sum(matching(s, "ovis_event_source_mapping_records_total", **ids,
                        outcome="failed").values()) == 0  # fmt: skip
    assert sum(matching(s, "ovis_event_source_mapping_invocations_total", **ids).values()) >= 1
    wait_for(lambda: value(scrape(srv.url)[1], "ovis_sqs_messages", queue="prom-src",
                           state="not_visible") == 0)  # fmt: skip
    lam.delete_event_source_mapping(UUID=uuid)


def test_a_signed_s3_call_to_a_bucket_named_metrics_reaches_s3(srv: ServerProcess) -> None:
    s3: Any = srv.client("s3")
    s3.create_bucket(Bucket="metrics")
    s3.put_object(Bucket="metrics", Key="k", Body=b"v")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="metrics")["Contents"]] == ["k"]
    text, _ = scrape(srv.url)  # unsigned: still the exposition
    assert "# TYPE ovis_api_requests_total counter" in text
    _, s = scrape(srv.url)
    assert (value(s, "ovis_api_requests_total", service="s3", operation="ListObjectsV2",
                  status="200")) == 1  # fmt: skip
