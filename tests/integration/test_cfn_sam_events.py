"""The SAM transform's event sources, end to end: one AWS::Serverless::Function with SNS,
EventBridgeRule, Schedule, ScheduleV2 and S3 events deploys through CloudFormation; the
resources SAM generates for them (subscription, rules, schedule with its role, bucket
notification, permissions) are checked with each service's client, and events published to
the topic, the bus and the bucket reach the function (seen in its logs)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.conftest import ServerProcess

FAST = {"Delay": 0.2, "MaxAttempts": 300}

SRC = """import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    return {}
"""


def template() -> dict[str, Any]:
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Alerts": {"Type": "AWS::SNS::Topic"},
            "Uploads": {"Type": "AWS::S3::Bucket"},
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "InlineCode": SRC,
                    "Handler": "index.handler",
                    "Runtime": "python3.11",
                    "Events": {
                        "Sns": {"Type": "SNS", "Properties": {"Topic": {"Ref": "Alerts"}}},
                        "Bridge": {
                            "Type": "EventBridgeRule",
                            "Properties": {"Pattern": {"source": ["sam.test"]}},
                        },
                        "Tick": {
                            "Type": "Schedule",
                            "Properties": {"Schedule": "rate(1 day)", "Enabled": False},
                        },
                        "TickV2": {
                            "Type": "ScheduleV2",
                            "Properties": {"ScheduleExpression": "rate(1 day)"},
                        },
                        "Upload": {
                            "Type": "S3",
                            "Properties": {
                                "Bucket": {"Ref": "Uploads"},
                                "Events": "s3:ObjectCreated:*",
                            },
                        },
                    },
                },
            },
        },
        "Outputs": {
            "Fn": {"Value": {"Ref": "Fn"}},
            "FnArn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}},
            "Topic": {"Value": {"Ref": "Alerts"}},
            "Bucket": {"Value": {"Ref": "Uploads"}},
        },
    }


def wait(cfn: Any, name: str, waiter: str) -> dict[str, Any]:
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)
    except WaiterError as e:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        why = [
            f"{x['LogicalResourceId']}: {x.get('ResourceStatusReason', '')}"
            for x in events
            if "FAILED" in x["ResourceStatus"]
        ]
        raise AssertionError(f"{e}: {why}") from None
    if waiter == "stack_delete_complete":
        return {}
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def event_kind(event: Any) -> str:
    if isinstance(event, dict) and event.get("Records"):
        first = event["Records"][0]
        return str(first.get("EventSource") or first.get("eventSource"))
    if isinstance(event, dict) and "detail-type" in event:
        return f"events:{event.get('source')}"
    return "other"


def logged_kinds(logs: Any, fn: str, want: set[str], deadline_s: float = 30) -> set[str]:
    """The kinds of events the function printed, once all of ``want`` are in its logs."""
    end = time.monotonic() + deadline_s
    found: set[str] = set()
    while time.monotonic() < end:
        try:
            page = logs.filter_log_events(logGroupName=f"/aws/lambda/{fn}")
        except ClientError:
            page = {"events": []}
        found = {
            event_kind(json.loads(e["message"].split("EVENT ", 1)[1]))
            for e in page["events"]
            if "EVENT " in e["message"]
        }
        if want <= found:
            return found
        time.sleep(0.1)
    return found


def test_sam_event_sources(server: ServerProcess) -> None:
    cfn, sns, events, s3 = (server.client(s) for s in ("cloudformation", "sns", "events", "s3"))
    scheduler, lam, logs = (server.client(s) for s in ("scheduler", "lambda", "logs"))
    name = f"samev-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template()),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    out = wait(cfn, name, "stack_create_complete")
    fn, fn_arn = out["Fn"], out["FnArn"]
    resources = {
        r["LogicalResourceId"]: r
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    types = {r["ResourceType"] for r in resources.values()}
    assert {"AWS::SNS::Subscription", "AWS::Events::Rule", "AWS::Scheduler::Schedule"} <= types

    subs = sns.list_subscriptions_by_topic(TopicArn=out["Topic"])["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("lambda", fn_arn)]
    bridge = resources["FnBridge"]["PhysicalResourceId"]
    assert events.list_targets_by_rule(Rule=bridge)["Targets"][0]["Arn"] == fn_arn
    tick = resources["FnTick"]["PhysicalResourceId"]
    rule = events.describe_rule(Name=tick)
    assert rule["ScheduleExpression"] == "rate(1 day)" and rule["State"] == "DISABLED"
    sched = scheduler.get_schedule(Name=resources["FnTickV2"]["PhysicalResourceId"])
    assert sched["Target"]["Arn"] == fn_arn
    role = resources["FnTickV2Role"]["PhysicalResourceId"]
    assert sched["Target"]["RoleArn"].endswith(f":role/{role}")
    cfg = s3.get_bucket_notification_configuration(Bucket=out["Bucket"])
    assert [c["LambdaFunctionArn"] for c in cfg["LambdaFunctionConfigurations"]] == [fn_arn]
    statements = json.loads(lam.get_policy(FunctionName=fn)["Policy"])["Statement"]
    principals = {s["Principal"]["Service"] for s in statements}
    assert {"sns.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com"} <= principals

    # the events reach the function
    sns.publish(TopicArn=out["Topic"], Message="from-sns")
    events.put_events(Entries=[{"Source": "sam.test", "DetailType": "t", "Detail": "{}"}])
    s3.put_object(Bucket=out["Bucket"], Key="up.txt", Body=b"x")
    want = {"aws:sns", "aws:s3", "events:sam.test"}
    assert want <= logged_kinds(logs, fn, want)

    s3.delete_object(Bucket=out["Bucket"], Key="up.txt")
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError):
        sns.get_topic_attributes(TopicArn=out["Topic"])
    with pytest.raises(ClientError):
        events.describe_rule(Name=bridge)
    with pytest.raises(ClientError):
        server.client("iam").get_role(RoleName=role)
