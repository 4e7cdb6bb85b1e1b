"""AWS::IAM::Role, Policy and ManagedPolicy, in process against a real server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from ovis.errors import ApiError
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.test_resources_services_env import Env, run

R = "AWS::IAM::Role"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
LOGS = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def doc(action: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
    }


def _doc(value: Any) -> Any:
    return json.loads(unquote(value)) if isinstance(value, str) else value


async def _inline(env: Env, role: str) -> list[str]:
    return list((await env.call("iam", "ListRolePolicies", {"RoleName": role}))["PolicyNames"])


async def _attached(env: Env, role: str) -> list[str]:
    out = await env.call("iam", "ListAttachedRolePolicies", {"RoleName": role})
    return [p["PolicyArn"] for p in out["AttachedPolicies"]]


def test_role_lifecycle(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        props = {
            "AssumeRolePolicyDocument": TRUST,
            "Path": "/svc/",
            "Description": "first",
            "MaxSessionDuration": "7200",
            "ManagedPolicyArns": [LOGS],
            "Policies": [{"PolicyName": "sqs", "PolicyDocument": doc("sqs:*")}],
            "Tags": [{"Key": "a", "Value": "1"}],
        }
        req, res = await env.create(R, props, "FnRole")
        name = res.physical_id
        assert name == f"teststack-FnRole-{req.token}"
        role = (await env.call("iam", "GetRole", {"RoleName": name}))["Role"]
        assert res.attributes == {"Arn": role["Arn"], "RoleId": role["RoleId"]}
        assert role["Arn"] == f"arn:aws:iam::000000000000:role/svc/{name}"
        assert role["MaxSessionDuration"] == 7200 and role["Description"] == "first"
        assert _doc(role["AssumeRolePolicyDocument"]) == TRUST
        assert await _inline(env, name) == ["sqs"]
        assert await _attached(env, name) == [LOGS]

        trust2 = {
            **TRUST,
            "Statement": [
                {**TRUST["Statement"][0], "Principal": {"Service": "events.amazonaws.com"}}
            ],
        }
        props2 = {
            "AssumeRolePolicyDocument": trust2,
            "Path": "/svc/",
            "Description": "second",
            "Policies": [{"PolicyName": "sns", "PolicyDocument": doc("sns:*")}],
        }
        req, res = await env.update(req, props2)
        role = (await env.call("iam", "GetRole", {"RoleName": name}))["Role"]
        assert role["Description"] == "second" and role["MaxSessionDuration"] == 3600
        assert _doc(role["AssumeRolePolicyDocument"]) == trust2
        assert await _inline(env, name) == ["sns"]
        assert await _attached(env, name) == []
        assert (await env.call("iam", "ListRoleTags", {"RoleName": name}))["Tags"] == []

        await env.update(req, {**props2, "ManagedPolicyArns": [LOGS]})
        await env.delete(req)  # detaches and deletes the policies first
        await env.delete(req)
        with pytest.raises(ApiError):
            await env.call("iam", "GetRole", {"RoleName": name})

    run(tmp_path, body)


def test_role_failure_leaves_nothing(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        with pytest.raises(ApiError):
            await env.create(
                R,
                {
                    "RoleName": "r1",
                    "AssumeRolePolicyDocument": TRUST,
                    "Policies": [{"PolicyName": "ok", "PolicyDocument": doc("s3:*")}],
                    "ManagedPolicyArns": ["arn:aws:iam::000000000000:policy/missing"],
                },
            )
        with pytest.raises(ApiError):
            await env.call("iam", "GetRole", {"RoleName": "r1"})
        with pytest.raises(ResourceFailed, match="unsupported property Bad"):
            await env.create(R, {"AssumeRolePolicyDocument": TRUST, "Bad": 1})
        await env.create(R, {"RoleName": "r2", "AssumeRolePolicyDocument": TRUST})
        with pytest.raises(ResourceFailed, match="r2 already exists"):
            await env.create(R, {"RoleName": "r2", "AssumeRolePolicyDocument": TRUST})

    run(tmp_path, body)


def test_inline_policy_resource(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        _, a = await env.create(R, {"AssumeRolePolicyDocument": TRUST}, "A")
        _, b = await env.create(R, {"AssumeRolePolicyDocument": TRUST}, "B")
        ra, rb = a.physical_id, b.physical_id
        props = {"PolicyName": "p1", "PolicyDocument": doc("s3:*"), "Roles": [ra, rb]}
        req, res = await env.create("AWS::IAM::Policy", props, "Pol")
        assert res.physical_id.startswith("teststack-Pol-")
        assert await _inline(env, ra) == ["p1"] and await _inline(env, rb) == ["p1"]
        req, _ = await env.update(req, {**props, "PolicyName": "p2", "Roles": [ra]})
        assert await _inline(env, ra) == ["p2"] and await _inline(env, rb) == []
        got = await env.call("iam", "GetRolePolicy", {"RoleName": ra, "PolicyName": "p2"})
        assert _doc(got["PolicyDocument"]) == doc("s3:*")
        await env.delete(req)
        assert await _inline(env, ra) == []
        with pytest.raises(ResourceFailed, match="Users"):
            await env.create("AWS::IAM::Policy", {**props, "Users": ["bob"]})

    run(tmp_path, body)


def test_managed_policy(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        _, a = await env.create(R, {"AssumeRolePolicyDocument": TRUST}, "A")
        role = a.physical_id
        props = {"PolicyDocument": doc("sqs:*"), "Roles": [role], "Path": "/team/"}
        req, res = await env.create("AWS::IAM::ManagedPolicy", props, "Mp")
        arn = res.physical_id
        assert arn.startswith("arn:aws:iam::000000000000:policy/team/teststack-Mp-")
        assert res.attributes["PolicyArn"] == arn and res.attributes["AttachmentCount"] == 1
        assert res.attributes["DefaultVersionId"] == "v1" and res.attributes["IsAttachable"]
        assert res.attributes["CreateDate"].endswith("Z")
        assert await _attached(env, role) == [arn]
        for i in range(6):  # more changes than IAM keeps versions: the oldest go
            req, res = await env.update(req, {**props, "PolicyDocument": doc(f"sns:Op{i}")})
        assert res.attributes["DefaultVersionId"] == "v7"
        got = await env.call("iam", "GetPolicyVersion", {"PolicyArn": arn, "VersionId": "v7"})
        assert _doc(got["PolicyVersion"]["Document"]) == doc("sns:Op5")
        req, res = await env.update(req, {**req.properties, "Roles": []})
        assert await _attached(env, role) == [] and res.attributes["AttachmentCount"] == 0
        req, _ = await env.update(req, {**req.properties, "Roles": [role]})
        await env.delete(req)
        await env.delete(req)
        assert await _attached(env, role) == []
        with pytest.raises(ApiError):
            await env.call("iam", "GetPolicy", {"PolicyArn": arn})

    run(tmp_path, body)
