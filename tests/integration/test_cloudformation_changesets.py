"""CloudFormation change sets against a live server with boto3: CREATE (the stack in
REVIEW_IN_PROGRESS until executed, or deleted unexecuted), UPDATE with Add/Modify/Remove and
replacement, the "no changes" failure sam deploy and `aws cloudformation deploy` match on, and
the change_set_create_complete waiter."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.conftest import ServerProcess
from tests.integration.test_cloudformation import FAST, _name, wait

NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)


@pytest.fixture(scope="module")
def cfn(server: ServerProcess) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def sqs(server: ServerProcess) -> Any:
    return server.client("sqs")


def created(cfn: Any, name: str, cs: str) -> dict[str, Any]:
    cfn.get_waiter("change_set_create_complete").wait(
        StackName=name, ChangeSetName=cs, WaiterConfig=FAST
    )
    return cfn.describe_change_set(StackName=name, ChangeSetName=cs)  # type: ignore[no-any-return]


BASE = {
    "Parameters": {"Vis": {"Type": "Number", "Default": "30"}},
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": {"Ref": "Vis"}}},
        "Topic": {"Type": "AWS::SNS::Topic"},
    },
    "Outputs": {"Url": {"Value": {"Ref": "Queue"}}},
}


def test_create_change_set_then_execute(cfn: Any, sqs: Any) -> None:
    name = _name("cs")
    out = cfn.create_change_set(
        StackName=name,
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(BASE),
        Description="the first one",
    )
    assert out["Id"].startswith("arn:aws:cloudformation:us-east-1:000000000000:changeSet/first/")
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    assert stack["StackId"] == out["StackId"]
    cs = created(cfn, name, "first")
    assert cs["Status"] == "CREATE_COMPLETE"
    assert cs["ExecutionStatus"] == "AVAILABLE"
    assert cs["Description"] == "the first one"
    assert cs["Parameters"] == [{"ParameterKey": "Vis", "ParameterValue": "30"}]
    actions = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["Action"]
        for c in cs["Changes"]
    }
    assert actions == {"Queue": "Add", "Topic": "Add"}
    # by ARN alone too
    assert cfn.describe_change_set(ChangeSetName=out["Id"])["ChangeSetName"] == "first"
    summaries = cfn.list_change_sets(StackName=name)["Summaries"]
    assert [s["ChangeSetName"] for s in summaries] == ["first"]
    assert cfn.get_template(StackName=name, ChangeSetName="first")["TemplateBody"] == BASE
    cfn.execute_change_set(StackName=name, ChangeSetName="first")
    s = wait(cfn, name)
    assert s["StackStatus"] == "CREATE_COMPLETE"
    assert s["ChangeSetId"] == out["Id"]
    url = s["Outputs"][0]["OutputValue"]
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
            "VisibilityTimeout"
        ]
        == "30"
    )
    done = cfn.describe_change_set(ChangeSetName=out["Id"])
    assert done["ExecutionStatus"] in ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE")
    # executing twice is refused
    with pytest.raises(ClientError) as e:
        cfn.execute_change_set(ChangeSetName=out["Id"])
    assert e.value.response["Error"]["Code"] == "InvalidChangeSetStatus"

    # UPDATE: modify the queue in place, replace the topic, add one, remove nothing
    tpl = json.loads(json.dumps(BASE))
    tpl["Resources"]["Topic"]["Properties"] = {"TopicName": f"{name}-t"}
    tpl["Resources"]["Other"] = {"Type": "AWS::SNS::Topic"}
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="second",
        TemplateBody=json.dumps(tpl),
        Parameters=[{"ParameterKey": "Vis", "ParameterValue": "45"}],
    )
    cs = created(cfn, name, "second")
    by_id = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in cs["Changes"]}
    assert by_id["Other"]["Action"] == "Add"
    assert by_id["Queue"]["Action"] == "Modify"
    assert by_id["Queue"]["Replacement"] == "False"
    assert by_id["Queue"]["Scope"] == ["Properties"]
    detail = by_id["Queue"]["Details"][0]
    assert detail["Target"] == {
        "Attribute": "Properties",
        "Name": "VisibilityTimeout",
        "RequiresRecreation": "Never",
    }
    assert detail["Evaluation"] == "Static"
    assert by_id["Topic"]["Action"] == "Modify"
    assert by_id["Topic"]["Replacement"] == "True"
    assert by_id["Topic"]["PhysicalResourceId"].startswith("arn:aws:sns:")
    # the stack did not change until the change set runs
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
            "VisibilityTimeout"
        ]
        == "30"
    )
    cfn.execute_change_set(StackName=name, ChangeSetName="second")
    wait(cfn, name, "stack_update_complete")
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
            "VisibilityTimeout"
        ]
        == "45"
    )

    # Remove
    del tpl["Resources"]["Other"]
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="third",
        TemplateBody=json.dumps(tpl),
        Parameters=[{"ParameterKey": "Vis", "UsePreviousValue": True}],
    )
    cs = created(cfn, name, "third")
    assert [
        (c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"])
        for c in cs["Changes"]
    ] == [("Remove", "Other")]
    assert cs["Changes"][0]["ResourceChange"]["PolicyAction"] == "Delete"
    cfn.delete_change_set(StackName=name, ChangeSetName="third")
    with pytest.raises(ClientError) as e:
        cfn.describe_change_set(StackName=name, ChangeSetName="third")
    assert e.value.response["Error"]["Code"] == "ChangeSetNotFound"
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


def test_no_changes_fails_with_aws_reason(cfn: Any) -> None:
    name = _name("nc")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(BASE))
    wait(cfn, name)
    cfn.create_change_set(StackName=name, ChangeSetName="same", TemplateBody=json.dumps(BASE))
    with pytest.raises(WaiterError):
        cfn.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName="same", WaiterConfig=FAST
        )
    cs = cfn.describe_change_set(StackName=name, ChangeSetName="same")
    assert cs["Status"] == "FAILED"
    assert cs["StatusReason"] == NO_CHANGES
    assert cs["ExecutionStatus"] == "UNAVAILABLE"
    with pytest.raises(ClientError) as e:
        cfn.execute_change_set(StackName=name, ChangeSetName="same")
    assert e.value.response["Error"]["Code"] == "InvalidChangeSetStatus"
    cfn.delete_change_set(StackName=name, ChangeSetName="same")
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


def test_never_executed_create_change_set_is_deleted(cfn: Any) -> None:
    name = _name("ne")
    out = cfn.create_change_set(
        StackName=name, ChangeSetName="c1", ChangeSetType="CREATE", TemplateBody=json.dumps(BASE)
    )
    created(cfn, name, "c1")
    # a second CREATE change set on the stack in review is fine
    cfn.create_change_set(
        StackName=name, ChangeSetName="c2", ChangeSetType="CREATE", TemplateBody=json.dumps(BASE)
    )
    with pytest.raises(ClientError) as e:
        cfn.create_change_set(
            StackName=name,
            ChangeSetName="c1",
            ChangeSetType="CREATE",
            TemplateBody=json.dumps(BASE),
        )
    assert e.value.response["Error"]["Code"] == "AlreadyExistsException"
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    s = cfn.describe_stacks(StackName=out["StackId"])["Stacks"][0]
    assert s["StackStatus"] == "DELETE_COMPLETE"


def test_change_set_errors(cfn: Any) -> None:
    with pytest.raises(ClientError) as e:
        cfn.create_change_set(
            StackName=_name("x"), ChangeSetName="u", TemplateBody=json.dumps(BASE)
        )  # UPDATE of a stack that is not there
    assert e.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as e:
        cfn.describe_change_set(ChangeSetName="nope", StackName="nope-stack")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as e:
        cfn.create_change_set(
            StackName=_name("x"),
            ChangeSetName="u",
            ChangeSetType="CREATE",
            TemplateBody=json.dumps({"Resources": {"A": {"Type": "AWS::ApiGateway::RestApi"}}}),
        )
    assert "AWS::ApiGateway::RestApi" in e.value.response["Error"]["Message"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
