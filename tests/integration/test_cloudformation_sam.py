"""A SAM template through CloudFormation, as `sam deploy` drives it: a change set (no
CAPABILITY_AUTO_EXPAND needed there, CAPABILITY_IAM for the function's role), executed, the
function invoked, the stack deleted with everything it made. CreateStack with a transform
requires CAPABILITY_AUTO_EXPAND, as on AWS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ServerProcess
from tests.integration.test_cloudformation import FAST, _name, wait

SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hello
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Environment:
        Variables:
          GREETING: !Ref Greeting
      InlineCode: |
        import os
        def handler(event, context):
            return {"msg": os.environ["GREETING"], "event": event}
Outputs:
  FnName:
    Value: !Ref Fn
  FnArn:
    Value: !GetAtt Fn.Arn
"""


def test_sam_deploy_flow(server: ServerProcess) -> None:
    cfn: Any = server.client("cloudformation")
    lam: Any = server.client("lambda")
    iam: Any = server.client("iam")
    name = _name("sam")
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName=name, TemplateBody=SAM, Capabilities=["CAPABILITY_IAM"])
    assert (
        e.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"
    )
    with pytest.raises(ClientError) as e:
        cfn.create_change_set(
            StackName=name, ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=SAM
        )
    assert e.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_IAM]"
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="c",
        ChangeSetType="CREATE",
        TemplateBody=SAM,
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.get_waiter("change_set_create_complete").wait(
        StackName=name, ChangeSetName="c", WaiterConfig=FAST
    )
    cs = cfn.describe_change_set(StackName=name, ChangeSetName="c")
    types = sorted(c["ResourceChange"]["ResourceType"] for c in cs["Changes"])
    assert types == ["AWS::IAM::Role", "AWS::Lambda::Function"]
    cfn.execute_change_set(StackName=name, ChangeSetName="c")
    s = wait(cfn, name)
    outs = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    r = lam.invoke(FunctionName=outs["FnName"], Payload=b'{"a": 1}')
    assert json.loads(r["Payload"].read()) == {"msg": "hello", "event": {"a": 1}}
    # Original is the template as sent, Processed the transform's output
    assert cfn.get_template(StackName=name)["TemplateBody"] == SAM
    processed = cfn.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    assert processed["Resources"]["Fn"]["Type"] == "AWS::Lambda::Function"
    role = cfn.describe_stack_resource(StackName=name, LogicalResourceId="FnRole")
    role_name = role["StackResourceDetail"]["PhysicalResourceId"]
    assert iam.get_role(RoleName=role_name)["Role"]["RoleName"] == role_name

    # an update through a change set: a new parameter value
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="u",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "bonjour"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.get_waiter("change_set_create_complete").wait(
        StackName=name, ChangeSetName="u", WaiterConfig=FAST
    )
    cfn.execute_change_set(StackName=name, ChangeSetName="u")
    wait(cfn, name, "stack_update_complete")
    r = lam.invoke(FunctionName=outs["FnName"], Payload=b"{}")
    assert json.loads(r["Payload"].read())["msg"] == "bonjour"

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=outs["FnName"])
    with pytest.raises(ClientError):
        iam.get_role(RoleName=role_name)
