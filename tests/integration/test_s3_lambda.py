"""S3 and Lambda together on a live server: object notifications that invoke a function (which
reads the object back with boto3 inside its sandbox), notifications to SQS, the destination
checks of PutBucketNotificationConfiguration, and functions and layers deployed from S3."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, ROLE, ServerProcess, create_python_function, zip_bytes

READER = """
import json, urllib.parse
import boto3

s3 = boto3.client("s3")

def handler(event, context):
    record = event["Records"][0]
    bucket = record["s3"]["bucket"]["name"]
    key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
    if record["eventName"].startswith("ObjectCreated"):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    else:
        body = None
    out = {"event": event, "body": body}
    s3.put_object(Bucket=bucket, Key="out/" + record["eventName"] + "/" + key,
                  Body=json.dumps(out).encode())
"""


def wait_for(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def s3(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("s3")


@pytest.fixture(scope="module")
def sqs(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("sqs")


def _new_bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = f"n-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _output(s3, bucket: str, key: str) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())  # type: ignore[no-any-return]
    except ClientError:
        return None


def test_object_created_and_removed_invoke_a_function_that_reads_the_object(lam, s3) -> None:  # type: ignore[no-untyped-def]
    bucket = _new_bucket(s3)
    fn = f"s3-reader-{uuid.uuid4().hex[:8]}"
    arn = create_python_function(lam, fn, READER, Timeout=30)["FunctionArn"]
    config = {
        "LambdaFunctionConfigurations": [
            {
                "Id": "reader",
                "LambdaFunctionArn": arn,
                "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                "Filter": {
                    "Key": {
                        "FilterRules": [
                            {"Name": "prefix", "Value": "in/"},
                            {"Name": "suffix", "Value": ".txt"},
                        ]
                    }
                },
            }
        ]
    }
    # S3 checks that the function lets s3.amazonaws.com invoke it for this bucket
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    assert "Unable to validate the following destination configurations" in str(e.value)
    lam.add_permission(
        FunctionName=fn,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
        SourceAccount=ACCOUNT,
    )
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"] == arn
    assert got["LambdaFunctionConfigurations"][0]["Id"] == "reader"

    s3.put_object(Bucket=bucket, Key="in/skip.bin", Body=b"filtered out by the suffix")
    etag = s3.put_object(Bucket=bucket, Key="in/hello world.txt", Body=b"the content")["ETag"]
    out = wait_for(lambda: _output(s3, bucket, "out/ObjectCreated:Put/in/hello world.txt"))
    assert out["body"] == "the content"
    record = out["event"]["Records"][0]
    assert record["eventVersion"] == "2.1" and record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["userIdentity"]["principalId"]
    assert record["responseElements"]["x-amz-request-id"]
    assert record["s3"]["configurationId"] == "reader"
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert record["s3"]["object"] == {
        "key": "in/hello+world.txt",
        "size": 11,
        "eTag": etag.strip('"'),
        "sequencer": record["s3"]["object"]["sequencer"],
    }

    s3.copy_object(Bucket=bucket, Key="in/copy.txt", CopySource=f"{bucket}/in/hello world.txt")
    out = wait_for(lambda: _output(s3, bucket, "out/ObjectCreated:Copy/in/copy.txt"))
    assert out["body"] == "the content"
    s3.delete_object(Bucket=bucket, Key="in/copy.txt")
    out = wait_for(lambda: _output(s3, bucket, "out/ObjectRemoved:Delete/in/copy.txt"))
    assert out["event"]["Records"][0]["s3"]["object"]["key"] == "in/copy.txt"
    assert "size" not in out["event"]["Records"][0]["s3"]["object"]

    up = s3.create_multipart_upload(Bucket=bucket, Key="in/multi.txt")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="in/multi.txt", UploadId=up, PartNumber=1, Body=b"mp")
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="in/multi.txt",
        UploadId=up,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    out = wait_for(
        lambda: _output(s3, bucket, "out/ObjectCreated:CompleteMultipartUpload/in/multi.txt")
    )
    assert out["body"] == "mp"
    assert _output(s3, bucket, "out/ObjectCreated:Put/in/skip.bin") is None


def test_notifications_to_sqs_with_test_event(s3, sqs) -> None:  # type: ignore[no-untyped-def]
    bucket = _new_bucket(s3)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:missing-queue",
                        "Events": ["s3:ObjectCreated:*"],
                    }
                ]
            },
        )
    assert "Unable to validate" in str(e.value)
    url = sqs.create_queue(QueueName=f"s3-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"]}
            ]
        },
    )
    bodies: list[dict[str, Any]] = []

    def receive(n: int) -> bool:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(bodies) >= n

    wait_for(lambda: receive(1))
    assert bodies[0]["Event"] == "s3:TestEvent" and bodies[0]["Bucket"] == bucket
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="a.txt")
    wait_for(lambda: receive(3))
    names = [b["Records"][0]["eventName"] for b in bodies[1:]]
    assert names == ["ObjectCreated:Put", "ObjectRemoved:Delete"]


def test_notifications_to_an_sns_topic(server: ServerProcess, s3, sqs) -> None:  # type: ignore[no-untyped-def]
    """TopicConfigurations: the S3 event is published to the topic (subject "Amazon S3
    Notification"); a raw SQS subscriber gets the event itself."""
    sns = server.client("sns")
    topic = sns.create_topic(Name=f"s3-topic-{uuid.uuid4().hex[:8]}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"s3-via-sns-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    bucket = _new_bucket(s3)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "TopicConfigurations": [
                {
                    "TopicArn": topic,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}},
                }
            ]
        },
    )
    s3.put_object(Bucket=bucket, Key="skip.txt", Body=b"no")
    s3.put_object(Bucket=bucket, Key="data.csv", Body=b"a,b")
    records: list[dict[str, Any]] = []

    def receive() -> bool:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(m["Body"])
            records.extend(body.get("Records", []))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return bool(records)

    wait_for(receive)
    assert [r["s3"]["object"]["key"] for r in records] == ["data.csv"]
    assert records[0]["eventName"] == "ObjectCreated:Put"


def test_notification_configuration_is_validated(s3) -> None:  # type: ignore[no-untyped-def]
    bucket = _new_bucket(s3)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "LambdaFunctionConfigurations": [
                    {
                        "LambdaFunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:none",
                        "Events": ["s3:NotAnEvent"],
                    }
                ]
            },
        )
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "TopicConfigurations": [
                    {
                        "TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:topic",
                        "Events": ["s3:ObjectCreated:*"],
                    }
                ]
            },
        )
    assert "Unable to validate" in str(e.value)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert "LambdaFunctionConfigurations" not in got


APP = """
import json
def handler(event, context):
    return {"from": "s3", "got": event}
"""


def test_function_and_layer_deployed_from_s3(lam, s3) -> None:  # type: ignore[no-untyped-def]
    bucket = _new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="code/app.zip", Body=zip_bytes({"app.py": APP}))
    s3.put_object(
        Bucket=bucket,
        Key="layers/lib.zip",
        Body=zip_bytes({"python/layerlib.py": "VALUE = 'from the layer'\n"}),
    )
    layer = lam.publish_layer_version(
        LayerName="s3-layer", Content={"S3Bucket": bucket, "S3Key": "layers/lib.zip"}
    )
    assert layer["Content"]["CodeSize"] > 0
    with urllib.request.urlopen(
        lam.get_layer_version(LayerName="s3-layer", VersionNumber=layer["Version"])["Content"][
            "Location"
        ]
    ) as r:
        assert r.read()[:2] == b"PK"
    name = f"from-s3-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": bucket, "S3Key": "code/app.zip"},
        Layers=[layer["LayerVersionArn"]],
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    out = json.loads(lam.invoke(FunctionName=name, Payload=b'{"n": 1}')["Payload"].read())
    assert out == {"from": "s3", "got": {"n": 1}}
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(location) as r:
        assert r.read() == s3.get_object(Bucket=bucket, Key="code/app.zip")["Body"].read()

    v2 = APP.replace('"s3"', '"s3 v2"') + "\nimport layerlib\n"
    s3.put_object(Bucket=bucket, Key="code/app2.zip", Body=zip_bytes({"app.py": v2}))
    lam.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="code/app2.zip")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    out = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert out["from"] == "s3 v2"

    for code, message in (
        (
            {"S3Bucket": bucket, "S3Key": "code/missing.zip"},
            "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: "
            "The specified key does not exist.",
        ),
        (
            {"S3Bucket": "no-such-bucket-anywhere", "S3Key": "code/app.zip"},
            "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: "
            "The specified bucket does not exist",
        ),
    ):
        with pytest.raises(ClientError) as e:
            lam.create_function(
                FunctionName=f"bad-{uuid.uuid4().hex[:8]}",
                Runtime="python3.11",
                Role=ROLE,
                Handler="app.handler",
                Code=code,
            )
        assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert e.value.response["Error"]["Message"] == message
