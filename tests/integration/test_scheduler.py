"""EventBridge Scheduler against a live server with boto3: schedules firing functions and queues
exactly once (also across kill -9), rate and cron schedules, flexible windows, ActionAfterCompletion,
retries into the dead-letter queue, groups and tags, and AWS's validation errors."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, ServerProcess, create_python_function, start_server

SCALE = "0.01"  # retry backoff 10 ms, 20 ms, ...
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler-role"
OFF = {"Mode": "OFF"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = start_server(
        tmp_path_factory.mktemp("ovis-scheduler") / "data", "--async-retry-scale", SCALE
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


def at_in(seconds: float) -> tuple[str, datetime]:
    """An at() expression ``seconds`` from now (whole seconds, UTC) and its moment."""
    moment = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})", moment


def queue(sqs: Any, name: str, **attrs: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def receive(sqs: Any, url: str, want: int, timeout: float = 20) -> list[dict[str, Any]]:
    """Up to ``want`` messages (deleted as received), waiting at most ``timeout``."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        wait = max(0, min(2, int(deadline - time.monotonic())))
        r = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        )
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def recorder(srv: ServerProcess, runs_url: str) -> str:
    """A function that sends every event it gets (and the time it ran) to ``runs_url``."""
    name = uniq("scheduled")
    code = (
        "import boto3, json, time\n"
        "SQS = boto3.client('sqs')\n"
        f"URL = {runs_url!r}\n"
        "def handler(event, context):\n"
        "    SQS.send_message(QueueUrl=URL, MessageBody=json.dumps("
        "{'event': event, 'ran': time.time()}))\n"
    )
    create_python_function(srv.client("lambda"), name, code, Timeout=10)
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]  # type: ignore[no-any-return]


# ---- firing -------------------------------------------------------------------------------


def test_at_schedule_fires_a_function_once_on_time(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    runs_url, _ = queue(sqs, uniq("runs"))
    fn = recorder(srv, runs_url)
    expression, moment = at_in(2)
    sch.create_schedule(
        Name=uniq("once"),
        ScheduleExpression=expression,
        FlexibleTimeWindow=OFF,
        Target={"Arn": fn, "RoleArn": ROLE, "Input": json.dumps({"hello": "scheduler"})},
    )
    (run,) = receive(sqs, runs_url, 1)
    body = json.loads(run["Body"])
    assert body["event"] == {"hello": "scheduler"}  # Input, passed as it is
    assert moment.timestamp() <= body["ran"] < moment.timestamp() + 5
    assert receive(sqs, runs_url, 1, timeout=2) == []  # and only once


def test_sqs_target_fifo_with_message_group(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    url, arn = queue(sqs, uniq("target") + ".fifo", FifoQueue="true")
    expression, moment = at_in(1)
    sch.create_schedule(
        Name=uniq("fifo"),
        ScheduleExpression=expression,
        FlexibleTimeWindow=OFF,
        Target={
            "Arn": arn,
            "RoleArn": ROLE,
            "Input": "plain text",
            "SqsParameters": {"MessageGroupId": "group-7"},
        },
    )
    (msg,) = receive(sqs, url, 1)
    assert msg["Body"] == "plain text"
    assert msg["Attributes"]["MessageGroupId"] == "group-7"
    sent_ms = int(msg["Attributes"]["SentTimestamp"])
    assert moment.timestamp() * 1000 <= sent_ms < moment.timestamp() * 1000 + 1000  # <= 1 s late
    # A FIFO target without a group id is refused up front.
    err = error_of(
        lambda: sch.create_schedule(
            Name=uniq("nogroup"),
            ScheduleExpression=expression,
            FlexibleTimeWindow=OFF,
            Target={"Arn": arn, "RoleArn": ROLE},
        )
    )
    assert err["Code"] == "ValidationException" and "MessageGroupId" in err["Message"]


def test_action_after_completion_delete(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    url, arn = queue(sqs, uniq("done"))
    expression, _ = at_in(1)
    keep, drop = uniq("keep"), uniq("drop")
    for name, action in ((keep, "NONE"), (drop, "DELETE")):
        sch.create_schedule(
            Name=name,
            ScheduleExpression=expression,
            FlexibleTimeWindow=OFF,
            ActionAfterCompletion=action,
            Target={"Arn": arn, "RoleArn": ROLE, "Input": name},
        )
    assert {m["Body"] for m in receive(sqs, url, 2)} == {keep, drop}

    def gone() -> bool:
        try:
            sch.get_schedule(Name=drop)
            return False
        except sch.exceptions.ResourceNotFoundException:
            return True

    assert wait_for(gone, timeout=5)
    assert sch.get_schedule(Name=keep)["ActionAfterCompletion"] == "NONE"


def test_rate_schedule_fires_from_its_start_date(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    url, arn = queue(sqs, uniq("rate"))
    # rate(1 minute) anchored 58 s ago: its fires are start + k minutes, the next in ~2 s.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=58)
    sch.create_schedule(
        Name=uniq("rate"),
        ScheduleExpression="rate(1 minute)",
        StartDate=start,
        FlexibleTimeWindow=OFF,
        Target={"Arn": arn, "RoleArn": ROLE, "Input": "tick"},
    )
    (msg,) = receive(sqs, url, 1)
    sent = int(msg["Attributes"]["SentTimestamp"]) / 1000
    expected = (start + timedelta(minutes=1)).timestamp()
    assert expected <= sent < expected + 1
    assert receive(sqs, url, 1, timeout=2) == []  # the next one is a minute later
    # Without StartDate a rate schedule starts invoking at once.
    sch.create_schedule(
        Name=uniq("now"),
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow=OFF,
        Target={"Arn": arn, "RoleArn": ROLE, "Input": "now"},
    )
    assert [m["Body"] for m in receive(sqs, url, 1, timeout=5)] == ["now"]


def test_disabled_schedule_does_not_fire(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    url, arn = queue(sqs, uniq("disabled"))
    name = uniq("off")
    expression, _ = at_in(1)
    target = {"Arn": arn, "RoleArn": ROLE, "Input": "x"}
    sch.create_schedule(
        Name=name,
        ScheduleExpression=expression,
        FlexibleTimeWindow=OFF,
        State="DISABLED",
        Target=target,
    )
    assert receive(sqs, url, 1, timeout=3) == []
    assert sch.list_schedules(NamePrefix=name, State="DISABLED")["Schedules"][0]["Name"] == name
    # Enabled again with a new time: it fires.
    expression, _ = at_in(1)
    sch.update_schedule(
        Name=name, ScheduleExpression=expression, FlexibleTimeWindow=OFF, Target=target
    )
    assert [m["Body"] for m in receive(sqs, url, 1)] == ["x"]


def test_flexible_window_and_cron_timezone_are_kept(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    _, arn = queue(sqs, uniq("flex"))
    name = uniq("cron")
    sch.create_schedule(
        Name=name,
        ScheduleExpression="cron(30 2 ? * MON-FRI *)",
        ScheduleExpressionTimezone="America/New_York",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        Description="weekday mornings",
        Target={"Arn": arn, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 3}},
    )
    got = sch.get_schedule(Name=name)
    assert got["ScheduleExpressionTimezone"] == "America/New_York"
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert got["Target"]["RetryPolicy"] == {
        "MaximumRetryAttempts": 3,
        "MaximumEventAgeInSeconds": 86400,
    }
    assert got["Description"] == "weekday mornings" and got["State"] == "ENABLED"


def test_failed_deliveries_are_retried_then_dead_lettered(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    dlq_url, dlq_arn = queue(sqs, uniq("dlq"))
    missing = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{uniq('missing')}"
    expression, _ = at_in(1)
    name = uniq("failing")
    arn = sch.create_schedule(
        Name=name,
        ScheduleExpression=expression,
        FlexibleTimeWindow=OFF,
        Target={
            "Arn": missing,
            "RoleArn": ROLE,
            "Input": '{"n": 1}',
            "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
            "DeadLetterConfig": {"Arn": dlq_arn},
        },
    )["ScheduleArn"]
    (msg,) = receive(sqs, dlq_url, 1)
    assert msg["Body"] == '{"n": 1}'
    attrs = {k: v["StringValue"] for k, v in msg["MessageAttributes"].items()}
    assert attrs["ERROR_CODE"] == "ResourceNotFoundException"
    assert missing.rsplit(":", 1)[-1] in attrs["ERROR_MESSAGE"]
    assert attrs["RETRY_ATTEMPTS"] == "2"
    assert attrs["SCHEDULE_ARN"] == arn and attrs["TARGET_ARN"] == missing
    assert uuid.UUID(attrs["EXECUTION_ID"])
    assert receive(sqs, dlq_url, 1, timeout=1) == []


# ---- across restarts ----------------------------------------------------------------------


def test_kill9_before_and_after_a_fire(tmp_path: Path) -> None:
    data = tmp_path / "data"
    s = start_server(data, "--async-retry-scale", SCALE)
    try:
        sch, sqs = s.client("scheduler"), s.client("sqs")
        runs_url, _ = queue(sqs, "runs")
        fn = recorder(s, runs_url)
        # 1. Created, then the server is killed before the fire time: it fires once, on start.
        expression, _ = at_in(2)
        sch.create_schedule(
            Name="before",
            ScheduleExpression=expression,
            FlexibleTimeWindow=OFF,
            Target={"Arn": fn, "RoleArn": ROLE, "Input": '{"which": "before"}'},
        )
        os.killpg(s.proc.pid, signal.SIGKILL)
        s.proc.wait()
        s = start_server(data, "--async-retry-scale", SCALE)
        sch, sqs = s.client("scheduler"), s.client("sqs")
        (run,) = receive(sqs, runs_url, 1)
        assert json.loads(run["Body"])["event"] == {"which": "before"}
        # 2. Fired, then killed: not fired again after the restart.
        expression, _ = at_in(2)
        sch.create_schedule(
            Name="after",
            ScheduleExpression=expression,
            FlexibleTimeWindow=OFF,
            Target={"Arn": fn, "RoleArn": ROLE, "Input": '{"which": "after"}'},
        )
        (run,) = receive(sqs, runs_url, 1)
        assert json.loads(run["Body"])["event"] == {"which": "after"}
        os.killpg(s.proc.pid, signal.SIGKILL)
        s.proc.wait()
        s = start_server(data, "--async-retry-scale", SCALE)
        sch, sqs = s.client("scheduler"), s.client("sqs")
        assert receive(sqs, runs_url, 1, timeout=3) == []
        # Both schedules survived (one-time, ActionAfterCompletion NONE), and fire no more.
        names = {x["Name"] for x in sch.list_schedules()["Schedules"]}
        assert names == {"before", "after"}
    finally:
        s.stop()


# ---- groups, tags, listing ----------------------------------------------------------------


def test_groups_tags_and_listing(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    _, arn = queue(sqs, uniq("listing"))
    group = uniq("grp")
    group_arn = sch.create_schedule_group(Name=group, Tags=[{"Key": "team", "Value": "a"}])[
        "ScheduleGroupArn"
    ]
    assert group_arn == f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/{group}"
    assert sch.get_schedule_group(Name=group)["State"] == "ACTIVE"
    sch.tag_resource(ResourceArn=group_arn, Tags=[{"Key": "env", "Value": "test"}])
    sch.untag_resource(ResourceArn=group_arn, TagKeys=["team"])
    assert sch.list_tags_for_resource(ResourceArn=group_arn)["Tags"] == [
        {"Key": "env", "Value": "test"}
    ]
    target = {"Arn": arn, "RoleArn": ROLE}
    for i in range(5):
        got = sch.create_schedule(
            Name=f"s{i}",
            GroupName=group,
            ScheduleExpression="cron(0 12 * * ? *)",
            FlexibleTimeWindow=OFF,
            State="ENABLED" if i % 2 else "DISABLED",
            Target=target,
        )
        assert got["ScheduleArn"].endswith(f":schedule/{group}/s{i}")
    pages = sch.get_paginator("list_schedules").paginate(
        GroupName=group, PaginationConfig={"PageSize": 2}
    )
    names = [x["Name"] for page in pages for x in page["Schedules"]]
    assert names == ["s0", "s1", "s2", "s3", "s4"]
    enabled = sch.list_schedules(GroupName=group, State="ENABLED")["Schedules"]
    assert [x["Name"] for x in enabled] == ["s1", "s3"]
    assert enabled[0]["Target"] == {"Arn": arn}
    assert group in [
        g["Name"] for g in sch.list_schedule_groups(NamePrefix="grp-")["ScheduleGroups"]
    ]
    # The same name in another group is another schedule.
    sch.create_schedule(
        Name="s0", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF, Target=target
    )
    sch.delete_schedule(Name="s0")
    # Deleting the group deletes its schedules.
    sch.delete_schedule_group(Name=group)
    err = error_of(lambda: sch.get_schedule(Name="s1", GroupName=group))
    assert err == {
        "Code": "ResourceNotFoundException",
        "Message": f"Schedule group {group} does not exist.",
    }
    assert error_of(lambda: sch.list_tags_for_resource(ResourceArn=group_arn))["Code"] == (
        "ResourceNotFoundException"
    )


def test_client_token_makes_create_idempotent(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    _, arn = queue(sqs, uniq("idem"))
    name = uniq("idem")
    kw: dict[str, Any] = {
        "Name": name,
        "ScheduleExpression": "rate(1 day)",
        "FlexibleTimeWindow": OFF,
        "Target": {"Arn": arn, "RoleArn": ROLE},
    }
    first = sch.create_schedule(ClientToken="token-1", **kw)["ScheduleArn"]
    assert sch.create_schedule(ClientToken="token-1", **kw)["ScheduleArn"] == first
    err = error_of(lambda: sch.create_schedule(ClientToken="token-2", **kw))
    assert err == {"Code": "ConflictException", "Message": f"Schedule {name} already exists."}
    group = uniq("idem")
    g = sch.create_schedule_group(Name=group, ClientToken="t")["ScheduleGroupArn"]
    assert sch.create_schedule_group(Name=group, ClientToken="t")["ScheduleGroupArn"] == g
    assert error_of(lambda: sch.create_schedule_group(Name=group))["Code"] == "ConflictException"


# ---- validation ---------------------------------------------------------------------------


def test_validation_errors(srv: ServerProcess) -> None:
    sch, sqs = srv.client("scheduler"), srv.client("sqs")
    _, arn = queue(sqs, uniq("valid"))
    target = {"Arn": arn, "RoleArn": ROLE}

    def create(**kw: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "Name": uniq("v"),
            "ScheduleExpression": "rate(5 minutes)",
            "FlexibleTimeWindow": OFF,
            "Target": target,
            **kw,
        }
        return error_of(lambda: sch.create_schedule(**args))

    for bad in ["cron(0 12 * * * *)", "rate(0 minutes)", "at(2026-02-30T00:00:00)", "daily"]:
        assert create(ScheduleExpression=bad) == {
            "Code": "ValidationException",
            "Message": f"Invalid Schedule Expression {bad}.",
        }
    assert create(ScheduleExpressionTimezone="Mars/Olympus")["Message"] == (
        "Invalid ScheduleExpressionTimezone Mars/Olympus."
    )
    assert "MaximumWindowInMinutes" in create(FlexibleTimeWindow={"Mode": "FLEXIBLE"})["Message"]
    now = datetime.now(UTC)
    err = create(StartDate=now + timedelta(days=2), EndDate=now + timedelta(days=1))
    assert err["Message"] == "The StartDate must be before the EndDate."
    assert (
        create(EndDate=now - timedelta(days=1))["Message"] == "The EndDate must be in the future."
    )
    assert create(GroupName="nope") == {
        "Code": "ResourceNotFoundException",
        "Message": "Schedule group nope does not exist.",
    }
    # Shapes from the model: the codec's own wording.
    assert create(Target={**target, "RetryPolicy": {"MaximumRetryAttempts": 186}})["Code"] == (
        "ValidationException"
    )
    assert create(Target={"Arn": arn, "RoleArn": "not-a-role"})["Code"] == "ValidationException"
    # Targets this server has no service for are refused up front.
    for unknown in [
        "arn:aws:scheduler:::aws-sdk:sqs:sendMessage",
        f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:x",
    ]:
        err = create(Target={"Arn": unknown, "RoleArn": ROLE})
        assert err["Code"] == "ValidationException" and unknown in err["Message"]
    # A FIFO queue cannot be a dead-letter queue (the model's pattern has no dot).
    fifo_dlq = {**target, "DeadLetterConfig": {"Arn": arn + ".fifo"}}
    assert create(Target=fifo_dlq)["Code"] == "ValidationException"
    assert error_of(lambda: sch.get_schedule(Name="nope")) == {
        "Code": "ResourceNotFoundException",
        "Message": "Schedule nope does not exist.",
    }
    assert error_of(lambda: sch.delete_schedule_group(Name="default"))["Code"] == (
        "ValidationException"
    )
    err = error_of(
        lambda: sch.update_schedule(
            Name="nope", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF, Target=target
        )
    )
    assert err["Code"] == "ResourceNotFoundException"
