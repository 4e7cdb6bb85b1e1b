"""What aws-sam-translator makes of an AWS::Serverless::Function (AutoPublishAlias,
ProvisionedConcurrencyConfig, FunctionUrlConfig with AuthType NONE, Layers, EventInvokeConfig,
an SQS event) deploys with the Lambda family's providers: the resources in the translator's
shapes, created in dependency order with references resolved as the engine would, then
deleted in reverse order, leaving nothing behind."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from ovis.services.cloudformation.resources.base import ResourceResult
from tests.unit.cloudformation.lambda_harness import (
    ACCOUNT,
    CALLER,
    REGION,
    ROLE,
    Env,
    request,
    run,
)


def test_sam_function_with_alias_url_layer_events(tmp_path: Path) -> None:
    async def scenario(env: Env) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("python/lib_value.py", "V = 'layered'\n")
        await env.server.calls("s3", "CreateBucket", {"Bucket": "sam-bucket"}, CALLER)
        await env.server.calls(
            "s3",
            "PutObject",
            {"Bucket": "sam-bucket", "Key": "l.zip", "Body": buf.getvalue()},
            CALLER,
        )
        await env.server.calls("sqs", "CreateQueue", {"QueueName": "q"}, CALLER)
        qarn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
        made: list[tuple[str, str, dict[str, Any], ResourceResult]] = []

        async def create(t: str, logical: str, props: dict[str, Any]) -> ResourceResult:
            res = await env.provider(t).create(request(t, logical, props))
            made.append((t, logical, props, res))
            return res

        layer = await create(
            "AWS::Lambda::LayerVersion",
            "Layer668026d93b",
            {
                "Content": {"S3Bucket": "sam-bucket", "S3Key": "l.zip"},
                "LayerName": "Layer",
                "CompatibleRuntimes": ["python3.11"],
            },
        )
        src = "import lib_value\ndef handler(e, c):\n    return lib_value.V\n"
        fn = await create(
            "AWS::Lambda::Function",
            "Fn",
            {
                "Code": {"ZipFile": src},
                "Handler": "index.handler",
                "Role": ROLE,
                "Runtime": "python3.11",
                "Tags": [{"Key": "lambda:createdBy", "Value": "SAM"}],
                "Layers": [layer.physical_id],
            },
        )
        version = await create(
            "AWS::Lambda::Version", "FnVersionaec74ba644", {"FunctionName": fn.physical_id}
        )
        alias = await create(
            "AWS::Lambda::Alias",
            "FnAliaslive",
            {
                "Name": "live",
                "FunctionName": fn.physical_id,
                "FunctionVersion": version.attributes["Version"],
                "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 1},
            },
        )
        url = await create(
            "AWS::Lambda::Url",
            "FnUrl",
            {"TargetFunctionArn": alias.physical_id, "AuthType": "NONE"},
        )
        await create(
            "AWS::Lambda::Permission",
            "FnUrlPublicPermissions",
            {
                "Action": "lambda:InvokeFunctionUrl",
                "FunctionName": alias.physical_id,
                "Principal": "*",
                "FunctionUrlAuthType": "NONE",
            },
        )
        await create(
            "AWS::Lambda::Permission",
            "FnURLInvokeAllowPublicAccess",
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": alias.physical_id,
                "Principal": "*",
                "InvokedViaFunctionUrl": True,
            },
        )
        await create(
            "AWS::Lambda::EventInvokeConfig",
            "FnEventInvokeConfig",
            {
                "DestinationConfig": {"OnFailure": {"Destination": qarn}},
                "FunctionName": fn.physical_id,
                "MaximumRetryAttempts": 1,
                "Qualifier": "live",
            },
        )
        await create(
            "AWS::Lambda::EventSourceMapping",
            "FnS",
            {"BatchSize": 5, "EventSourceArn": qarn, "FunctionName": alias.physical_id},
        )

        out = await env.call("Invoke", FunctionName=fn.physical_id, Qualifier="live")
        assert json.loads(out["Payload"]) == "layered"
        assert url.attributes["FunctionUrl"].startswith("http")
        pc = await env.call(
            "GetProvisionedConcurrencyConfig", FunctionName=fn.physical_id, Qualifier="live"
        )
        assert pc["Status"] == "READY"
        mappings = await env.call("ListEventSourceMappings")
        assert [m["FunctionArn"] for m in mappings["EventSourceMappings"]] == [alias.physical_id]

        for t, logical, props, res in reversed(made):
            await env.provider(t).delete(request(t, logical, props, physical_id=res.physical_id))
        assert (await env.call("ListFunctions"))["Functions"] == []
        assert (await env.call("ListEventSourceMappings"))["EventSourceMappings"] == []
        assert (await env.call("ListLayers"))["Layers"] == []

    run(tmp_path, scenario)
