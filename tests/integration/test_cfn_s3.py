"""CloudFormation end to end for S3: SAM CLI's own managed-stack template (what
`sam deploy --resolve-s3` creates: a versioned, tagged bucket with a public access block,
encryption and a bucket policy) deploys unchanged; a bucket's notifications reach a queue; a
non-empty bucket's delete fails as on AWS and succeeds once emptied."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.conftest import ServerProcess

FAST = {"Delay": 0.2, "MaxAttempts": 150}


def _sam_managed_stack_template() -> str:
    """samcli.lib.bootstrap.bootstrap._get_stack_template() (SAM CLI 1.x), as it sends it."""
    bucket = {"Ref": "SamCliSourceBucket"}
    arn = ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", bucket]
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Transform": "AWS::Serverless-2016-10-31",
            "Description": "Managed Stack for AWS SAM CLI",
            "Metadata": {"SamCliInfo": {"version": "1.0.0", "installationId": "unknown"}},
            "Resources": {
                "SamCliSourceBucket": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {
                        "PublicAccessBlockConfiguration": {
                            "BlockPublicPolicy": "true",
                            "BlockPublicAcls": "true",
                            "IgnorePublicAcls": "true",
                            "RestrictPublicBuckets": "true",
                        },
                        "BucketEncryption": {
                            "ServerSideEncryptionConfiguration": [
                                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                            ]
                        },
                        "VersioningConfiguration": {"Status": "Enabled"},
                        "Tags": [{"Key": "ManagedStackSource", "Value": "AwsSamCli"}],
                    },
                },
                "SamCliSourceBucketBucketPolicy": {
                    "Type": "AWS::S3::BucketPolicy",
                    "Properties": {
                        "Bucket": bucket,
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Action": ["s3:GetObject"],
                                    "Effect": "Allow",
                                    "Resource": {"Fn::Join": ["", [*arn, "/*"]]},
                                    "Principal": {"Service": "serverlessrepo.amazonaws.com"},
                                    "Condition": {
                                        "StringEquals": {
                                            "aws:SourceAccount": {"Ref": "AWS::AccountId"}
                                        }
                                    },
                                },
                                {
                                    "Action": ["s3:*"],
                                    "Effect": "Deny",
                                    "Resource": [
                                        {"Fn::Join": ["", arn]},
                                        {"Fn::Join": ["", [*arn, "/*"]]},
                                    ],
                                    "Principal": "*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                },
                            ]
                        },
                    },
                },
            },
            "Outputs": {"SourceBucket": {"Value": {"Ref": "SamCliSourceBucket"}}},
        }
    )


def reasons(cfn: Any, name: str) -> list[str]:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
        for e in events
        if "FAILED" in e["ResourceStatus"]
    ]


def wait(cfn: Any, name: str, waiter: str) -> dict[str, Any]:
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)
    except WaiterError as e:
        raise AssertionError(f"{e}: {reasons(cfn, name)}") from None
    if waiter == "stack_delete_complete":
        return {}
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def settle(cfn: Any, name: str, deadline_s: float = 30) -> str:
    end = time.monotonic() + deadline_s
    while True:
        status = str(cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"])
        if not status.endswith("_IN_PROGRESS"):
            return status
        assert time.monotonic() < end, status
        time.sleep(0.05)


def test_sam_cli_managed_stack_deploys(server: ServerProcess) -> None:
    cfn, s3 = server.client("cloudformation"), server.client("s3")
    name = f"aws-sam-cli-managed-{uuid.uuid4().hex[:6]}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=_sam_managed_stack_template(),
        Capabilities=["CAPABILITY_AUTO_EXPAND"],
    )
    out = wait(cfn, name, "stack_create_complete")
    bucket = out["SourceBucket"]
    assert bucket.startswith(name[:20]) and bucket == bucket.lower()
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [
        {"Key": "ManagedStackSource", "Value": "AwsSamCli"}
    ]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Resource"] == f"arn:aws:s3:::{bucket}/*"
    # what sam deploy does next: upload its artifacts there
    s3.put_object(Bucket=bucket, Key="artifact.zip", Body=b"zip")

    # not empty: the delete fails as on AWS, and the stack says why
    cfn.delete_stack(StackName=name)
    assert settle(cfn, name) == "DELETE_FAILED"
    assert any("The bucket you tried to delete is not empty" in r for r in reasons(cfn, name))
    s3.delete_object(Bucket=bucket, Key="artifact.zip")  # (this S3 keeps no old versions)
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=bucket)


def test_bucket_notifications_reach_a_queue(server: ServerProcess) -> None:
    cfn, s3, sqs = server.client("cloudformation"), server.client("s3"), server.client("sqs")
    name = f"s3n-{uuid.uuid4().hex[:8]}"
    template = """
Resources:
  Uploads:
    Type: AWS::SQS::Queue
  UploadsPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Uploads]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: s3.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Uploads.Arn
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: UploadsPolicy
    Properties:
      NotificationConfiguration:
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: !GetAtt Uploads.Arn
            Filter:
              S3Key:
                Rules:
                  - Name: prefix
                    Value: incoming/
Outputs:
  Bucket: {Value: !Ref Bucket}
  Arn: {Value: !GetAtt Bucket.Arn}
  Domain: {Value: !GetAtt Bucket.RegionalDomainName}
  Queue: {Value: !Ref Uploads}
"""
    cfn.create_stack(StackName=name, TemplateBody=template)
    out = wait(cfn, name, "stack_create_complete")
    bucket = out["Bucket"]
    assert out["Arn"] == f"arn:aws:s3:::{bucket}"
    assert out["Domain"] == f"{bucket}.s3.us-east-1.amazonaws.com"
    s3.put_object(Bucket=bucket, Key="other/x", Body=b"1")
    s3.put_object(Bucket=bucket, Key="incoming/a.csv", Body=b"2")
    keys: list[str] = []
    end = time.monotonic() + 30  # generous: a loaded CI machine
    while not keys and time.monotonic() < end:
        for m in sqs.receive_message(QueueUrl=out["Queue"], WaitTimeSeconds=1).get("Messages", []):
            keys += [r["s3"]["object"]["key"] for r in json.loads(m["Body"]).get("Records", [])]
    assert keys == ["incoming/a.csv"]
    for key in ("other/x", "incoming/a.csv"):
        s3.delete_object(Bucket=bucket, Key=key)
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=bucket)
