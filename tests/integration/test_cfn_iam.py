"""CloudFormation end to end for IAM: a role with inline and managed policies, a managed
policy attached to it, an inline AWS::IAM::Policy; checked with the IAM client, updated and
deleted (the role's policies are detached and deleted first)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.conftest import ServerProcess

FAST = {"Delay": 0.2, "MaxAttempts": 150}

TEMPLATE = """
Parameters:
  Actions:
    Type: CommaDelimitedList
    Default: "sqs:SendMessage,sqs:ReceiveMessage"
Resources:
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      Path: /app/
      Description: function role
      MaxSessionDuration: 7200
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
      Policies:
        - PolicyName: queues
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: !Ref Actions
                Resource: "*"
      Tags:
        - Key: team
          Value: core
  Shared:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Description: shared reads
      Roles: [!Ref FnRole]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: "*"
  Extra:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref FnRole]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sns:Publish
            Resource: "*"
Outputs:
  RoleName: {Value: !Ref FnRole}
  RoleArn: {Value: !GetAtt FnRole.Arn}
  RoleId: {Value: !GetAtt FnRole.RoleId}
  PolicyArn: {Value: !Ref Shared}
  PolicyId: {Value: !GetAtt Shared.PolicyId}
"""


def wait(cfn: Any, name: str, waiter: str) -> dict[str, Any]:
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)
    except WaiterError as e:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        reasons = [
            e2.get("ResourceStatusReason", "") for e2 in events if "FAILED" in e2["ResourceStatus"]
        ]
        raise AssertionError(f"{e}: {reasons}") from None
    if waiter == "stack_delete_complete":
        return {}
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _doc(value: Any) -> Any:
    return json.loads(unquote(value)) if isinstance(value, str) else value


def test_iam_stack(server: ServerProcess) -> None:
    cfn, iam = server.client("cloudformation"), server.client("iam")
    name = f"iam-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    out = wait(cfn, name, "stack_create_complete")
    role = iam.get_role(RoleName=out["RoleName"])["Role"]
    assert out["RoleName"].startswith(f"{name}-FnRole-")
    assert role["Arn"] == out["RoleArn"] and role["RoleId"] == out["RoleId"]
    assert role["Path"] == "/app/" and role["MaxSessionDuration"] == 7200
    assert sorted(iam.list_role_policies(RoleName=out["RoleName"])["PolicyNames"]) == [
        "extra",
        "queues",
    ]
    inline = iam.get_role_policy(RoleName=out["RoleName"], PolicyName="queues")
    assert _doc(inline["PolicyDocument"])["Statement"][0]["Action"] == [
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
    ]
    attached = iam.list_attached_role_policies(RoleName=out["RoleName"])["AttachedPolicies"]
    assert {p["PolicyArn"] for p in attached} == {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        out["PolicyArn"],
    }
    policy = iam.get_policy(PolicyArn=out["PolicyArn"])["Policy"]
    assert policy["PolicyId"] == out["PolicyId"] and policy["AttachmentCount"] == 1

    cfn.update_stack(
        StackName=name,
        TemplateBody=TEMPLATE,
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": "Actions", "ParameterValue": "sqs:*"}],
    )
    wait(cfn, name, "stack_update_complete")
    inline = iam.get_role_policy(RoleName=out["RoleName"], PolicyName="queues")
    assert _doc(inline["PolicyDocument"])["Statement"][0]["Action"] == ["sqs:*"]

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError):
        iam.get_role(RoleName=out["RoleName"])
    with pytest.raises(ClientError):
        iam.get_policy(PolicyArn=out["PolicyArn"])
