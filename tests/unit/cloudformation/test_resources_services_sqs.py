"""AWS::SQS::Queue and AWS::SQS::QueuePolicy, in process against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ovis.errors import ApiError
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.test_resources_services_env import Env, run

Q = "AWS::SQS::Queue"


async def _attrs(env: Env, url: str) -> dict[str, str]:
    out = await env.call("sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})
    return dict(out["Attributes"])


def test_queue_create_update_delete(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        dlq_req, dlq = await env.create(Q, {}, "Dlq")
        assert dlq.physical_id.endswith("/teststack-Dlq-" + dlq_req.token)
        props = {
            "DelaySeconds": "5",
            "VisibilityTimeout": 45,
            "RedrivePolicy": {"deadLetterTargetArn": dlq.attributes["Arn"], "maxReceiveCount": 3},
            "Tags": [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}],
        }
        req, res = await env.create(Q, props, "Main")
        url = res.physical_id
        assert res.attributes["QueueUrl"] == url
        assert res.attributes["QueueName"] == url.rsplit("/", 1)[-1]
        assert res.attributes["Arn"].endswith(":" + res.attributes["QueueName"])
        attrs = await _attrs(env, url)
        assert attrs["DelaySeconds"] == "5" and attrs["VisibilityTimeout"] == "45"
        assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 3
        tags = await env.call("sqs", "ListQueueTags", {"QueueUrl": url})
        assert tags["Tags"] == {"team": "a", "env": "dev"}

        # update: change one attribute, drop another (back to the default), retag
        req, res = await env.update(
            req, {"VisibilityTimeout": "60", "Tags": [{"Key": "team", "Value": "b"}]}
        )
        assert res.physical_id == url
        attrs = await _attrs(env, url)
        assert attrs["VisibilityTimeout"] == "60" and attrs["DelaySeconds"] == "0"
        assert "RedrivePolicy" not in attrs
        tags = await env.call("sqs", "ListQueueTags", {"QueueUrl": url})
        assert tags["Tags"] == {"team": "b"}

        await env.delete(req)
        await env.delete(req)  # idempotent
        with pytest.raises(ApiError):
            await _attrs(env, url)
        await env.delete(dlq_req)

    run(tmp_path, body)


def test_fifo_names_and_existing_name(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        _req, res = await env.create(Q, {"FifoQueue": "true", "ContentBasedDeduplication": True})
        assert res.attributes["QueueName"].endswith(".fifo")
        attrs = await _attrs(env, res.physical_id)
        assert attrs["FifoQueue"] == "true" and attrs["ContentBasedDeduplication"] == "true"

        await env.create(Q, {"QueueName": "named"})
        with pytest.raises(ResourceFailed, match="named already exists"):
            await env.create(Q, {"QueueName": "named"})

    run(tmp_path, body)


def test_bad_properties_fail_before_anything_is_made(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        with pytest.raises(ResourceFailed, match="Encountered unsupported property Bogus"):
            await env.create(Q, {"QueueName": "x1", "Bogus": 1})
        with pytest.raises(ResourceFailed, match="DelaySeconds: expected type: Integer"):
            await env.create(Q, {"QueueName": "x2", "DelaySeconds": "soon"})
        with pytest.raises(ApiError):  # the service's own limit
            await env.create(Q, {"QueueName": "x3", "DelaySeconds": 9999})
        out = await env.call("sqs", "ListQueues", {})
        assert not out.get("QueueUrls")

    run(tmp_path, body)


def test_delete_without_physical_id_finds_the_generated_name(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        req, _res = await env.create(Q, {})
        from dataclasses import replace

        await env.delete(replace(req, physical_id=None))
        assert not (await env.call("sqs", "ListQueues", {})).get("QueueUrls")

    run(tmp_path, body)


def test_queue_policy(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        _, a = await env.create(Q, {}, "A")
        _, b = await env.create(Q, {}, "B")
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sqs:SendMessage",
                    "Resource": a.attributes["Arn"],
                }
            ],
        }
        req, res = await env.create(
            "AWS::SQS::QueuePolicy",
            {"Queues": [a.physical_id, b.physical_id], "PolicyDocument": doc},
        )
        assert res.physical_id
        assert json.loads((await _attrs(env, a.physical_id))["Policy"]) == doc
        req, _ = await env.update(req, {"Queues": [a.physical_id], "PolicyDocument": doc})
        assert "Policy" not in await _attrs(env, b.physical_id)
        assert "Policy" in await _attrs(env, a.physical_id)
        await env.delete(req)
        assert "Policy" not in await _attrs(env, a.physical_id)

    run(tmp_path, body)
