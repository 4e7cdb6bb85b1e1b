"""EventBridge against a live server with boto3: buses, rules, targets, PutEvents, schedules,
dead-letter queues and a kill -9 after PutEvents was acknowledged."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ServerProcess, create_python_function, start_server

SCALE = 0.01  # rate(1 minute) fires every 0.6 s; retry backoff 10 ms doubling


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = start_server(
        tmp_path_factory.mktemp("ovis-events") / "data", "--events-time-scale", str(SCALE)
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ev(srv: ServerProcess):  # type: ignore[no-untyped-def]
    return srv.client("events")


@pytest.fixture(scope="module")
def sqs(srv: ServerProcess):  # type: ignore[no-untyped-def]
    return srv.client("sqs")


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(check: Callable[[], Any], timeout: float = 30, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def queue(sqs: Any, name: str | None = None, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name or uniq("q"), Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def drain(sqs: Any, url: str, want: int, timeout: float = 30, **kw: Any) -> list[dict[str, Any]]:
    """Receive (and delete) until ``want`` messages came or the deadline passed."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kw)
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def rule_to_queue(ev: Any, sqs: Any, pattern: dict[str, Any], **target: Any) -> tuple[str, str]:
    """A rule on the default bus with one SQS target; (queue url, rule name)."""
    url, arn = queue(sqs)
    name = uniq("rule")
    ev.put_rule(Name=name, EventPattern=json.dumps(pattern))
    out = ev.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn, **target}])
    assert out["FailedEntryCount"] == 0
    return url, name


def put(ev: Any, source: str, detail: dict[str, Any], **kw: Any) -> str:
    r = ev.put_events(
        Entries=[{"Source": source, "DetailType": "test", "Detail": json.dumps(detail), **kw}]
    )
    assert r["FailedEntryCount"] == 0, r
    return str(r["Entries"][0]["EventId"])


# ---- matching and what targets receive -----------------------------------------------------


def test_a_matching_event_reaches_the_target_and_another_does_not(ev, sqs) -> None:  # type: ignore[no-untyped-def]
    source = uniq("my.app")
    url, _ = rule_to_queue(ev, sqs, {"source": [source], "detail": {"state": ["on"]}})
    miss = put(ev, source, {"state": "off"})
    hit = put(ev, source, {"state": "on"}, Resources=["arn:aws:s3:::b"])
    (m,) = drain(sqs, url, 1)
    event = json.loads(m["Body"])
    assert event["id"] == hit != miss
    assert event["detail"] == {"state": "on"}
    assert event["version"] == "0"
    assert event["source"] == source and event["detail-type"] == "test"
    assert (event["account"], event["region"]) == ("000000000000", "us-east-1")
    assert event["resources"] == ["arn:aws:s3:::b"]
    assert time.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")
    assert drain(sqs, url, 1, timeout=1) == []  # the non-matching one never comes


def test_input_transformer_with_aws_quoting(ev, sqs) -> None:  # type: ignore[no-untyped-def]
    source = uniq("xf")
    transformer = {
        "InputPathsMap": {"instance": "$.detail.instance", "state": "$.detail.state"},
        "InputTemplate": '{"instance": <instance>, "text": "<instance> is in state <state>", '
        '"rule": <aws.events.rule-name>, "missing": <nope>}',
    }
    url, rule = rule_to_queue(ev, sqs, {"source": [source]}, InputTransformer=transformer)
    put(ev, source, {"instance": "i-123", "state": "running"})
    (m,) = drain(sqs, url, 1)
    # <nope> is not a variable: kept as written, so the body is text, not JSON
    assert m["Body"] == (
        f'{{"instance": "i-123", "text": "i-123 is in state running", "rule": "{rule}", '
        '"missing": <nope>}'
    )
    plain = {
        "InputPathsMap": {"instance": "$.detail.instance", "state": "$.detail.state"},
        "InputTemplate": '"<instance> is in state <state>"',
    }
    url, _ = rule_to_queue(ev, sqs, {"source": [source]}, InputTransformer=plain)
    put(ev, source, {"instance": "i-9", "state": "stopped"})
    (m,) = drain(sqs, url, 1)
    assert m["Body"] == '"i-9 is in state stopped"'


def test_input_path_and_constant_input(ev, sqs) -> None:  # type: ignore[no-untyped-def]
    source = uniq("path")
    url_path, _ = rule_to_queue(ev, sqs, {"source": [source]}, InputPath="$.detail.payload")
    url_leaf, _ = rule_to_queue(ev, sqs, {"source": [source]}, InputPath="$.detail.payload.id")
    url_const, _ = rule_to_queue(ev, sqs, {"source": [source]}, Input='{"fixed": true}')
    put(ev, source, {"payload": {"id": "abc", "n": 1}})
    assert json.loads(drain(sqs, url_path, 1)[0]["Body"]) == {"id": "abc", "n": 1}
    assert drain(sqs, url_leaf, 1)[0]["Body"] == '"abc"'
    assert drain(sqs, url_const, 1)[0]["Body"] == '{"fixed": true}'


def test_fifo_queue_target_uses_the_message_group(ev, sqs) -> None:  # type: ignore[no-untyped-def]
    url, arn = queue(sqs, uniq("f") + ".fifo", FifoQueue="true", ContentBasedDeduplication="true")
    source = uniq("fifo")
    rule = uniq("rule")
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule=rule, Targets=[{"Id": "f", "Arn": arn}])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "SqsParameters" in e.value.response["Error"]["Message"]
    ev.put_targets(
        Rule=rule, Targets=[{"Id": "f", "Arn": arn, "SqsParameters": {"MessageGroupId": "g1"}}]
    )
    ids = [put(ev, source, {"n": i}) for i in range(3)]
    got = drain(sqs, url, 3, AttributeNames=["MessageGroupId"])
    assert [json.loads(m["Body"])["id"] for m in got] == ids  # in order, one group
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"g1"}


def test_bus_to_bus_target(ev, sqs) -> None:  # type: ignore[no-untyped-def]
    bus = uniq("bus")
    bus_arn = ev.create_event_bus(Name=bus)["EventBusArn"]
    assert bus_arn == f"arn:aws:events:us-east-1:000000000000:event-bus/{bus}"
    source = uniq("fwd")
    # on the custom bus: a rule to a queue
    url, qarn = queue(sqs)
    inner = uniq("inner")
    ev.put_rule(Name=inner, EventBusName=bus, EventPattern=json.dumps({"source": [source]}))
    ev.put_targets(Rule=inner, EventBusName=bus_arn, Targets=[{"Id": "q", "Arn": qarn}])
    # on the default bus: a rule forwarding to the custom bus
    outer = uniq("outer")
    ev.put_rule(Name=outer, EventPattern=json.dumps({"source": [source]}))
    ev.put_targets(Rule=outer, Targets=[{"Id": "b", "Arn": bus_arn}])
    event_id = put(ev, source, {"x": 1})
    (m,) = drain(sqs, url, 1)
    assert json.loads(m["Body"])["id"] == event_id
    # put directly on the custom bus (by ARN) too
    direct = put(ev, source, {"x": 2}, EventBusName=bus_arn)
    (m,) = drain(sqs, url, 1)
    assert json.loads(m["Body"])["id"] == direct
    assert ev.describe_rule(Name=inner, EventBusName=bus)["Arn"].endswith(f"rule/{bus}/{inner}")


def test_sns_topic_target_fans_out_to_a_subscribed_queue(srv, ev, sqs) -> None:  # type: ignore[no-untyped-def]
    sns = srv.client("sns")
    topic = sns.create_topic(Name=uniq("topic"))["TopicArn"]
    url, qarn = queue(sqs)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=qarn,
        Attributes={"RawMessageDelivery": "true"},
    )
    source = uniq("sns")
    rule = uniq("rule")
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    assert ev.put_targets(Rule=rule, Targets=[{"Id": "t", "Arn": topic}])["FailedEntryCount"] == 0
    event_id = put(ev, source, {"via": "sns"})
    (m,) = drain(sqs, url, 1)
    event = json.loads(m["Body"])  # the raw SNS message is the event
    assert (event["id"], event["detail"]) == (event_id, {"via": "sns"})


def test_a_scheduler_schedule_puts_its_event_on_a_bus(srv, ev, sqs) -> None:  # type: ignore[no-untyped-def]
    """EventBridge Scheduler's event bus target: the schedule's event goes through the bus's
    rules like any PutEvents."""
    source = uniq("sched")
    url, qarn = queue(sqs)
    rule = uniq("rule")
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    ev.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": qarn}])
    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 2))
    srv.client("scheduler").create_schedule(
        Name=uniq("to-bus"),
        ScheduleExpression=f"at({at})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:events:us-east-1:000000000000:event-bus/default",
            "RoleArn": "arn:aws:iam::000000000000:role/scheduler",
            "Input": json.dumps({"from": "scheduler"}),
            "EventBridgeParameters": {"DetailType": "tick", "Source": source},
        },
    )
    (m,) = drain(sqs, url, 1)
    event = json.loads(m["Body"])
    assert (event["source"], event["detail-type"]) == (source, "tick")
    assert event["detail"] == {"from": "scheduler"}


# ---- Lambda targets ------------------------------------------------------------------------

REPORTER = """
import boto3, json, os
SQS = boto3.client('sqs')
def handler(event, context):
    SQS.send_message(QueueUrl=os.environ['REPORT_URL'], MessageBody=json.dumps(event))
    return 'ok'
"""


def test_lambda_target_needs_permission(srv, ev, sqs) -> None:  # type: ignore[no-untyped-def]
    lam = srv.client("lambda")
    report_url, _ = queue(sqs)
    dlq_url, dlq_arn = queue(sqs)
    fn = uniq("target")
    arn = create_python_function(
        lam, fn, REPORTER, Environment={"Variables": {"REPORT_URL": report_url}}
    )["FunctionArn"]
    source = uniq("lam")
    rule = uniq("rule")
    rule_arn = ev.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    ev.put_targets(
        Rule=rule,
        Targets=[{"Id": "fn", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}}],
    )
    refused = put(ev, source, {"n": 1})
    (dead,) = drain(sqs, dlq_url, 1, MessageAttributeNames=["All"])
    assert json.loads(dead["Body"])["id"] == refused  # the event itself is dead-lettered
    attrs = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attrs["RULE_ARN"] == rule_arn
    assert attrs["TARGET_ARN"] == arn
    assert attrs["ERROR_CODE"] == "NO_PERMISSIONS"
    assert "events.amazonaws.com" in attrs["ERROR_MESSAGE"]
    assert attrs["RETRY_ATTEMPTS"] == "0"  # a permission error is not retried (AWS)
    lam.add_permission(
        FunctionName=fn,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    allowed = put(ev, source, {"n": 2})
    (ran,) = drain(sqs, report_url, 1)
    event = json.loads(ran["Body"])
    assert (event["id"], event["detail"]) == (allowed, {"n": 2})
    assert drain(sqs, report_url, 1, timeout=1) == []  # the refused event never ran


# ---- scheduled rules -------------------------------------------------------------------------


def test_scheduled_rule_fires_scheduled_events(ev, sqs) -> None:  # type: ignore[no-untyped-def]
    url, arn = queue(sqs)
    rule = uniq("every")
    rule_arn = ev.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
    ev.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    got = drain(sqs, url, 2)
    events = [json.loads(m["Body"]) for m in got]
    assert [e["detail-type"] for e in events] == ["Scheduled Event"] * 2
    assert {e["source"] for e in events} == {"aws.events"}
    assert all(e["resources"] == [rule_arn] and e["detail"] == {} for e in events)
    assert len({e["id"] for e in events}) == 2
    ev.disable_rule(Name=rule)
    drain(sqs, url, 10, timeout=0.7)  # what fired before the disable
    assert drain(sqs, url, 1, timeout=1.5) == []
    assert ev.describe_rule(Name=rule)["State"] == "DISABLED"
    enabled_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    ev.enable_rule(Name=rule)
    (again,) = drain(sqs, url, 1)
    assert json.loads(again["Body"])["time"] >= enabled_at  # no slot of the disabled time
    ev.disable_rule(Name=rule)


def test_schedule_rules_are_validated(ev) -> None:  # type: ignore[no-untyped-def]
    bus = uniq("bus")
    ev.create_event_bus(Name=bus)
    cases = [
        ({"ScheduleExpression": "rate(1 minutes)"}, "Parameter ScheduleExpression is not valid."),
        ({"ScheduleExpression": "rate(0 hours)"}, "Parameter ScheduleExpression is not valid."),
        (
            {"ScheduleExpression": "cron(0 12 * * * *)"},
            "Parameter ScheduleExpression is not valid.",
        ),
        (
            {"ScheduleExpression": "rate(5 minutes)", "EventBusName": bus},
            "ScheduleExpression is supported only on the default event bus.",
        ),
        ({}, "Parameter(s) EventPattern or ScheduleExpression must be specified."),
    ]
    for kw, message in cases:
        with pytest.raises(ClientError) as e:
            ev.put_rule(Name=uniq("bad"), **kw)
        assert e.value.response["Error"] == {"Code": "ValidationException", "Message": message}
    cron = ev.put_rule(Name=uniq("noon"), ScheduleExpression="cron(0 12 ? * MON-FRI *)")
    assert cron["RuleArn"]


# ---- TestEventPattern: the examples of AWS's event pattern documentation -----------------------

EC2_EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {
        "instance-id": "i-1234567890abcdef0",
        "state": "terminated",
        "c-count": 5,
        "source-ip": "10.0.0.123",
    },
}

MATCHING = [
    {"source": ["aws.ec2"]},
    {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "detail": {"state": ["stopping", "terminated"]},
    },
    {"time": [{"prefix": "2017-12-22"}]},
    {"detail": {"state": [{"anything-but": "initializing"}]}},
    {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
    {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}},
    {"detail": {"instance-id": [{"exists": True}]}},
    {"region": [{"equals-ignore-case": "US-WEST-1"}]},
    {"$or": [{"detail": {"state": ["pending"]}}, {"detail": {"c-count": [5]}}]},
]
NOT_MATCHING = [
    {"source": ["aws.s3"]},
    {"detail": {"state": ["running"]}},
    {"detail": {"state": [{"exists": False}]}},
    {"detail": {"c-count": [{"numeric": [">", 5]}]}},
    {"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}},
    {"detail": {"c-count": ["5"]}},  # strings never equal numbers
]
INVALID = [
    {"source": "aws.ec2"},  # a leaf must be an array
    {"detail": {"c-count": [{"numeric": [">", "zero"]}]}},
    {"detail": {"state": [{"no-such-operator": 1}]}},
]


def test_test_event_pattern_answers_from_the_matcher(ev) -> None:  # type: ignore[no-untyped-def]
    event = json.dumps(EC2_EVENT)
    for pattern in MATCHING:
        assert ev.test_event_pattern(EventPattern=json.dumps(pattern), Event=event)["Result"], (
            pattern
        )
    for pattern in NOT_MATCHING:
        assert not ev.test_event_pattern(EventPattern=json.dumps(pattern), Event=event)["Result"], (
            pattern
        )
    for pattern in INVALID:
        with pytest.raises(ev.exceptions.InvalidEventPatternException) as e:
            ev.test_event_pattern(EventPattern=json.dumps(pattern), Event=event)
        assert e.value.response["Error"]["Message"].startswith("Event pattern is not valid.")
    with pytest.raises(ClientError) as e:
        ev.test_event_pattern(EventPattern='{"source": ["a"]}', Event='{"source": "a"}')
    assert e.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Parameter Event is not valid.",
    }
    with pytest.raises(ev.exceptions.InvalidEventPatternException):
        ev.put_rule(Name=uniq("bad"), EventPattern=json.dumps(INVALID[0]))


# ---- the API's bookkeeping -------------------------------------------------------------------


def test_buses_rules_targets_lifecycle_and_errors(ev, sqs) -> None:  # type: ignore[no-untyped-def]
    bus = uniq("life")
    ev.create_event_bus(Name=bus, Description="d", Tags=[{"Key": "team", "Value": "a"}])
    with pytest.raises(ev.exceptions.ResourceAlreadyExistsException):
        ev.create_event_bus(Name=bus)
    got = ev.describe_event_bus(Name=bus)
    assert (got["Name"], got["Description"]) == (bus, "d")
    assert ev.describe_event_bus()["Name"] == "default"
    names = [b["Name"] for b in ev.list_event_buses(NamePrefix=bus)["EventBuses"]]
    assert names == [bus]
    assert ev.list_tags_for_resource(ResourceARN=got["Arn"])["Tags"] == [
        {"Key": "team", "Value": "a"}
    ]
    for i in range(3):
        ev.put_rule(Name=f"r{i}", EventBusName=bus, EventPattern='{"source": ["s"]}')
    first = ev.list_rules(EventBusName=bus, Limit=2)
    assert [r["Name"] for r in first["Rules"]] == ["r0", "r1"]
    rest = ev.list_rules(EventBusName=bus, Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == ["r2"] and "NextToken" not in rest
    assert [r["Name"] for r in ev.list_rules(EventBusName=bus, NamePrefix="r1")["Rules"]] == ["r1"]
    _, qarn = queue(sqs)
    ev.put_targets(Rule="r0", EventBusName=bus, Targets=[{"Id": "a", "Arn": qarn}])
    assert ev.list_rule_names_by_target(TargetArn=qarn, EventBusName=bus)["RuleNames"] == ["r0"]
    unknown = ev.put_targets(
        Rule="r0",
        EventBusName=bus,
        Targets=[{"Id": "t", "Arn": "arn:aws:ecs:us-east-1:000000000000:cluster/c"}],
    )
    assert unknown["FailedEntryCount"] == 1  # not a kind of target this server delivers to
    assert unknown["FailedEntries"][0]["TargetId"] == "t"
    assert [t["Id"] for t in ev.list_targets_by_rule(Rule="r0", EventBusName=bus)["Targets"]] == [
        "a"
    ]
    with pytest.raises(ClientError) as e:
        ev.delete_rule(Name="r0", EventBusName=bus)
    assert e.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Rule can't be deleted since it has targets.",
    }
    ev.remove_targets(Rule="r0", EventBusName=bus, Ids=["a"])
    ev.delete_rule(Name="r0", EventBusName=bus)
    ev.delete_rule(Name="r0", EventBusName=bus)  # a missing rule: AWS answers success
    with pytest.raises(ev.exceptions.ResourceNotFoundException) as e:
        ev.describe_rule(Name="r0", EventBusName=bus)
    assert e.value.response["Error"]["Message"] == f"Rule r0 does not exist on EventBus {bus}."
    with pytest.raises(ev.exceptions.ResourceNotFoundException) as e:
        ev.put_rule(Name="x", EventBusName=uniq("nobus"), EventPattern='{"source": ["s"]}')
    assert e.value.response["Error"]["Message"].startswith("Event bus nobus-")
    with pytest.raises(ClientError) as e:
        ev.delete_event_bus(Name="default")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    ev.delete_event_bus(Name=bus)
    with pytest.raises(ev.exceptions.ResourceNotFoundException):
        ev.describe_event_bus(Name=bus)
    with pytest.raises(ev.exceptions.ResourceNotFoundException):
        ev.list_rules(EventBusName=bus)


def test_put_events_entry_errors_and_size_limit(ev) -> None:  # type: ignore[no-untyped-def]
    r = ev.put_events(
        Entries=[
            {"Source": "a", "DetailType": "t", "Detail": "{}"},
            {"Source": "a", "DetailType": "t", "Detail": "not json"},
            {"DetailType": "t", "Detail": "{}"},
            {"Source": "a", "DetailType": "t", "Detail": "{}", "EventBusName": "no-such-bus"},
            {"Source": "aws.ec2", "DetailType": "t", "Detail": "{}"},
        ]
    )
    assert r["FailedEntryCount"] == 4
    codes = [e.get("ErrorCode") for e in r["Entries"]]
    assert codes == [
        None,
        "MalformedDetail",
        "InvalidArgument",
        "ResourceNotFoundException",
        "NotAuthorizedForSourceException",
    ]
    assert "EventId" in r["Entries"][0]
    big = json.dumps({"x": "y" * (128 * 1024)})
    with pytest.raises(ClientError) as e:
        ev.put_events(Entries=[{"Source": "a", "DetailType": "t", "Detail": big}] * 2)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as e:  # more than 10 entries: the model's limit
        ev.put_events(Entries=[{"Source": "a", "DetailType": "t", "Detail": "{}"}] * 11)
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_health_reports_the_event_loops(srv) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    with urllib.request.urlopen(srv.url + "/_ovis/health", timeout=30) as r:
        doc = json.loads(r.read())
    assert doc["components"]["events-delivery"] == "ok"
    assert doc["components"]["events-schedules"] == "ok"


# ---- durability ------------------------------------------------------------------------------


def test_acknowledged_events_and_schedule_slots_survive_kill9(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PutEvents acknowledged right before a kill -9 are delivered after the restart, and a
    scheduled rule's slots fire once each (never twice because of the restart)."""
    data = tmp_path / "data"
    scale = "0.02"  # rate(1 minute) = 1.2 s: every slot has its own ISO second
    s = start_server(data, "--events-time-scale", scale)
    ev, sqs = s.client("events"), s.client("sqs")
    ticks_url, ticks_arn = queue(sqs, "ticks")
    ev.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")
    ev.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": ticks_arn}])
    # five targets: the outbox holds five deliveries per event, so some are still pending
    # when the server dies
    sinks = [queue(sqs, f"sink{i}") for i in range(5)]
    ev.put_rule(Name="all", EventPattern='{"source": ["crash"]}')
    ev.put_targets(
        Rule="all", Targets=[{"Id": f"q{i}", "Arn": a} for i, (_, a) in enumerate(sinks)]
    )
    first_ticks = drain(sqs, ticks_url, 1)
    ids: set[str] = set()
    for _ in range(30):
        r = ev.put_events(
            Entries=[{"Source": "crash", "DetailType": "t", "Detail": "{}"} for _ in range(10)]
        )
        ids.update(e["EventId"] for e in r["Entries"])
    os.killpg(s.proc.pid, signal.SIGKILL)  # right after the last acknowledgement
    s.proc.wait()
    with sqlite3.connect(data / "ovis.db") as db:  # what the crash left undelivered
        (pending,) = db.execute("SELECT COUNT(*) FROM event_deliveries").fetchone()
    s = start_server(data, "--events-time-scale", scale)
    try:
        sqs = s.client("sqs")
        for url, _ in sinks:
            delivered: set[str] = set()
            deadline = time.monotonic() + 60
            while not ids <= delivered and time.monotonic() < deadline:
                got = sqs.receive_message(  # kept in flight, so each comes once
                    QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600, WaitTimeSeconds=1
                ).get("Messages", [])
                delivered.update(json.loads(m["Body"])["id"] for m in got)
            # at least once each (a redelivery repeats an id), none lost
            assert delivered == ids, f"{pending} deliveries were pending at the kill"
        later_ticks = drain(sqs, ticks_url, 3, timeout=30)
    finally:
        s.stop()
    print(f"deliveries pending at the kill -9: {pending}")
    by_slot: dict[str, set[str]] = {}
    for m in first_ticks + later_ticks:
        e = json.loads(m["Body"])
        by_slot.setdefault(e["time"], set()).add(e["id"])
    # one event per slot (a redelivery would repeat the same event, never a new one)
    assert all(len(ids) == 1 for ids in by_slot.values()), by_slot
    assert len(by_slot) >= 3
