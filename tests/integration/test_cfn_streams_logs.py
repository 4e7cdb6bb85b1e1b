"""CloudFormation end to end for Kinesis streams and CloudWatch Logs log groups: deployed with
boto3, checked with each service's client, updated (shard count, retention) and deleted."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.conftest import ServerProcess

FAST = {"Delay": 0.2, "MaxAttempts": 150}

TEMPLATE = """
Parameters:
  Shards: {Type: Number, Default: 1}
  Days: {Type: Number, Default: 14}
Resources:
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties:
      ShardCount: !Ref Shards
      RetentionPeriodHours: 48
      Tags: [{Key: app, Value: web}]
  AppLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/ovis/${AWS::StackName}/app"
      RetentionInDays: !Ref Days
      Tags: [{Key: app, Value: web}]
Outputs:
  Stream: {Value: !Ref Clicks}
  StreamArn: {Value: !GetAtt Clicks.Arn}
  Group: {Value: !Ref AppLogs}
  GroupArn: {Value: !GetAtt AppLogs.Arn}
"""


def wait(cfn: Any, name: str, waiter: str) -> dict[str, Any]:
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)
    except WaiterError as e:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        why = [x.get("ResourceStatusReason", "") for x in events if "FAILED" in x["ResourceStatus"]]
        raise AssertionError(f"{e}: {why}") from None
    if waiter == "stack_delete_complete":
        return {}
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _group(logs: Any, name: str) -> dict[str, Any] | None:
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return next((g for g in groups if g["logGroupName"] == name), None)


def test_stream_and_log_group_stack(server: ServerProcess) -> None:
    cfn, kinesis, logs = (server.client(s) for s in ("cloudformation", "kinesis", "logs"))
    name = f"kl-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE)
    out = wait(cfn, name, "stack_create_complete")
    summary = kinesis.describe_stream_summary(StreamName=out["Stream"])["StreamDescriptionSummary"]
    assert out["Stream"].startswith(f"{name}-Clicks-")
    assert summary["StreamARN"] == out["StreamArn"] and summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 1 and summary["RetentionPeriodHours"] == 48
    kinesis.put_record(StreamName=out["Stream"], Data=b"click", PartitionKey="k")

    assert out["Group"] == f"/ovis/{name}/app"
    assert out["GroupArn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:/ovis/{name}/app:*"
    group = _group(logs, out["Group"])
    assert group is not None and group["retentionInDays"] == 14

    cfn.update_stack(
        StackName=name,
        TemplateBody=TEMPLATE,
        Parameters=[
            {"ParameterKey": "Shards", "ParameterValue": "2"},
            {"ParameterKey": "Days", "ParameterValue": "30"},
        ],
    )
    after = wait(cfn, name, "stack_update_complete")
    assert after["Stream"] == out["Stream"]
    summary = kinesis.describe_stream_summary(StreamName=out["Stream"])["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2
    group = _group(logs, out["Group"])
    assert group is not None and group["retentionInDays"] == 30

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError):
        kinesis.describe_stream_summary(StreamName=out["Stream"])
    assert _group(logs, out["Group"]) is None
