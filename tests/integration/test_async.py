"""Asynchronous invocation: retries, event age, destinations, the ledger, recursion, crashes."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import ServerProcess, create_python_function, start_server
from tests.integration.admin import admin

SCALE = 0.02  # retry delays 1.2 s and 2.4 s; MaximumEventAgeInSeconds=60 means 1.2 s


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = start_server(
        tmp_path_factory.mktemp("ovis-async") / "data", "--async-retry-scale", str(SCALE)
    )
    yield s
    s.stop()


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(check: Callable[[], Any], timeout: float = 30, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def results(srv: ServerProcess, function: str) -> list[dict[str, Any]]:
    return admin(srv.url, "GET", f"/async/results?function={function}")["Results"]


def ovis_cli(srv: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        OVIS_ENDPOINT_URL=srv.url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        COLUMNS="250",
    )
    return subprocess.run(
        [sys.executable, "-m", "ovis", *args], capture_output=True, text=True, env=env, timeout=60
    )


def log_messages(srv: ServerProcess, function: str) -> list[str]:
    logs = srv.client("logs")
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in events]


FAILING = """
import time
def handler(event, context):
    print("attempt", time.time())
    raise ValueError("always " + str(event.get("n")))
"""


def test_retry_schedule_and_retries_exhausted_record(srv) -> None:  # type: ignore[no-untyped-def]
    lam = srv.client("lambda")
    name = uniq("retry")
    create_python_function(lam, name, FAILING)
    rid = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 7}')[
        "ResponseMetadata"
    ]["RequestId"]
    done = wait_for(lambda: results(srv, name), timeout=30)
    assert done and len(done) == 1

    def attempt_times() -> list[float]:
        return sorted(
            float(m.split()[1]) for m in log_messages(srv, name) if m.startswith("attempt")
        )

    wait_for(lambda: len(attempt_times()) >= 3, timeout=5)  # logs are flushed in batches
    attempts = attempt_times()
    assert len(attempts) == 3
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert 60 * SCALE * 0.9 <= gaps[0] <= 60 * SCALE + 1.0, gaps
    assert 120 * SCALE * 0.9 <= gaps[1] <= 120 * SCALE + 1.0, gaps
    r = done[0]
    assert (r["outcome"], r["condition"], r["destination"]) == ("failure", "RetriesExhausted", None)
    record = json.loads(r["record"])
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": rid,
        "functionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{name}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"n": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorMessage"] == "always 7"
    assert record["timestamp"].endswith("Z")


def test_zero_retries_and_event_age(srv) -> None:  # type: ignore[no-untyped-def]
    lam = srv.client("lambda")
    name = uniq("noretry")
    create_python_function(lam, name, FAILING)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    done = wait_for(lambda: results(srv, name))
    assert json.loads(done[0]["record"])["requestContext"]["approximateInvokeCount"] == 1
    wait_for(lambda: [m for m in log_messages(srv, name) if m.startswith("attempt")], timeout=5)
    time.sleep(3 * 60 * SCALE)  # longer than a retry would take: there must be none
    assert len([m for m in log_messages(srv, name) if m.startswith("attempt")]) == 1

    aged = uniq("aged")
    create_python_function(lam, aged, FAILING)
    lam.put_function_event_invoke_config(FunctionName=aged, MaximumEventAgeInSeconds=60)
    lam.invoke(FunctionName=aged, InvocationType="Event", Payload=b"{}")
    done = wait_for(lambda: results(srv, aged))
    assert done[0]["condition"] == "EventAgeExceeded"
    assert json.loads(done[0]["record"])["requestContext"]["approximateInvokeCount"] == 1


def test_zero_reserved_concurrency_goes_straight_to_failure(srv) -> None:  # type: ignore[no-untyped-def]
    lam = srv.client("lambda")
    name = uniq("zero")
    create_python_function(lam, name, "def handler(e, c):\n    return 1\n")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"a": 1}')
    done = wait_for(lambda: results(srv, name))
    record = json.loads(done[0]["record"])
    assert done[0]["condition"] == "ZeroReservedConcurrency"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in record and "responsePayload" not in record


def test_event_invoke_config_api(srv) -> None:  # type: ignore[no-untyped-def]
    lam = srv.client("lambda")
    name = uniq("cfg")
    create_python_function(lam, name, "def handler(e, c):\n    return 1\n", Publish=True)
    dest = f"arn:aws:lambda:us-east-1:000000000000:function:{uniq('target')}"
    put = lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=120,
        DestinationConfig={"OnFailure": {"Destination": dest}},
    )
    assert put["MaximumRetryAttempts"] == 1 and put["MaximumEventAgeInSeconds"] == 120
    assert put["DestinationConfig"]["OnFailure"] == {"Destination": dest}
    assert put["FunctionArn"].endswith(f":{name}:$LATEST")
    upd = lam.update_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert upd["MaximumRetryAttempts"] == 0 and upd["MaximumEventAgeInSeconds"] == 120
    assert upd["DestinationConfig"]["OnFailure"] == {"Destination": dest}
    lam.put_function_event_invoke_config(FunctionName=name, Qualifier="1", MaximumRetryAttempts=2)
    listed = lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed] == ["$LATEST", "1"]
    with pytest.raises(lam.exceptions.ClientError) as info:
        lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=3)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(lam.exceptions.ClientError):
        lam.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=21601)
    with pytest.raises(lam.exceptions.ClientError) as info:
        lam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": "not-an-arn"}}
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(lam.exceptions.InvalidParameterValueException):  # not a destination kind
        lam.put_function_event_invoke_config(
            FunctionName=name,
            DestinationConfig={
                "OnSuccess": {"Destination": "arn:aws:kinesis:us-east-1:000000000000:stream/s"}
            },
        )
    lam.delete_function_event_invoke_config(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.update_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    assert (
        lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")["RecursiveLoop"]
        == "Allow"
    )
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"


RECORDER = """
import json
def handler(event, context):
    print("RECORD " + json.dumps(event))
"""


def test_lambda_destinations_and_ledger_redrive(srv) -> None:  # type: ignore[no-untyped-def]
    lam = srv.client("lambda")
    ok, bad, target = uniq("ok"), uniq("bad"), uniq("recorder")
    create_python_function(lam, target, RECORDER)
    create_python_function(lam, ok, "def handler(e, c):\n    return {'echo': e}\n")
    create_python_function(lam, bad, FAILING)
    target_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{target}"
    lam.put_function_event_invoke_config(
        FunctionName=ok, DestinationConfig={"OnSuccess": {"Destination": target_arn}}
    )
    missing = uniq("later")
    lam.put_function_event_invoke_config(
        FunctionName=bad,
        MaximumRetryAttempts=0,
        DestinationConfig={
            "OnFailure": {
                "Destination": f"arn:aws:lambda:us-east-1:000000000000:function:{missing}"
            }
        },
    )
    rid = lam.invoke(FunctionName=ok, InvocationType="Event", Payload=b'{"x": 1}')[
        "ResponseMetadata"
    ]["RequestId"]

    def recorded() -> list[dict[str, Any]]:
        return [json.loads(m[7:]) for m in log_messages(srv, target) if m.startswith("RECORD ")]

    records = wait_for(recorded)
    assert records[0]["requestContext"]["requestId"] == rid
    assert records[0]["requestContext"]["condition"] == "Success"
    assert records[0]["responsePayload"] == {"echo": {"x": 1}}
    assert records[0]["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert wait_for(lambda: results(srv, ok))[0]["destination"] == target_arn

    # The failure destination does not exist yet: the record waits in the ledger.
    rid2 = lam.invoke(FunctionName=bad, InvocationType="Event", Payload=b'{"y": 2}')[
        "ResponseMetadata"
    ]["RequestId"]
    entries = wait_for(
        lambda: [
            e for e in admin(srv.url, "GET", "/async/ledger")["Entries"] if e["event_id"] == rid2
        ]
    )
    assert entries and entries[0]["kind"] == "destination"
    create_python_function(lam, missing, RECORDER)
    assert (
        admin(srv.url, "POST", "/async/ledger/redrive", {"EntryIds": [entries[0]["entry_id"]]})[
            "Delivered"
        ]
        == 1
    )
    redriven = wait_for(
        lambda: [json.loads(m[7:]) for m in log_messages(srv, missing) if m.startswith("RECORD ")]
    )
    assert redriven[0]["requestContext"]["requestId"] == rid2
    assert redriven[0]["requestContext"]["condition"] == "RetriesExhausted"


LOOP = """
import boto3, json
def handler(event, context):
    n = event.get("n", 0)
    print("HOP", n)
    if n < event.get("limit", 100):
        boto3.client("lambda").invoke(FunctionName=context.function_name, InvocationType="Event",
                                      Payload=json.dumps({"n": n + 1, "limit": event.get("limit", 100)}))
"""


def test_recursive_loop_is_stopped(srv) -> None:  # type: ignore[no-untyped-def]
    lam = srv.client("lambda")
    name = uniq("loop")
    create_python_function(lam, name, LOOP, Timeout=30)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 0}')
    stopped = wait_for(
        lambda: [r for r in results(srv, name) if r["condition"] == "RecursiveInvocationDetected"],
        timeout=60,
    )
    assert stopped
    hops = wait_for(
        lambda: len([m for m in log_messages(srv, name) if m.startswith("HOP")]) >= 16, timeout=5
    )
    hops = [m for m in log_messages(srv, name) if m.startswith("HOP")]
    assert len(hops) == 16, hops

    allowed = uniq("allowed")
    create_python_function(lam, allowed, LOOP, Timeout=30)
    lam.put_function_recursion_config(FunctionName=allowed, RecursiveLoop="Allow")
    lam.invoke(FunctionName=allowed, InvocationType="Event", Payload=b'{"n": 0, "limit": 20}')
    assert wait_for(lambda: "HOP 20" in log_messages(srv, allowed), timeout=60)


def test_kill9_every_event_ends_in_one_place(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    s = start_server(data, "--async-retry-scale", str(SCALE))
    lam, sqs = s.client("lambda"), s.client("sqs")
    runs_url = sqs.create_queue(QueueName="runs")["QueueUrl"]
    name = uniq("crash")
    # Every run reports itself to a durable queue, so runs repeated after the crash are counted.
    code = (
        "import boto3, time\n"
        "SQS = boto3.client('sqs')\n"
        f"URL = {runs_url!r}\n"
        "def handler(e, c):\n"
        "    SQS.send_message(QueueUrl=URL, MessageBody=c.aws_request_id)\n"
        "    if e['i'] % 10 == 0:\n"
        "        raise RuntimeError('fails')\n"
        "    return e['i']\n"
    )
    create_python_function(lam, name, code, Timeout=10)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    ids = set()
    for i in range(500):
        r = lam.invoke(
            FunctionName=name, InvocationType="Event", Payload=json.dumps({"i": i}).encode()
        )
        assert r["StatusCode"] == 202
        ids.add(r["ResponseMetadata"]["RequestId"])
    wait_for(lambda: len(results(s, name)) > 50, timeout=30)
    os.killpg(s.proc.pid, signal.SIGKILL)
    s.proc.wait()
    s = start_server(data, "--async-retry-scale", str(SCALE))
    try:
        done = wait_for(lambda: admin(s.url, "GET", "/async/pending")["Pending"] == 0, timeout=120)
        assert done
        finished = results(s, name)
        ledger = [
            e for e in admin(s.url, "GET", "/async/ledger")["Entries"] if e["function"] == name
        ]
        ended = [r["event_id"] for r in finished] + [e["event_id"] for e in ledger]
        assert set(ended) == ids  # nothing lost
        assert len(ended) == len(ids)  # exactly one terminal place each
        failures = [r for r in finished if r["outcome"] == "failure"]
        assert len(failures) == 50 and all(r["condition"] == "RetriesExhausted" for r in failures)
        runs = [
            m["Body"]
            for m in drain(s.client("sqs"), runs_url, 10_000, timeout=60, stop_when_empty=True)
        ]
        assert set(runs) == ids  # every event ran
        duplicates = len(runs) - (450 + 50 * 2)  # 450 successes once, 50 failures twice
        print(f"runs repeated because of the kill -9: {duplicates}")
        assert duplicates >= 0
    finally:
        s.stop()


def drain(
    sqs, url: str, want: int, timeout: float = 20, stop_when_empty: bool = False
) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        r = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        if stop_when_empty and not r.get("Messages"):
            break
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def test_sqs_destination_and_dead_letter_queue(srv) -> None:  # type: ignore[no-untyped-def]
    lam, sqs = srv.client("lambda"), srv.client("sqs")
    failures = sqs.create_queue(QueueName=uniq("failures"))["QueueUrl"]
    dlq = sqs.create_queue(QueueName=uniq("dlq"))["QueueUrl"]
    arn = lambda url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[  # noqa: E731
        "Attributes"
    ]["QueueArn"]

    with_dest = uniq("dest")
    create_python_function(lam, with_dest, FAILING)
    lam.put_function_event_invoke_config(
        FunctionName=with_dest,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn(failures)}},
    )
    rid = lam.invoke(FunctionName=with_dest, InvocationType="Event", Payload=b'{"n": 1}')[
        "ResponseMetadata"
    ]["RequestId"]
    (msg,) = drain(sqs, failures, 1)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["requestId"] == rid
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorType"] == "ValueError"

    with_dlq = uniq("dlqfn")
    create_python_function(lam, with_dlq, FAILING, DeadLetterConfig={"TargetArn": arn(dlq)})
    lam.put_function_event_invoke_config(FunctionName=with_dlq, MaximumRetryAttempts=1)
    rid = lam.invoke(FunctionName=with_dlq, InvocationType="Event", Payload=b'{"n": 2}')[
        "ResponseMetadata"
    ]["RequestId"]
    (msg,) = drain(sqs, dlq, 1)
    assert json.loads(msg["Body"]) == {"n": 2}  # the original event
    attrs = msg["MessageAttributes"]
    assert attrs["RequestID"] == {"StringValue": rid, "DataType": "String"}
    assert attrs["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert attrs["ErrorMessage"]["StringValue"] == "always 2"
    assert wait_for(lambda: results(srv, with_dlq))[0]["destination"] == arn(dlq)


def test_missing_queue_goes_to_ledger_then_redrives(srv) -> None:  # type: ignore[no-untyped-def]
    lam, sqs = srv.client("lambda"), srv.client("sqs")
    name, qname = uniq("ledgered"), uniq("notyet")
    create_python_function(lam, name, "def handler(e, c):\n    return 'fine'\n")
    queue_arn = f"arn:aws:sqs:us-east-1:000000000000:{qname}"
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": queue_arn}}
    )
    rid = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["ResponseMetadata"][
        "RequestId"
    ]
    assert wait_for(
        lambda: [
            e for e in admin(srv.url, "GET", "/async/ledger")["Entries"] if e["event_id"] == rid
        ]
    )
    url = sqs.create_queue(QueueName=qname)["QueueUrl"]
    # The ledger is retried in the background (backoff scaled by --async-retry-scale).
    (msg,) = drain(sqs, url, 1, timeout=30)
    assert json.loads(msg["Body"])["requestContext"]["condition"] == "Success"
    assert not [
        e for e in admin(srv.url, "GET", "/async/ledger")["Entries"] if e["event_id"] == rid
    ]
    assert wait_for(lambda: results(srv, name))[0]["destination"] == queue_arn


def test_topic_destination_publishes_the_record(srv) -> None:  # type: ignore[no-untyped-def]
    """OnSuccess to an SNS topic: the invocation record is the published message, so a queue
    subscribed to the topic gets it inside SNS's notification envelope."""
    lam, sqs, sns = srv.client("lambda"), srv.client("sqs"), srv.client("sns")
    topic = sns.create_topic(Name=uniq("results"))["TopicArn"]
    inbox = sqs.create_queue(QueueName=uniq("inbox"))["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    name = uniq("to-topic")
    create_python_function(lam, name, RECORDER)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": topic}}
    )
    rid = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 7}')[
        "ResponseMetadata"
    ]["RequestId"]
    (msg,) = drain(sqs, inbox, 1)
    envelope = json.loads(msg["Body"])
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    record = json.loads(envelope["Message"])
    assert record["requestContext"]["requestId"] == rid
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestPayload"] == {"n": 7}


def test_bus_destination_puts_a_lambda_event(srv) -> None:  # type: ignore[no-untyped-def]
    """OnFailure to an EventBridge bus: the record arrives as the detail of an event from
    source "lambda" with AWS's failure detail-type, which a rule on the bus forwards to a
    queue."""
    lam, sqs, events = srv.client("lambda"), srv.client("sqs"), srv.client("events")
    bus = uniq("results-bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    inbox = sqs.create_queue(QueueName=uniq("bus-inbox"))["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="failures",
        EventBusName=bus,
        EventPattern=json.dumps(
            {"source": ["lambda"], "detail-type": ["Lambda Function Invocation Result - Failure"]}
        ),
    )
    events.put_targets(Rule="failures", EventBusName=bus, Targets=[{"Id": "q", "Arn": inbox_arn}])
    name = uniq("to-bus")
    create_python_function(lam, name, FAILING)
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": bus_arn}},
    )
    rid = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 3}')[
        "ResponseMetadata"
    ]["RequestId"]
    (msg,) = drain(sqs, inbox, 1)
    event = json.loads(msg["Body"])
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Failure"
    assert event["detail"]["requestContext"]["requestId"] == rid
    assert event["detail"]["requestContext"]["condition"] == "RetriesExhausted"
    assert event["resources"] == [event["detail"]["requestContext"]["functionArn"]]
