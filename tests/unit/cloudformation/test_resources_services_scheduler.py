"""AWS::Scheduler::Schedule and ScheduleGroup, in process against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ovis.errors import ApiError
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.test_resources_services_env import Env, run

S = "AWS::Scheduler::Schedule"
ROLE = "arn:aws:iam::000000000000:role/sched"


async def _queue_arn(env: Env) -> str:
    url = (await env.call("sqs", "CreateQueue", {"QueueName": "q"}))["QueueUrl"]
    out = await env.call(
        "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}
    )
    return str(out["Attributes"]["QueueArn"])


def test_schedule_in_a_group(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await _queue_arn(env)
        greq, group = await env.create(
            "AWS::Scheduler::ScheduleGroup", {"Tags": [{"Key": "a", "Value": "1"}]}, "Group"
        )
        gname = group.physical_id
        assert gname == f"teststack-Group-{greq.token}"
        assert group.attributes["Arn"].endswith(f":schedule-group/{gname}")
        assert group.attributes["State"] == "ACTIVE"
        props = {
            "GroupName": gname,
            "ScheduleExpression": "rate(5 minutes)",
            "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": "3"},
            "StartDate": "2030-01-01T00:00:00Z",
            "Target": {
                "Arn": arn,
                "RoleArn": ROLE,
                "Input": {"hello": "world"},
                "RetryPolicy": {"MaximumRetryAttempts": "4"},
            },
            "Description": "every five",
        }
        req, res = await env.create(S, props, "Tick")
        name = res.physical_id
        assert res.attributes["Arn"].endswith(f":schedule/{gname}/{name}")
        got = await env.call("scheduler", "GetSchedule", {"Name": name, "GroupName": gname})
        assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 3}
        assert json.loads(got["Target"]["Input"]) == {"hello": "world"}
        assert got["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 4
        assert got["Description"] == "every five"

        props2 = {k: v for k, v in props.items() if k not in ("Description", "StartDate")}
        props2["State"] = "DISABLED"
        props2["FlexibleTimeWindow"] = {"Mode": "OFF"}
        req, _ = await env.update(req, props2)
        got = await env.call("scheduler", "GetSchedule", {"Name": name, "GroupName": gname})
        assert got["State"] == "DISABLED" and "Description" not in got
        assert got["FlexibleTimeWindow"] == {"Mode": "OFF"}

        greq, _ = await env.update(greq, {})
        tags = await env.call(
            "scheduler", "ListTagsForResource", {"ResourceArn": group.attributes["Arn"]}
        )
        assert tags["Tags"] == []

        await env.delete(req)
        await env.delete(req)
        with pytest.raises(ApiError):
            await env.call("scheduler", "GetSchedule", {"Name": name, "GroupName": gname})
        await env.delete(greq)
        await env.delete(greq)

    run(tmp_path, body)


def test_schedule_failures(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await _queue_arn(env)
        base = {
            "ScheduleExpression": "rate(1 hour)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": arn, "RoleArn": ROLE},
        }
        with pytest.raises(ResourceFailed, match="FlexibleTimeWindow is required"):
            await env.create(S, {k: v for k, v in base.items() if k != "FlexibleTimeWindow"})
        with pytest.raises(ApiError):
            await env.create(S, {**base, "ScheduleExpression": "whenever"})
        await env.create(S, {**base, "Name": "one"})
        with pytest.raises(ResourceFailed, match="one already exists"):
            await env.create(S, {**base, "Name": "one"})
        out = await env.call("scheduler", "ListSchedules", {})
        assert [s["Name"] for s in out["Schedules"]] == ["one"]

    run(tmp_path, body)
