"""AWS::S3::Bucket and AWS::S3::BucketPolicy, in process against a real server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from ovis.errors import ApiError
from ovis.services.cloudformation.resources.base import ResourceFailed
from tests.unit.cloudformation.test_resources_services_env import Env, run

B = "AWS::S3::Bucket"


async def _queue(env: Env, name: str) -> tuple[str, str]:
    url = (await env.call("sqs", "CreateQueue", {"QueueName": name}))["QueueUrl"]
    out = await env.call(
        "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}
    )
    return url, str(out["Attributes"]["QueueArn"])


async def _records(env: Env, url: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30  # generous: a loaded CI machine
    while time.monotonic() < deadline:
        out = await env.call("sqs", "ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 1})
        for m in out.get("Messages", []):
            body = json.loads(m["Body"])
            if "Records" in body:
                return list(body["Records"])
    return []


def test_bucket_with_notifications_versioning_tags(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        url, arn = await _queue(env, "uploads")
        props = {
            "VersioningConfiguration": {"Status": "Enabled"},
            "Tags": [{"Key": "team", "Value": "a"}],
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": "true",
                "BlockPublicPolicy": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                ]
            },
            "NotificationConfiguration": {
                "QueueConfigurations": [
                    {
                        "Event": "s3:ObjectCreated:*",
                        "Queue": arn,
                        "Filter": {"S3Key": {"Rules": [{"Name": "suffix", "Value": ".txt"}]}},
                    }
                ]
            },
        }
        req, res = await env.create(B, props, "Uploads")
        name = res.physical_id
        assert name == f"teststack-uploads-{req.token.lower()}"
        assert res.attributes["Arn"] == f"arn:aws:s3:::{name}"
        assert res.attributes["RegionalDomainName"] == f"{name}.s3.us-east-1.amazonaws.com"
        assert (await env.call("s3", "GetBucketVersioning", {"Bucket": name}))[
            "Status"
        ] == "Enabled"
        tags = await env.call("s3", "GetBucketTagging", {"Bucket": name})
        assert tags["TagSet"] == [{"Key": "team", "Value": "a"}]

        await env.call("s3", "PutObject", {"Bucket": name, "Key": "a.txt", "Body": b"hi"})
        records = await _records(env, url)
        assert [r["s3"]["object"]["key"] for r in records] == ["a.txt"]

        req, _ = await env.update(req, {"Tags": [{"Key": "team", "Value": "b"}]})
        assert (await env.call("s3", "GetBucketVersioning", {"Bucket": name}))[
            "Status"
        ] == "Suspended"
        cfg = await env.call("s3", "GetBucketNotificationConfiguration", {"Bucket": name})
        assert not cfg.get("QueueConfigurations")
        tags = await env.call("s3", "GetBucketTagging", {"Bucket": name})
        assert tags["TagSet"] == [{"Key": "team", "Value": "b"}]

        with pytest.raises(ApiError, match="The bucket you tried to delete is not empty"):
            await env.delete(req)
        await env.call("s3", "DeleteObject", {"Bucket": name, "Key": "a.txt"})

    run(tmp_path, body)


def test_bucket_delete_and_failures(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        req, res = await env.create(B, {"BucketName": "my-bucket"})
        assert res.physical_id == "my-bucket"
        with pytest.raises(ResourceFailed, match="my-bucket already exists"):
            await env.create(B, {"BucketName": "my-bucket"})
        with pytest.raises(ResourceFailed, match="CorsConfiguration"):
            await env.create(B, {"BucketName": "b2", "CorsConfiguration": {}})
        with pytest.raises(ApiError):  # a queue that does not exist: the bucket is removed again
            await env.create(
                B,
                {
                    "BucketName": "b3",
                    "NotificationConfiguration": {
                        "QueueConfigurations": [
                            {
                                "Event": "s3:ObjectCreated:*",
                                "Queue": "arn:aws:sqs:us-east-1:000000000000:nope",
                            }
                        ]
                    },
                },
            )
        with pytest.raises(ApiError):
            await env.call("s3", "HeadBucket", {"Bucket": "b3"})

        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "serverlessrepo.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::my-bucket/*",
                }
            ],
        }
        preq, _ = await env.create(
            "AWS::S3::BucketPolicy", {"Bucket": "my-bucket", "PolicyDocument": doc}
        )
        got = await env.call("s3", "GetBucketPolicy", {"Bucket": "my-bucket"})
        assert json.loads(got["Policy"]) == doc
        await env.delete(preq)
        with pytest.raises(ApiError):
            await env.call("s3", "GetBucketPolicy", {"Bucket": "my-bucket"})
        await env.delete(req)
        await env.delete(req)
        await env.delete(preq)
        with pytest.raises(ApiError):
            await env.call("s3", "HeadBucket", {"Bucket": "my-bucket"})

    run(tmp_path, body)
