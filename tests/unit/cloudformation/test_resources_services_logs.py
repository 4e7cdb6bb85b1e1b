"""AWS::Logs::LogGroup, in process against a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ovis.errors import ApiError
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.test_resources_services_env import Env, run

G = "AWS::Logs::LogGroup"


async def _group(env: Env, name: str) -> dict[str, Any] | None:
    out = await env.call("logs", "DescribeLogGroups", {"logGroupNamePrefix": name})
    return next((g for g in out["logGroups"] if g["logGroupName"] == name), None)


def test_log_group_create_update_delete(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        req, res = await env.create(
            G,
            {
                "LogGroupName": "/app/one",
                "RetentionInDays": "7",
                "Tags": [{"Key": "a", "Value": "1"}],
            },
        )
        assert res.physical_id == "/app/one"
        assert res.attributes == {"Arn": "arn:aws:logs:us-east-1:000000000000:log-group:/app/one:*"}
        group = await _group(env, "/app/one")
        assert group is not None and group["retentionInDays"] == 7
        arn = "arn:aws:logs:us-east-1:000000000000:log-group:/app/one"
        tags = await env.call("logs", "ListTagsForResource", {"resourceArn": arn})
        assert tags["tags"] == {"a": "1"}

        req, _ = await env.update(
            req, {"LogGroupName": "/app/one", "Tags": [{"Key": "b", "Value": "2"}]}
        )
        group = await _group(env, "/app/one")
        assert group is not None and "retentionInDays" not in group
        tags = await env.call("logs", "ListTagsForResource", {"resourceArn": arn})
        assert tags["tags"] == {"b": "2"}

        with pytest.raises(ResourceFailed, match="already exists"):
            await env.create(G, {"LogGroupName": "/app/one"})
        await env.delete(req)
        await env.delete(req)
        assert await _group(env, "/app/one") is None

    run(tmp_path, body)


def test_generated_name_bad_retention_and_unsupported(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        req, res = await env.create(G, {}, "Logs")
        assert res.physical_id == f"teststack-Logs-{req.token}"
        with pytest.raises(ApiError):  # the service refuses 8 days: nothing is left behind
            await env.create(G, {"LogGroupName": "/bad", "RetentionInDays": 8})
        assert await _group(env, "/bad") is None
        with pytest.raises(ResourceFailed, match="DataProtectionPolicy"):
            await env.create(G, {"DataProtectionPolicy": {}})

    run(tmp_path, body)
