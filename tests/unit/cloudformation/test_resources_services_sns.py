"""AWS::SNS::Topic, Subscription and TopicPolicy, in process against a real server."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ovis.errors import ApiError
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.test_resources_services_env import Env, run

T = "AWS::SNS::Topic"


async def _queue(env: Env, name: str) -> str:
    url = (await env.call("sqs", "CreateQueue", {"QueueName": name}))["QueueUrl"]
    out = await env.call(
        "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}
    )
    return str(out["Attributes"]["QueueArn"])


async def _subs(env: Env, arn: str) -> set[tuple[str, str]]:
    out = await env.call("sns", "ListSubscriptionsByTopic", {"TopicArn": arn})
    return {(s["Protocol"], s["Endpoint"]) for s in out.get("Subscriptions", [])}


def test_topic_with_subscriptions_update_delete(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        q1, q2 = await _queue(env, "q1"), await _queue(env, "q2")
        req, res = await env.create(
            T,
            {
                "DisplayName": "Hello",
                "Subscription": [{"Protocol": "sqs", "Endpoint": q1}],
                "Tags": [{"Key": "k", "Value": "v"}],
            },
            "Topic",
        )
        arn = res.physical_id
        assert arn == f"arn:aws:sns:us-east-1:000000000000:teststack-Topic-{req.token}"
        assert res.attributes == {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[-1]}
        attrs = (await env.call("sns", "GetTopicAttributes", {"TopicArn": arn}))["Attributes"]
        assert attrs["DisplayName"] == "Hello"
        assert await _subs(env, arn) == {("sqs", q1)}
        tags = await env.call("sns", "ListTagsForResource", {"ResourceArn": arn})
        assert tags["Tags"] == [{"Key": "k", "Value": "v"}]

        req, res = await env.update(
            req,
            {"Subscription": [{"Protocol": "sqs", "Endpoint": q2}], "TracingConfig": "Active"},
        )
        assert res.physical_id == arn
        attrs = (await env.call("sns", "GetTopicAttributes", {"TopicArn": arn}))["Attributes"]
        assert attrs["DisplayName"] == "" and attrs["TracingConfig"] == "Active"
        assert await _subs(env, arn) == {("sqs", q2)}
        tags = await env.call("sns", "ListTagsForResource", {"ResourceArn": arn})
        assert tags["Tags"] == []

        await env.delete(req)
        await env.delete(req)
        with pytest.raises(ApiError):
            await env.call("sns", "GetTopicAttributes", {"TopicArn": arn})

    run(tmp_path, body)


def test_fifo_topic_and_failed_subscription_leaves_nothing(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        _, res = await env.create(T, {"FifoTopic": "true", "ContentBasedDeduplication": "true"})
        assert res.attributes["TopicName"].endswith(".fifo")
        with pytest.raises(ApiError):
            await env.create(
                T, {"TopicName": "t2", "Subscription": [{"Protocol": "bogus", "Endpoint": "x"}]}
            )
        topics = (await env.call("sns", "ListTopics", {}))["Topics"]
        assert [t["TopicArn"] for t in topics] == [res.physical_id]
        with pytest.raises(ResourceFailed, match="unsupported property Nope"):
            await env.create(T, {"Nope": 1})
        await env.create(T, {"TopicName": "t3"})
        with pytest.raises(ResourceFailed, match="t3 already exists"):
            await env.create(T, {"TopicName": "t3"})

    run(tmp_path, body)


def test_subscription(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        _, topic = await env.create(T, {"TopicName": "t"})
        q = await _queue(env, "q")
        props = {
            "TopicArn": topic.physical_id,
            "Protocol": "sqs",
            "Endpoint": q,
            "RawMessageDelivery": "true",
            "FilterPolicy": {"color": ["red"]},
        }
        req, res = await env.create("AWS::SNS::Subscription", props)
        arn = res.physical_id
        assert arn.startswith(topic.physical_id + ":") and res.attributes == {"Arn": arn}
        got = (await env.call("sns", "GetSubscriptionAttributes", {"SubscriptionArn": arn}))[
            "Attributes"
        ]
        assert got["RawMessageDelivery"] == "true"
        assert json.loads(got["FilterPolicy"]) == {"color": ["red"]}

        props2 = {k: v for k, v in props.items() if k not in ("RawMessageDelivery", "FilterPolicy")}
        req, _ = await env.update(req, props2)
        got = (await env.call("sns", "GetSubscriptionAttributes", {"SubscriptionArn": arn}))[
            "Attributes"
        ]
        assert got["RawMessageDelivery"] == "false" and "FilterPolicy" not in got

        with pytest.raises(ResourceFailed, match="Region"):
            await env.create("AWS::SNS::Subscription", {**props, "Region": "eu-west-1"})
        await env.delete(req)
        await env.delete(req)
        assert await _subs(env, topic.physical_id) == set()

    run(tmp_path, body)


def test_topic_policy(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        _, topic = await env.create(T, {"TopicName": "t"})
        arn = topic.physical_id
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": arn,
                }
            ],
        }
        req, _ = await env.create("AWS::SNS::TopicPolicy", {"Topics": [arn], "PolicyDocument": doc})
        attrs = (await env.call("sns", "GetTopicAttributes", {"TopicArn": arn}))["Attributes"]
        assert json.loads(attrs["Policy"]) == doc
        await env.delete(req)
        attrs = (await env.call("sns", "GetTopicAttributes", {"TopicArn": arn}))["Attributes"]
        assert json.loads(attrs["Policy"])["Id"] == "__default_policy_ID"

    run(tmp_path, body)


def test_subscription_delete_after_an_interrupted_create(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        _, topic = await env.create(T, {"TopicName": "t"})
        q = await _queue(env, "q")
        props = {"TopicArn": topic.physical_id, "Protocol": "sqs", "Endpoint": q}
        req, _ = await env.create("AWS::SNS::Subscription", props)
        await env.delete(replace(req, physical_id=None))  # found by topic, protocol, endpoint
        assert await _subs(env, topic.physical_id) == set()

    run(tmp_path, body)
