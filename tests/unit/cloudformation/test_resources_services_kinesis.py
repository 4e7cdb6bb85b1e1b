"""AWS::Kinesis::Stream, in process against a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ovis.errors import ApiError
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.test_resources_services_env import Env, run

K = "AWS::Kinesis::Stream"


async def _summary(env: Env, name: str) -> dict[str, Any]:
    out = await env.call("kinesis", "DescribeStreamSummary", {"StreamName": name})
    return dict(out["StreamDescriptionSummary"])


def test_stream_lifecycle(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        props = {
            "ShardCount": "2",
            "RetentionPeriodHours": 48,
            "Tags": [{"Key": "a", "Value": "1"}],
        }
        req, res = await env.create(K, props, "Events")
        name = res.physical_id
        assert name == f"teststack-Events-{req.token}"
        s = await _summary(env, name)
        assert res.attributes == {"Arn": s["StreamARN"]}
        assert s["StreamStatus"] == "ACTIVE" and s["OpenShardCount"] == 2
        assert s["RetentionPeriodHours"] == 48
        tags = await env.call("kinesis", "ListTagsForStream", {"StreamName": name})
        assert tags["Tags"] == [{"Key": "a", "Value": "1"}]

        req, _ = await env.update(req, {"ShardCount": 4, "RetentionPeriodHours": "24"})
        s = await _summary(env, name)
        assert s["OpenShardCount"] == 4 and s["RetentionPeriodHours"] == 24
        assert (await env.call("kinesis", "ListTagsForStream", {"StreamName": name}))["Tags"] == []

        req, _ = await env.update(req, {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}})
        s = await _summary(env, name)
        assert s["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"

        await env.delete(req)
        await env.delete(req)
        with pytest.raises(ApiError):
            await _summary(env, name)

    run(tmp_path, body)


def test_stream_defaults_and_failures(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        await env.create(K, {"Name": "s1"})
        assert (await _summary(env, "s1"))["OpenShardCount"] == 1  # CloudFormation's default
        with pytest.raises(ResourceFailed, match="s1 already exists"):
            await env.create(K, {"Name": "s1"})
        with pytest.raises(ApiError):  # the retention is refused after the create: rolled back
            await env.create(K, {"Name": "s2", "RetentionPeriodHours": 100000})
        with pytest.raises(ApiError):
            await _summary(env, "s2")
        with pytest.raises(ResourceFailed, match="ShardCount: expected type: Integer"):
            await env.create(K, {"Name": "s3", "ShardCount": "many"})

    run(tmp_path, body)
