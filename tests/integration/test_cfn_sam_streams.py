"""A SAM template with Kinesis and SQS events through CloudFormation, updated the three ways a
user updates one: new code, a new parameter value, and a resource removed (the SQS event and
its queue). Records put on the stream and messages sent to the queue reach the function (seen
in its logs); after the update the queue and its mapping are gone, the stream's mapping is
kept and runs the new code; the delete leaves nothing."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ServerProcess
from tests.integration.test_cfn_sam_events import wait

CODE = """import json, os
def handler(event, context):
    for r in event["Records"]:
        print("SEEN " + os.environ["TAG"] + " " + r["eventSource"] + " " + VERSION)
    return {}
VERSION = "%s"
"""


def template(version: str, with_queue: bool) -> dict[str, Any]:
    events: dict[str, Any] = {
        "Stream": {
            "Type": "Kinesis",
            "Properties": {
                "Stream": {"Fn::GetAtt": ["Records", "Arn"]},
                "StartingPosition": "TRIM_HORIZON",
                "BatchSize": 10,
            },
        }
    }
    resources: dict[str, Any] = {
        "Records": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "InlineCode": CODE % version,
                "Handler": "index.handler",
                "Runtime": "python3.11",
                "Environment": {"Variables": {"TAG": {"Ref": "Tag"}}},
                "Events": events,
            },
        },
    }
    outputs: dict[str, Any] = {
        "Fn": {"Value": {"Ref": "Fn"}},
        "Stream": {"Value": {"Ref": "Records"}},
    }
    if with_queue:
        resources["Jobs"] = {"Type": "AWS::SQS::Queue"}
        events["Queue"] = {
            "Type": "SQS",
            "Properties": {"Queue": {"Fn::GetAtt": ["Jobs", "Arn"]}, "BatchSize": 5},
        }
        outputs["Queue"] = {"Value": {"Ref": "Jobs"}}
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"Tag": {"Type": "String", "Default": "first"}},
        "Resources": resources,
        "Outputs": outputs,
    }


def seen(logs: Any, fn: str, want: set[str], deadline_s: float = 30) -> set[str]:
    """The ``SEEN ...`` lines the function printed, once all of ``want`` are among them."""
    end = time.monotonic() + deadline_s
    found: set[str] = set()
    while time.monotonic() < end:
        try:
            page = logs.filter_log_events(logGroupName=f"/aws/lambda/{fn}")
        except ClientError:
            page = {"events": []}
        found = {
            e["message"].split("SEEN ", 1)[1].strip()
            for e in page["events"]
            if "SEEN " in e["message"]
        }
        if want <= found:
            return found
        time.sleep(0.1)
    return found


def test_sam_kinesis_and_sqs_events_updated_and_deleted(server: ServerProcess) -> None:
    cfn, lam, logs = (server.client(s) for s in ("cloudformation", "lambda", "logs"))
    kinesis, sqs = server.client("kinesis"), server.client("sqs")
    name = f"samst-{uuid.uuid4().hex[:8]}"
    caps = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    cfn.create_stack(
        StackName=name, TemplateBody=json.dumps(template("v1", True)), Capabilities=caps
    )
    out = wait(cfn, name, "stack_create_complete")
    fn, stream, queue = out["Fn"], out["Stream"], out["Queue"]
    mappings = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    assert len(mappings) == 2

    kinesis.put_record(StreamName=stream, Data=b"{}", PartitionKey="k")
    sqs.send_message(QueueUrl=queue, MessageBody="job")
    want = {"first aws:kinesis v1", "first aws:sqs v1"}
    assert want <= seen(logs, fn, want)

    # update: new code, a new parameter value, and the queue (with its event) removed
    cfn.update_stack(
        StackName=name,
        TemplateBody=json.dumps(template("v2", False)),
        Parameters=[{"ParameterKey": "Tag", "ParameterValue": "second"}],
        Capabilities=caps,
    )
    out = wait(cfn, name, "stack_update_complete")
    assert "Queue" not in out and out["Fn"] == fn  # the function was updated in place
    with pytest.raises(ClientError) as e:
        sqs.get_queue_url(QueueName=queue.rsplit("/", 1)[1])
    assert e.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    left = lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]
    assert [m["EventSourceArn"].split(":")[2] for m in left] == ["kinesis"]
    resources = {
        r["LogicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    assert "Jobs" not in resources and "FnQueue" not in resources

    kinesis.put_record(StreamName=stream, Data=b"{}", PartitionKey="k")
    assert "second aws:kinesis v2" in seen(logs, fn, {"second aws:kinesis v2"})

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=fn)
    with pytest.raises(ClientError):
        kinesis.describe_stream_summary(StreamName=stream)
    assert (
        lam.list_event_source_mappings(EventSourceArn=left[0]["EventSourceArn"])[
            "EventSourceMappings"
        ]
        == []
    )
