"""The Lambda family's other resource types (Version, Alias, Permission, Url, LayerVersion,
LayerVersionPermission, EventSourceMapping, EventInvokeConfig), in process against a real
server: each is checked through the Lambda API afterwards."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from ovis.errors import InvalidParameterValueException, ResourceNotFoundException
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.lambda_harness import (
    ACCOUNT,
    CALLER,
    REGION,
    Env,
    function_props,
    request,
    run,
)

FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"


async def make_function(env: Env, name: str = "fn") -> str:
    res = await env.provider("AWS::Lambda::Function").create(
        request("AWS::Lambda::Function", "Fn", function_props(FunctionName=name))
    )
    return res.physical_id


def test_version_alias_with_routing_and_provisioned_concurrency(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        await make_function(env)
        ver = env.provider("AWS::Lambda::Version")
        v1 = await ver.create(
            request("AWS::Lambda::Version", "V1", {"FunctionName": "fn", "Description": "one"})
        )
        assert v1.physical_id == f"{FN_ARN}:1"
        assert v1.attributes == {"FunctionArn": f"{FN_ARN}:1", "Version": "1"}
        await env.call("UpdateFunctionConfiguration", FunctionName="fn", Timeout=9)
        v2 = await ver.create(
            request(
                "AWS::Lambda::Version",
                "V2",
                {
                    "FunctionName": FN_ARN,
                    "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": "1"},
                },
            )
        )
        assert v2.attributes["Version"] == "2"
        pc = await env.call("GetProvisionedConcurrencyConfig", FunctionName="fn", Qualifier="2")
        assert pc["Status"] == "READY"

        alias = env.provider("AWS::Lambda::Alias")
        props = {
            "FunctionName": "fn",
            "Name": "live",
            "FunctionVersion": "1",
            "RoutingConfig": {
                "AdditionalVersionWeights": [{"FunctionVersion": "2", "FunctionWeight": "0.25"}]
            },
        }
        a = await alias.create(request("AWS::Lambda::Alias", "A", props))
        assert a.physical_id == f"{FN_ARN}:live" and a.attributes["AliasArn"] == a.physical_id
        got = await env.call("GetAlias", FunctionName="fn", Name="live")
        assert got["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.25}
        new = {
            "FunctionName": "fn",
            "Name": "live",
            "FunctionVersion": "2",
            "Description": "now two",
        }
        await alias.update(
            request("AWS::Lambda::Alias", "A", new, physical_id=a.physical_id, previous=props)
        )
        got = await env.call("GetAlias", FunctionName="fn", Name="live")
        assert got["FunctionVersion"] == "2" and got["Description"] == "now two"
        assert not (got.get("RoutingConfig") or {}).get("AdditionalVersionWeights")

        await alias.delete(request("AWS::Lambda::Alias", "A", new, physical_id=a.physical_id))
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetAlias", FunctionName="fn", Name="live")
        await alias.delete(request("AWS::Lambda::Alias", "A", new, physical_id=a.physical_id))
        await ver.delete(request("AWS::Lambda::Version", "V2", {}, physical_id=v2.physical_id))
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetFunctionConfiguration", FunctionName="fn", Qualifier="2")
        await ver.delete(request("AWS::Lambda::Version", "V2", {}, physical_id=v2.physical_id))
        versions = await env.call("ListVersionsByFunction", FunctionName="fn")
        assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "1"]

    run(tmp_path, scenario)


def test_version_code_sha_mismatch_fails(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        await make_function(env)
        with pytest.raises(
            InvalidParameterValueException, match="is different from current CodeSHA256"
        ):
            await env.provider("AWS::Lambda::Version").create(
                request("AWS::Lambda::Version", "V", {"FunctionName": "fn", "CodeSha256": "x"})
            )
        with pytest.raises(ResourceFailed, match="Manual"):
            await env.provider("AWS::Lambda::Version").create(
                request(
                    "AWS::Lambda::Version",
                    "V",
                    {"FunctionName": "fn", "RuntimePolicy": {"UpdateRuntimeOn": "Manual"}},
                )
            )
        versions = await env.call("ListVersionsByFunction", FunctionName="fn")
        assert [v["Version"] for v in versions["Versions"]] == ["$LATEST"]

    run(tmp_path, scenario)


def test_permission_and_url(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        await make_function(env)
        url = env.provider("AWS::Lambda::Url")
        props = {
            "TargetFunctionArn": FN_ARN,
            "AuthType": "NONE",
            "Cors": {"AllowOrigins": ["*"], "MaxAge": "60"},
        }
        u = await url.create(request("AWS::Lambda::Url", "U", props))
        assert u.physical_id == FN_ARN
        assert u.attributes["FunctionArn"] == FN_ARN
        assert u.attributes["FunctionUrl"].startswith("http")
        cfg = await env.call("GetFunctionUrlConfig", FunctionName="fn")
        assert cfg["Cors"]["MaxAge"] == 60 and cfg["FunctionUrl"] == u.attributes["FunctionUrl"]
        new = {"TargetFunctionArn": FN_ARN, "AuthType": "AWS_IAM"}
        await url.update(request("AWS::Lambda::Url", "U", new, physical_id=FN_ARN, previous=props))
        cfg = await env.call("GetFunctionUrlConfig", FunctionName="fn")
        assert cfg["AuthType"] == "AWS_IAM" and not cfg.get("Cors")

        perm = env.provider("AWS::Lambda::Permission")
        pprops = {
            "FunctionName": FN_ARN,
            "Action": "lambda:InvokeFunctionUrl",
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
        }
        p = await perm.create(request("AWS::Lambda::Permission", "Perm", pprops))
        sid = "teststack-Perm-ABCDEF123456"
        assert p.physical_id == f"{FN_ARN}|{sid}" and p.attributes == {"Id": sid}
        policy = json.loads((await env.call("GetPolicy", FunctionName="fn"))["Policy"])
        st = {s["Sid"]: s for s in policy["Statement"]}[sid]
        assert st["Action"] == "lambda:InvokeFunctionUrl"
        assert st["Condition"]["StringEquals"]["lambda:FunctionUrlAuthType"] == "NONE"
        with pytest.raises(ResourceFailed, match="unsupported property Bogus"):
            await perm.create(request("AWS::Lambda::Permission", "P2", {**pprops, "Bogus": 1}))

        await perm.delete(
            request("AWS::Lambda::Permission", "Perm", pprops, physical_id=p.physical_id)
        )
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetPolicy", FunctionName="fn")
        await perm.delete(
            request("AWS::Lambda::Permission", "Perm", pprops, physical_id=p.physical_id)
        )
        await url.delete(request("AWS::Lambda::Url", "U", new, physical_id=FN_ARN))
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetFunctionUrlConfig", FunctionName="fn")
        await url.delete(request("AWS::Lambda::Url", "U", new, physical_id=FN_ARN))

    run(tmp_path, scenario)


def _layer_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("python/helper_mod.py", "VALUE = 42\n")
    return buf.getvalue()


def test_layer_version_and_permission(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        s3 = env.server.calls
        await s3("s3", "CreateBucket", {"Bucket": "code"}, CALLER)
        await s3(
            "s3", "PutObject", {"Bucket": "code", "Key": "l.zip", "Body": _layer_zip()}, CALLER
        )
        layer = env.provider("AWS::Lambda::LayerVersion")
        props = {
            "Content": {"S3Bucket": "code", "S3Key": "l.zip"},
            "CompatibleRuntimes": ["python3.11"],
            "Description": "helpers",
        }
        lv = await layer.create(request("AWS::Lambda::LayerVersion", "Layer", props))
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:teststack-Layer-ABCDEF123456:1"
        assert lv.physical_id == arn and lv.attributes == {"LayerVersionArn": arn}
        src = "import helper_mod\ndef handler(e, c):\n    return helper_mod.VALUE\n"
        await env.provider("AWS::Lambda::Function").create(
            request(
                "AWS::Lambda::Function",
                "Fn",
                function_props(FunctionName="uses", Code={"ZipFile": src}, Layers=[arn]),
            )
        )
        out = await env.call("Invoke", FunctionName="uses", Payload=b"{}")
        assert json.loads(out["Payload"]) == 42

        lp = env.provider("AWS::Lambda::LayerVersionPermission")
        pprops = {"LayerVersionArn": arn, "Action": "lambda:GetLayerVersion", "Principal": "*"}
        perm = await lp.create(request("AWS::Lambda::LayerVersionPermission", "LP", pprops))
        assert perm.physical_id == f"{arn}#teststack-LP-ABCDEF123456"
        assert perm.attributes == {"Id": perm.physical_id}
        name = "teststack-Layer-ABCDEF123456"
        policy = await env.call("GetLayerVersionPolicy", LayerName=name, VersionNumber=1)
        assert "teststack-LP-ABCDEF123456" in policy["Policy"]
        await lp.delete(
            request(
                "AWS::Lambda::LayerVersionPermission", "LP", pprops, physical_id=perm.physical_id
            )
        )
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetLayerVersionPolicy", LayerName=name, VersionNumber=1)
        await lp.delete(
            request(
                "AWS::Lambda::LayerVersionPermission", "LP", pprops, physical_id=perm.physical_id
            )
        )
        await layer.delete(request("AWS::Lambda::LayerVersion", "Layer", props, physical_id=arn))
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetLayerVersion", LayerName=name, VersionNumber=1)
        await layer.delete(request("AWS::Lambda::LayerVersion", "Layer", props, physical_id=arn))

    run(tmp_path, scenario)


def test_event_source_mapping_lifecycle(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        await make_function(env)
        q = await env.server.calls("sqs", "CreateQueue", {"QueueName": "src"}, CALLER)
        attrs = await env.server.calls(
            "sqs",
            "GetQueueAttributes",
            {"QueueUrl": q["QueueUrl"], "AttributeNames": ["QueueArn"]},
            CALLER,
        )
        qarn = attrs["Attributes"]["QueueArn"]
        esm = env.provider("AWS::Lambda::EventSourceMapping")
        props = {
            "FunctionName": "fn",
            "EventSourceArn": qarn,
            "BatchSize": "5",
            "Enabled": "false",
            "FilterCriteria": {"Filters": [{"Pattern": '{"body": {"k": ["v"]}}'}]},
            "ScalingConfig": {"MaximumConcurrency": 4},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "Tags": [{"Key": "t", "Value": "1"}],
        }
        m = await esm.create(request("AWS::Lambda::EventSourceMapping", "M", props))
        uuid = m.physical_id
        assert m.attributes["Id"] == uuid
        got = await env.call("GetEventSourceMapping", UUID=uuid)
        assert got["State"] == "Disabled" and got["BatchSize"] == 5
        assert got["ScalingConfig"] == {"MaximumConcurrency": 4}
        assert got["FilterCriteria"]["Filters"][0]["Pattern"] == '{"body": {"k": ["v"]}}'
        assert m.attributes["EventSourceMappingArn"] == got["EventSourceMappingArn"]
        tags = await env.call("ListTags", Resource=got["EventSourceMappingArn"])
        assert tags["Tags"] == {"t": "1"}

        new = {
            "FunctionName": "fn",
            "EventSourceArn": qarn,
            "BatchSize": 7,
            "Tags": [{"Key": "u", "Value": "2"}],
        }
        await esm.update(
            request("AWS::Lambda::EventSourceMapping", "M", new, physical_id=uuid, previous=props)
        )
        got = await env.call("GetEventSourceMapping", UUID=uuid)
        assert got["State"] == "Enabled" and got["BatchSize"] == 7
        assert not got.get("FilterCriteria", {}).get("Filters")
        assert not got.get("FunctionResponseTypes")
        tags = await env.call("ListTags", Resource=got["EventSourceMappingArn"])
        assert tags["Tags"] == {"u": "2"}

        with pytest.raises(ResourceFailed, match="BatchSize: expected type: Integer"):
            await esm.create(
                request("AWS::Lambda::EventSourceMapping", "M2", {**props, "BatchSize": "many"})
            )
        await esm.delete(request("AWS::Lambda::EventSourceMapping", "M", new, physical_id=uuid))
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetEventSourceMapping", UUID=uuid)
        await esm.delete(request("AWS::Lambda::EventSourceMapping", "M", new, physical_id=uuid))
        assert (await env.call("ListEventSourceMappings"))["EventSourceMappings"] == []

    run(tmp_path, scenario)


def test_event_invoke_config(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        await make_function(env)
        q = await env.server.calls("sqs", "CreateQueue", {"QueueName": "dlq"}, CALLER)
        qarn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq"
        assert q["QueueUrl"]
        eic = env.provider("AWS::Lambda::EventInvokeConfig")
        props = {
            "FunctionName": "fn",
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": "1",
            "DestinationConfig": {"OnFailure": {"Destination": qarn}},
        }
        r = await eic.create(request("AWS::Lambda::EventInvokeConfig", "E", props))
        assert r.physical_id == "fn|$LATEST"
        got = await env.call("GetFunctionEventInvokeConfig", FunctionName="fn", Qualifier="$LATEST")
        assert got["MaximumRetryAttempts"] == 1
        assert got["DestinationConfig"]["OnFailure"]["Destination"] == qarn
        new = {"FunctionName": "fn", "Qualifier": "$LATEST", "MaximumEventAgeInSeconds": 120}
        await eic.update(
            request(
                "AWS::Lambda::EventInvokeConfig",
                "E",
                new,
                physical_id=r.physical_id,
                previous=props,
            )
        )
        got = await env.call("GetFunctionEventInvokeConfig", FunctionName="fn", Qualifier="$LATEST")
        assert got["MaximumEventAgeInSeconds"] == 120
        assert "MaximumRetryAttempts" not in got or got["MaximumRetryAttempts"] == 2
        assert not got.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        await eic.delete(
            request("AWS::Lambda::EventInvokeConfig", "E", new, physical_id=r.physical_id)
        )
        with pytest.raises(ResourceNotFoundException):
            await env.call("GetFunctionEventInvokeConfig", FunctionName="fn", Qualifier="$LATEST")
        await eic.delete(
            request("AWS::Lambda::EventInvokeConfig", "E", new, physical_id=r.physical_id)
        )

    run(tmp_path, scenario)
