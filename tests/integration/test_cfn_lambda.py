"""The Lambda family deployed by CloudFormation stacks against a live server with boto3: a
plain template (function with inline code, version, alias, URL with its public permission,
async invoke config, SQS mapping, layer from S3), its update and delete; the same made by the
SAM transform; and a refused property rolling the stack back. Every resource is checked with
Lambda's own client."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.conftest import ServerProcess
from tests.integration.urls import Url

FAST = {"Delay": 0.2, "MaxAttempts": 300}
ROLE_ASSUME = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _name(prefix: str = "lst") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def cfn(server: ServerProcess) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


@pytest.fixture(scope="module")
def sqs(server: ServerProcess) -> Any:
    return server.client("sqs")


def failures(cfn: Any, name: str) -> list[str]:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
        for e in events
        if "FAILED" in e["ResourceStatus"]
    ]


def wait(cfn: Any, name: str, waiter: str = "stack_create_complete") -> dict[str, Any]:
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)
    except WaiterError as e:
        raise AssertionError(f"{e}: {failures(cfn, name)}") from None
    if waiter == "stack_delete_complete":
        return {}
    return cfn.describe_stacks(StackName=name)["Stacks"][0]  # type: ignore[no-any-return]


def settle(cfn: Any, name: str, deadline_s: float = 60) -> dict[str, Any]:
    end = time.monotonic() + deadline_s
    while True:
        s = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS"):
            return s  # type: ignore[no-any-return]
        assert time.monotonic() < end, s["StackStatus"]
        time.sleep(0.05)


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def layer_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("python/shared_value.py", "VALUE = 'from-layer'\n")
    return buf.getvalue()


SRC_V1 = """import json, os, shared_value
def handler(event, context):
    return {"v": os.environ["GEN"], "layer": shared_value.VALUE,
            "body": event.get("body") if isinstance(event, dict) else None}
"""


def plain_template(bucket: str, gen: str, timeout: int) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": ROLE_ASSUME},
            },
            "Layer": {
                "Type": "AWS::Lambda::LayerVersion",
                "Properties": {
                    "Content": {"S3Bucket": bucket, "S3Key": "layer.zip"},
                    "CompatibleRuntimes": ["python3.11"],
                },
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.11",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": SRC_V1},
                    "Timeout": timeout,
                    "Layers": [{"Ref": "Layer"}],
                    "Environment": {"Variables": {"GEN": gen}},
                    "Tags": [{"Key": "gen", "Value": gen}],
                },
            },
            "Version": {
                "Type": "AWS::Lambda::Version",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "Description": gen},
            },
            "Alias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "Name": "live",
                    "FunctionVersion": {"Fn::GetAtt": ["Version", "Version"]},
                },
            },
            "Url": {
                "Type": "AWS::Lambda::Url",
                "Properties": {"TargetFunctionArn": {"Ref": "Alias"}, "AuthType": "NONE"},
            },
            "UrlPermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "Alias"},
                    "Action": "lambda:InvokeFunctionUrl",
                    "Principal": "*",
                    "FunctionUrlAuthType": "NONE",
                },
            },
            "Dlq": {"Type": "AWS::SQS::Queue"},
            "Source": {"Type": "AWS::SQS::Queue"},
            "AsyncConfig": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "Qualifier": "$LATEST",
                    "MaximumRetryAttempts": 0,
                    "DestinationConfig": {
                        "OnFailure": {"Destination": {"Fn::GetAtt": ["Dlq", "Arn"]}}
                    },
                },
            },
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Alias"},
                    "EventSourceArn": {"Fn::GetAtt": ["Source", "Arn"]},
                    "BatchSize": 1,
                },
            },
        },
        "Outputs": {
            "FunctionName": {"Value": {"Ref": "Fn"}},
            "FunctionArn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}},
            "VersionArn": {"Value": {"Ref": "Version"}},
            "AliasArn": {"Value": {"Ref": "Alias"}},
            "Url": {"Value": {"Fn::GetAtt": ["Url", "FunctionUrl"]}},
            "LayerArn": {"Value": {"Ref": "Layer"}},
            "MappingId": {"Value": {"Ref": "Mapping"}},
            "PermissionId": {"Value": {"Fn::GetAtt": ["UrlPermission", "Id"]}},
        },
    }


def test_plain_template_create_update_delete(
    server: ServerProcess, cfn: Any, lam: Any, s3: Any, sqs: Any
) -> None:
    bucket = _name("code")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="layer.zip", Body=layer_zip())
    name = _name()
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(plain_template(bucket, "one", 5)),
        Capabilities=["CAPABILITY_IAM"],
    )
    out = outputs(wait(cfn, name))
    fn = out["FunctionName"]
    assert fn.startswith(f"{name}-Fn-")
    cfg = lam.get_function(FunctionName=fn)
    assert cfg["Configuration"]["State"] == "Active"
    assert cfg["Configuration"]["Timeout"] == 5
    assert cfg["Configuration"]["Layers"][0]["Arn"] == out["LayerArn"]
    assert cfg["Tags"]["gen"] == "one"
    assert cfg["Tags"]["aws:cloudformation:stack-name"] == name
    assert out["FunctionArn"] == cfg["Configuration"]["FunctionArn"]
    assert out["VersionArn"] == f"{out['FunctionArn']}:1"
    assert out["AliasArn"] == f"{out['FunctionArn']}:live"
    alias = lam.get_alias(FunctionName=fn, Name="live")
    assert alias["FunctionVersion"] == "1"
    # the function runs, with its layer, through the alias
    r = lam.invoke(FunctionName=fn, Qualifier="live", Payload=b"{}")
    assert json.loads(r["Payload"].read())["layer"] == "from-layer"
    # the URL is public (its permission was made by the stack) and serves the alias
    resp = Url(server, out["Url"]).call("POST", "/", body=b"hi")
    assert resp.status == 200, resp.body
    assert resp.json()["v"] == "one"
    policy = json.loads(lam.get_policy(FunctionName=fn, Qualifier="live")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == [out["PermissionId"]]
    eic = lam.get_function_event_invoke_config(FunctionName=fn, Qualifier="$LATEST")
    assert eic["MaximumRetryAttempts"] == 0
    esm = lam.get_event_source_mapping(UUID=out["MappingId"])
    assert esm["FunctionArn"] == out["AliasArn"] and esm["State"] == "Enabled"
    resources = {
        r["LogicalResourceId"]: r
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    assert resources["Fn"]["PhysicalResourceId"] == fn
    assert resources["Mapping"]["PhysicalResourceId"] == out["MappingId"]

    # update: code-independent configuration, environment, tags; a new version (its
    # Description changed: replaced) and the alias moved to it
    cfn.update_stack(
        StackName=name,
        TemplateBody=json.dumps(plain_template(bucket, "two", 9)),
        Capabilities=["CAPABILITY_IAM"],
    )
    out2 = outputs(wait(cfn, name, "stack_update_complete"))
    assert out2["FunctionName"] == fn
    cfg = lam.get_function(FunctionName=fn)
    assert cfg["Configuration"]["Timeout"] == 9
    assert cfg["Configuration"]["Environment"]["Variables"] == {"GEN": "two"}
    assert cfg["Tags"]["gen"] == "two"
    assert out2["VersionArn"] == f"{out['FunctionArn']}:2"
    assert lam.get_alias(FunctionName=fn, Name="live")["FunctionVersion"] == "2"
    r = lam.invoke(FunctionName=fn, Qualifier="live", Payload=b"{}")
    assert json.loads(r["Payload"].read())["v"] == "two"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=fn)["Versions"]]
    assert versions == ["$LATEST", "2"]  # the replaced version was deleted

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError) as err:
        lam.get_function(FunctionName=fn)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError):
        lam.get_event_source_mapping(UUID=out["MappingId"])
    layer_name = out["LayerArn"].split(":")[-2]
    assert lam.list_layer_versions(LayerName=layer_name)["LayerVersions"] == []


SAM_SRC = """def handler(event, context):
    return {"records": len(event.get("Records", [])) if isinstance(event, dict) else 0}
"""


def test_sam_function_alias_url_and_events(server: ServerProcess, cfn: Any, lam: Any) -> None:
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "InlineCode": SAM_SRC,
                    "Handler": "index.handler",
                    "Runtime": "python3.11",
                    "AutoPublishAlias": "live",
                    "FunctionUrlConfig": {"AuthType": "NONE"},
                    "Events": {
                        "Q": {
                            "Type": "SQS",
                            "Properties": {
                                "Queue": {"Fn::GetAtt": ["Queue", "Arn"]},
                                "BatchSize": 5,
                            },
                        }
                    },
                },
            },
        },
        "Outputs": {
            "Fn": {"Value": {"Ref": "Fn"}},
            "Url": {"Value": {"Fn::GetAtt": ["FnUrl", "FunctionUrl"]}},
        },
    }
    name = _name("sam")
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    out = outputs(wait(cfn, name))
    fn = out["Fn"]
    cfg = lam.get_function(FunctionName=fn)
    assert cfg["Tags"]["lambda:createdBy"] == "SAM"
    alias = lam.get_alias(FunctionName=fn, Name="live")
    assert alias["FunctionVersion"] == "1"
    resp = Url(server, out["Url"]).call("GET", "/")
    assert resp.status == 200, resp.body
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    assert [m["BatchSize"] for m in mappings if m["FunctionArn"] == alias["AliasArn"]] == [5]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=fn)  # SAM's Retain keeps versions, not the function
    assert [
        m
        for m in lam.list_event_source_mappings()["EventSourceMappings"]
        if m["FunctionArn"] == alias["AliasArn"]
    ] == []


def test_refused_property_rolls_back_naming_it(cfn: Any, lam: Any) -> None:
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": _name("efs"),
                    "Runtime": "python3.11",
                    "Handler": "index.handler",
                    "Role": "arn:aws:iam::000000000000:role/r",
                    "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
                    "FileSystemConfigs": [
                        {
                            "Arn": "arn:aws:elasticfilesystem:us-east-1:000000000000:"
                            "access-point/fsap-1",
                            "LocalMountPath": "/mnt/data",
                        }
                    ],
                },
            }
        }
    }
    fn = template["Resources"]["Fn"]["Properties"]["FunctionName"]
    name = _name("bad")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    s = settle(cfn, name)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = " ".join(failures(cfn, name))
    assert "FileSystemConfigs" in reasons and "EFS" in reasons
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=fn)
    cfn.delete_stack(StackName=name)
