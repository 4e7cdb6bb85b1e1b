"""CloudFormation end to end for the messaging resources: SQS queues and queue policies, SNS
topics, subscriptions and topic policies, EventBridge rules and buses, Scheduler schedules.
A YAML template is deployed with boto3's cloudformation client against a live server; every
resource is then checked (and driven: a publish, an event) with its own service's client."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.conftest import ServerProcess

FAST = {"Delay": 0.2, "MaxAttempts": 150}

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Visibility:
    Type: Number
    Default: 45
Resources:
  Dlq:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
  Inbox:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !Ref Visibility
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dlq.Arn
        maxReceiveCount: 3
      Tags:
        - Key: app
          Value: shop
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: true
  InboxPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Inbox]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: [sns.amazonaws.com, events.amazonaws.com]}
            Action: sqs:SendMessage
            Resource: !GetAtt Inbox.Arn
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: Shop alerts
      Subscription:
        - Protocol: sqs
          Endpoint: !GetAtt Dlq.Arn
  RedOnly:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Alerts
      Protocol: sqs
      Endpoint: !GetAtt Inbox.Arn
      RawMessageDelivery: "true"
      FilterPolicy:
        color: [red]
  AlertsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Alerts]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sns:Publish
            Resource: !Ref Alerts
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: !Sub "${AWS::StackName}-bus"
  OnOrder:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern:
        source: [shop.orders]
      Targets:
        - Id: inbox
          Arn: !GetAtt Inbox.Arn
          InputTransformer:
            InputPathsMap: {id: $.detail.id}
            InputTemplate: '{"order": <id>}'
  Nightly:
    Type: AWS::Scheduler::Schedule
    Properties:
      ScheduleExpression: cron(0 3 * * ? *)
      FlexibleTimeWindow: {Mode: "OFF"}
      Target:
        Arn: !GetAtt Inbox.Arn
        RoleArn: !Sub "arn:aws:iam::${AWS::AccountId}:role/scheduler"
        Input: '{"job": "nightly"}'
Outputs:
  InboxUrl: {Value: !Ref Inbox}
  DlqUrl: {Value: !Ref Dlq}
  OrdersName: {Value: !GetAtt Orders.QueueName}
  TopicArn: {Value: !Ref Alerts}
  TopicName: {Value: !GetAtt Alerts.TopicName}
  SubArn: {Value: !Ref RedOnly}
  RuleRef: {Value: !Ref OnOrder}
  RuleArn: {Value: !GetAtt OnOrder.Arn}
  BusArn: {Value: !GetAtt Bus.Arn}
  Schedule: {Value: !Ref Nightly}
  ScheduleArn: {Value: !GetAtt Nightly.Arn}
"""


def failures(cfn: Any, name: str) -> list[str]:
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
        raise AssertionError(f"{e}: {failures(cfn, name)}") from None
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def receive(sqs: Any, url: str, deadline_s: float = 30) -> list[dict[str, Any]]:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if msgs:
            for m in msgs:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            return list(msgs)
    return []


def test_messaging_stack(server: ServerProcess) -> None:
    cfn, sqs, sns = server.client("cloudformation"), server.client("sqs"), server.client("sns")
    events, scheduler = server.client("events"), server.client("scheduler")
    name = f"msg-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE)
    out = wait(cfn, name, "stack_create_complete")

    inbox = sqs.get_queue_attributes(QueueUrl=out["InboxUrl"], AttributeNames=["All"])["Attributes"]
    assert inbox["VisibilityTimeout"] == "45"
    dlq_arn = sqs.get_queue_attributes(QueueUrl=out["DlqUrl"], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    assert json.loads(inbox["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": 3,
    }
    assert json.loads(inbox["Policy"])["Statement"][0]["Action"] == "sqs:SendMessage"
    assert sqs.list_queue_tags(QueueUrl=out["InboxUrl"])["Tags"] == {"app": "shop"}
    assert out["OrdersName"].startswith(f"{name}-Orders-") and out["OrdersName"].endswith(".fifo")

    topic = sns.get_topic_attributes(TopicArn=out["TopicArn"])["Attributes"]
    assert topic["DisplayName"] == "Shop alerts"
    assert json.loads(topic["Policy"])["Statement"][0]["Principal"] == {
        "Service": "events.amazonaws.com"
    }
    assert out["TopicArn"].endswith(":" + out["TopicName"])
    sub = sns.get_subscription_attributes(SubscriptionArn=out["SubArn"])["Attributes"]
    assert sub["RawMessageDelivery"] == "true"

    # the wiring works: a red message reaches the inbox raw, and the DLQ through the topic's
    # own subscription; a blue one only the DLQ
    sns.publish(
        TopicArn=out["TopicArn"],
        Message="paint it",
        MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}},
    )
    assert [m["Body"] for m in receive(sqs, out["InboxUrl"])] == ["paint it"]
    assert json.loads(receive(sqs, out["DlqUrl"])[0]["Body"])["Message"] == "paint it"

    bus = f"{name}-bus"
    assert out["RuleRef"].startswith(f"{bus}|{name}-OnOrder-")
    assert out["RuleArn"].endswith(f":rule/{bus}/" + out["RuleRef"].split("|")[1])
    assert out["BusArn"].endswith(f":event-bus/{bus}")
    events.put_events(
        Entries=[
            {"EventBusName": bus, "Source": "shop.orders", "DetailType": "x", "Detail": '{"id": 9}'}
        ]
    )
    assert [json.loads(m["Body"]) for m in receive(sqs, out["InboxUrl"])] == [{"order": 9}]

    sched = scheduler.get_schedule(Name=out["Schedule"])
    assert sched["Arn"] == out["ScheduleArn"]
    assert sched["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert json.loads(sched["Target"]["Input"]) == {"job": "nightly"}

    # an update changes the queue in place
    cfn.update_stack(
        StackName=name,
        TemplateBody=TEMPLATE,
        Parameters=[{"ParameterKey": "Visibility", "ParameterValue": "90"}],
    )
    after = wait(cfn, name, "stack_update_complete")
    assert after["InboxUrl"] == out["InboxUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=out["InboxUrl"], AttributeNames=["All"])
    assert attrs["Attributes"]["VisibilityTimeout"] == "90"

    cfn.delete_stack(StackName=name)
    wait_deleted(cfn, name)
    for url in (out["InboxUrl"], out["DlqUrl"]):
        with pytest.raises(ClientError):
            sqs.get_queue_attributes(QueueUrl=url)
    with pytest.raises(ClientError):
        sns.get_topic_attributes(TopicArn=out["TopicArn"])
    with pytest.raises(ClientError):
        events.describe_event_bus(Name=bus)
    with pytest.raises(ClientError):
        scheduler.get_schedule(Name=out["Schedule"])


def wait_deleted(cfn: Any, name: str) -> None:
    try:
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    except WaiterError as e:
        raise AssertionError(f"{e}: {failures(cfn, name)}") from None


def test_a_failing_resource_rolls_back_the_others(server: ServerProcess) -> None:
    cfn, sqs = server.client("cloudformation"), server.client("sqs")
    name = f"bad-{uuid.uuid4().hex[:8]}"
    template = {
        "Resources": {
            "Good": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{name}-good"}},
            "Bad": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": "Good",
                "Properties": {"QueueName": f"{name}-bad", "DelaySeconds": 5000},
            },
        }
    }
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = " ".join(failures(cfn, name))
    assert "Bad CREATE_FAILED" in reasons and "DelaySeconds" in reasons
    assert not sqs.list_queues(QueueNamePrefix=name).get("QueueUrls")
    cfn.delete_stack(StackName=name)
    wait_deleted(cfn, name)
