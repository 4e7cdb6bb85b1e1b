"""AWS::Events::Rule and AWS::Events::EventBus, in process against a real server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from ovis.errors import ApiError
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.test_resources_services_env import Env, run

RULE = "AWS::Events::Rule"


async def _queue(env: Env, name: str) -> tuple[str, str]:
    url = (await env.call("sqs", "CreateQueue", {"QueueName": name}))["QueueUrl"]
    out = await env.call(
        "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}
    )
    return url, str(out["Attributes"]["QueueArn"])


async def _receive(env: Env, url: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30  # generous: a loaded CI machine
    while time.monotonic() < deadline:
        out = await env.call("sqs", "ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 1})
        if out.get("Messages"):
            return list(out["Messages"])
    return []


async def _put(env: Env, bus: str | None = None) -> None:
    entry: dict[str, Any] = {"Source": "app.orders", "DetailType": "created", "Detail": '{"id": 7}'}
    if bus:
        entry["EventBusName"] = bus
    out = await env.call("events", "PutEvents", {"Entries": [entry]})
    assert out["FailedEntryCount"] == 0


def test_rule_delivers_updates_and_deletes(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        url, arn = await _queue(env, "q")
        props = {
            "EventPattern": {"source": ["app.orders"]},
            "Targets": [
                {
                    "Id": "q",
                    "Arn": arn,
                    "InputTransformer": {
                        "InputPathsMap": {"id": "$.detail.id"},
                        "InputTemplate": '{"order": <id>}',
                    },
                    "RetryPolicy": {"MaximumRetryAttempts": "2"},
                }
            ],
        }
        req, res = await env.create(RULE, props, "OnOrder")
        name = res.physical_id
        assert name == f"teststack-OnOrder-{req.token}"
        assert res.attributes["Arn"] == f"arn:aws:events:us-east-1:000000000000:rule/{name}"
        await _put(env)
        msgs = await _receive(env, url)
        assert [json.loads(m["Body"]) for m in msgs] == [{"order": 7}]

        req, _ = await env.update(
            req, {**props, "State": "DISABLED", "Targets": [{"Id": "q2", "Arn": arn}]}
        )
        rule = await env.call("events", "DescribeRule", {"Name": name})
        assert rule["State"] == "DISABLED"
        listed = await env.call("events", "ListTargetsByRule", {"Rule": name})
        assert [t["Id"] for t in listed["Targets"]] == ["q2"]

        await env.delete(req)  # targets first, then the rule
        await env.delete(req)
        with pytest.raises(ApiError):
            await env.call("events", "DescribeRule", {"Name": name})

    run(tmp_path, body)


def test_rule_on_custom_bus_and_failures(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        url, arn = await _queue(env, "q")
        bus_req, bus = await env.create(
            "AWS::Events::EventBus", {"Name": "orders", "Tags": [{"Key": "k", "Value": "v"}]}
        )
        assert bus.physical_id == "orders"
        assert bus.attributes["Arn"].endswith(":event-bus/orders")
        req, res = await env.create(
            RULE,
            {
                "Name": "r1",
                "EventBusName": "orders",
                "EventPattern": {"source": ["app.orders"]},
                "Targets": [{"Id": "q", "Arn": arn}],
            },
        )
        assert res.physical_id == "orders|r1"
        assert res.attributes["Arn"].endswith(":rule/orders/r1")
        await _put(env, "orders")
        assert len(await _receive(env, url)) == 1

        with pytest.raises(ResourceFailed, match="r1 already exists"):
            await env.create(
                RULE, {"Name": "r1", "EventBusName": "orders", "EventPattern": {"source": ["x"]}}
            )
        with pytest.raises(ResourceFailed, match=r"Targets\.Bogus"):
            await env.create(
                RULE,
                {
                    "EventPattern": {"source": ["x"]},
                    "Targets": [{"Id": "a", "Arn": arn, "Bogus": 1}],
                },
            )
        with pytest.raises(ApiError):  # the service refuses the pattern: no rule is left
            await env.create(RULE, {"Name": "r2", "EventPattern": "not json"})
        assert not (await env.call("events", "ListRules", {}))["Rules"]
        with pytest.raises(ResourceFailed, match="Policy"):
            await env.create("AWS::Events::EventBus", {"Name": "b2", "Policy": {}})

        await env.delete(req)
        await env.delete(bus_req)
        with pytest.raises(ApiError):
            await env.call("events", "DescribeEventBus", {"Name": "orders"})

    run(tmp_path, body)
