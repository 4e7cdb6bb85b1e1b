"""CloudFormation stacks against a live server with boto3: create, update, delete, events,
resources, outputs, exports and imports, NoEcho, TemplateURL, the waiters, and errors. Each
resource is checked with its own service's client."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.conftest import ServerProcess

FAST = {"Delay": 0.2, "MaxAttempts": 150}


def _name(prefix: str = "st") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def cfn(server: ServerProcess) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def sqs(server: ServerProcess) -> Any:
    return server.client("sqs")


@pytest.fixture(scope="module")
def sns(server: ServerProcess) -> Any:
    return server.client("sns")


def failures(cfn: Any, name: str) -> list[str]:
    """The reasons of the stack's failed events (for assertion messages)."""
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
        for e in events
        if "FAILED" in e["ResourceStatus"] or "ROLLBACK" in e["ResourceStatus"]
    ]


def wait(cfn: Any, name: str, waiter: str = "stack_create_complete") -> dict[str, Any]:
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)
    except WaiterError as e:
        raise AssertionError(f"{e}: {failures(cfn, name)}") from None
    if waiter == "stack_delete_complete":
        return {}
    return cfn.describe_stacks(StackName=name)["Stacks"][0]  # type: ignore[no-any-return]


def settle(cfn: Any, name: str, deadline_s: float = 30) -> dict[str, Any]:
    """The stack once it rests (not *_IN_PROGRESS)."""
    end = time.monotonic() + deadline_s
    while True:
        s = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS"):
            return s  # type: ignore[no-any-return]
        assert time.monotonic() < end, s["StackStatus"]
        time.sleep(0.05)


def queue_names(sqs: Any, prefix: str) -> list[str]:
    urls = sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    return sorted(u.rsplit("/", 1)[1] for u in urls)


QUEUE_AND_TOPIC = {
    "Parameters": {
        "Retention": {"Type": "Number", "Default": "345600"},
        "Secret": {"Type": "String", "NoEcho": True, "Default": "hunter2"},
    },
    "Resources": {
        "Queue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"MessageRetentionPeriod": {"Ref": "Retention"}},
        },
        "Topic": {"Type": "AWS::SNS::Topic"},
    },
    "Outputs": {
        "QueueUrl": {"Value": {"Ref": "Queue"}},
        "QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}, "Description": "the queue"},
        "TopicArn": {"Value": {"Ref": "Topic"}},
    },
}


def test_create_describe_delete(cfn: Any, sqs: Any, sns: Any) -> None:
    name = _name()
    sid = cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(QUEUE_AND_TOPIC),
        Tags=[{"Key": "team", "Value": "core"}],
    )["StackId"]
    assert sid.startswith(f"arn:aws:cloudformation:us-east-1:000000000000:stack/{name}/")
    s = wait(cfn, name)
    assert s["StackStatus"] == "CREATE_COMPLETE"
    assert s["StackId"] == sid
    assert s["Tags"] == [{"Key": "team", "Value": "core"}]
    params = {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}
    assert params == {"Retention": "345600", "Secret": "****"}
    outs = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    # the queue is real: its own API answers for the URL the output names
    attrs = sqs.get_queue_attributes(QueueUrl=outs["QueueUrl"], AttributeNames=["All"])
    assert attrs["Attributes"]["QueueArn"] == outs["QueueArn"]
    assert attrs["Attributes"]["MessageRetentionPeriod"] == "345600"
    assert f"{name}-Queue-" in outs["QueueUrl"]
    assert sns.get_topic_attributes(TopicArn=outs["TopicArn"])["Attributes"]
    # addressed by id too
    assert cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackName"] == name
    # resources
    res = cfn.describe_stack_resources(StackName=name)["StackResources"]
    assert {r["LogicalResourceId"]: r["ResourceStatus"] for r in res} == {
        "Queue": "CREATE_COMPLETE",
        "Topic": "CREATE_COMPLETE",
    }
    one = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Topic")
    assert one["StackResourceDetail"]["PhysicalResourceId"] == outs["TopicArn"]
    summaries = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert {r["ResourceType"] for r in summaries} == {"AWS::SQS::Queue", "AWS::SNS::Topic"}
    # events: newest first, the stack's own first and last
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    assert events[0]["LogicalResourceId"] == name
    assert events[0]["ResourceStatus"] == "CREATE_COMPLETE"
    assert events[-1]["ResourceStatus"] == "CREATE_IN_PROGRESS"
    assert events[-1]["ResourceStatusReason"] == "User Initiated"
    queue_events = [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == "Queue"]
    assert queue_events == ["CREATE_COMPLETE", "CREATE_IN_PROGRESS"]
    # templates: as sent
    body = cfn.get_template(StackName=name)["TemplateBody"]
    assert body == QUEUE_AND_TOPIC  # botocore decodes a JSON body
    listed = cfn.list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"]
    assert sid in [x["StackId"] for x in listed]

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError) as e:
        cfn.describe_stacks(StackName=name)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert e.value.response["Error"]["Message"] == f"Stack with id {name} does not exist"
    assert cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    deleted = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert sid in [x["StackId"] for x in deleted]
    with pytest.raises(ClientError):
        sqs.get_queue_attributes(QueueUrl=outs["QueueUrl"])
    # deleting again (or a stack that never was) is no error
    cfn.delete_stack(StackName=name)


def test_update_modify_replace_remove(cfn: Any, sqs: Any, sns: Any) -> None:
    name = _name()
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(QUEUE_AND_TOPIC))
    before = {o["OutputKey"]: o["OutputValue"] for o in wait(cfn, name)["Outputs"]}
    with pytest.raises(ClientError) as e:
        cfn.update_stack(StackName=name, TemplateBody=json.dumps(QUEUE_AND_TOPIC))
    assert e.value.response["Error"]["Message"] == "No updates are to be performed."
    # Retention changes in place; FifoTopic... replaces the topic; a new topic is added
    tpl = json.loads(json.dumps(QUEUE_AND_TOPIC))
    tpl["Resources"]["Topic"]["Properties"] = {"TopicName": f"{name}-renamed"}
    tpl["Resources"]["Added"] = {"Type": "AWS::SNS::Topic"}
    cfn.update_stack(
        StackName=name,
        TemplateBody=json.dumps(tpl),
        Parameters=[{"ParameterKey": "Retention", "ParameterValue": "600"}],
    )
    s = wait(cfn, name, "stack_update_complete")
    after = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    assert after["QueueUrl"] == before["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=after["QueueUrl"], AttributeNames=["All"])
    assert attrs["Attributes"]["MessageRetentionPeriod"] == "600"
    assert after["TopicArn"].endswith(f":{name}-renamed")
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert after["TopicArn"] in topics and before["TopicArn"] not in topics  # old one cleaned up
    statuses = [
        e["ResourceStatus"] for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
    ]
    assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" in statuses
    # remove the queue: deleted in the cleanup
    del tpl["Resources"]["Queue"]
    tpl["Outputs"] = {"TopicArn": {"Value": {"Ref": "Topic"}}}
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(tpl))
    wait(cfn, name, "stack_update_complete")
    with pytest.raises(ClientError):
        sqs.get_queue_attributes(QueueUrl=after["QueueUrl"])
    ids = {
        r["LogicalResourceId"]
        for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    }
    assert ids == {"Topic", "Added"}
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


def test_failed_create_rolls_back_leaving_nothing(cfn: Any, sqs: Any) -> None:
    name = _name("rb")
    tpl = {
        "Resources": {
            "Good": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{name}-good"}},
            "Bad": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": "Good",
                "Properties": {"QueueName": f"{name}-bad", "DelaySeconds": 100000},
            },
        }
    }
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(tpl))
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    s = settle(cfn, name)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "The following resource(s) failed to create: [Bad]" in s["StackStatusReason"]
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    bad = [
        e
        for e in events
        if e["LogicalResourceId"] == "Bad" and e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert bad and bad[0]["ResourceStatusReason"]
    assert queue_names(sqs, name) == []
    # a rolled-back stack can't be updated, only deleted
    with pytest.raises(ClientError) as e:
        cfn.update_stack(StackName=name, TemplateBody=json.dumps(tpl))
    assert "ROLLBACK_COMPLETE state and can not be updated" in e.value.response["Error"]["Message"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


def test_disable_rollback_keeps_what_was_made(cfn: Any, sqs: Any) -> None:
    name = _name("keep")
    tpl = {
        "Resources": {
            "Good": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{name}-good"}},
            "Bad": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": "Good",
                "Properties": {"QueueName": f"{name}-bad", "DelaySeconds": 100000},
            },
        }
    }
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(tpl), DisableRollback=True)
    s = settle(cfn, name)
    assert s["StackStatus"] == "CREATE_FAILED"
    assert s["DisableRollback"] is True
    assert queue_names(sqs, name) == [f"{name}-good"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    assert queue_names(sqs, name) == []


def test_failed_update_rolls_back(cfn: Any, sqs: Any) -> None:
    name = _name("urb")
    tpl: dict[str, Any] = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
        },
        "Outputs": {"Url": {"Value": {"Ref": "Queue"}}},
    }
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(tpl))
    url = wait(cfn, name)["Outputs"][0]["OutputValue"]
    tpl["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 60
    tpl["Resources"]["Extra"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {"QueueName": f"{name}-extra"},
    }
    tpl["Resources"]["Broken"] = {
        "Type": "AWS::SQS::Queue",
        "DependsOn": ["Queue", "Extra"],
        "Properties": {"DelaySeconds": 100000},
    }
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(tpl))
    with pytest.raises(WaiterError):
        cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    s = settle(cfn, name)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert attrs["Attributes"]["VisibilityTimeout"] == "30"  # the previous value restored
    assert queue_names(sqs, f"{name}-extra") == []  # what the update added is gone
    body = cfn.get_template(StackName=name)["TemplateBody"]
    assert "Broken" not in body["Resources"]  # the previous template is the stack's again
    # an update rollback leaves the stack updatable
    tpl2 = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 45}}}
    }
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(tpl2))
    wait(cfn, name, "stack_update_complete")
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


def test_retain_policy_keeps_resource(cfn: Any, sqs: Any) -> None:
    name = _name("ret")
    tpl = {
        "Resources": {
            "Kept": {
                "Type": "AWS::SQS::Queue",
                "DeletionPolicy": "Retain",
                "Properties": {"QueueName": f"{name}-kept"},
            }
        }
    }
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(tpl))
    wait(cfn, name)
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    assert queue_names(sqs, name) == [f"{name}-kept"]
    sid = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    stack_id = next(x["StackId"] for x in sid if x["StackName"] == name)
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    assert any(e["ResourceStatus"] == "DELETE_SKIPPED" for e in events)


def test_custom_named_replacement_fails(cfn: Any, sqs: Any) -> None:
    name = _name("cn")
    tpl: dict[str, Any] = {
        "Resources": {
            "Q": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": f"{name}-q.fifo", "FifoQueue": True},
            }
        }
    }
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(tpl))
    wait(cfn, name)
    tpl["Resources"]["Q"]["Properties"]["ContentBasedDeduplication"] = True
    tpl["Resources"]["Q"]["Properties"]["FifoQueue"] = True
    # FifoQueue is create-only: flipping it on a custom-named queue can't replace it
    tpl2: dict[str, Any] = {
        "Resources": {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{name}-q.fifo"}}
        }
    }
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(tpl2))
    s = settle(cfn, name)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert (
        failed and "custom-named resource requires replacing" in failed[0]["ResourceStatusReason"]
    )
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


def test_exports_and_imports(cfn: Any, sqs: Any) -> None:
    a, b, c = _name("exp"), _name("imp"), _name("dup")
    export = f"{a}-QueueArn"
    producer = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "Arn": {
                "Value": {"Fn::GetAtt": ["Queue", "Arn"]},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-QueueArn"}},
            }
        },
    }
    cfn.create_stack(StackName=a, TemplateBody=json.dumps(producer))
    arn = wait(cfn, a)["Outputs"][0]["OutputValue"]
    exports = {x["Name"]: x for x in cfn.list_exports()["Exports"]}
    assert exports[export]["Value"] == arn
    consumer = {
        "Resources": {
            "Dlq": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::ImportValue": export},
                        "maxReceiveCount": 3,
                    }
                },
            }
        },
        "Outputs": {"Url": {"Value": {"Ref": "Dlq"}}},
    }
    cfn.create_stack(StackName=b, TemplateBody=json.dumps(consumer))
    url = wait(cfn, b)["Outputs"][0]["OutputValue"]
    redrive = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    assert json.loads(redrive["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"] == arn
    assert cfn.list_imports(ExportName=export)["Imports"] == [b]
    # the exporter can't go while it is imported
    with pytest.raises(ClientError) as e:
        cfn.delete_stack(StackName=a)
    assert e.value.response["Error"]["Message"] == (
        f"Export {export} cannot be deleted as it is in use by {b}"
    )
    # nor can its export change
    changed = json.loads(json.dumps(producer))
    changed["Outputs"]["Arn"]["Value"] = "something-else"
    cfn.update_stack(StackName=a, TemplateBody=json.dumps(changed))
    s = settle(cfn, a)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert (
        f"{a} UPDATE_ROLLBACK_IN_PROGRESS: Cannot update export {export} as it is in use by {b}"
        in failures(cfn, a)
    )
    # export names are unique
    dup = {
        "Resources": {"T": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"X": {"Value": "v", "Export": {"Name": export}}},
    }
    cfn.create_stack(StackName=c, TemplateBody=json.dumps(dup))
    s = settle(cfn, c)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert s["StackStatusReason"] == f"Export with name {export} is already exported by stack {a}"
    # an unknown import fails the request
    bad = json.loads(json.dumps(consumer))
    bad["Resources"]["Dlq"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] = {
        "Fn::ImportValue": "nope-nothing"
    }
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName=_name(), TemplateBody=json.dumps(bad))
    assert e.value.response["Error"]["Message"] == "No export named nope-nothing found."
    for n in (b, a, c):
        cfn.delete_stack(StackName=n)
        wait(cfn, n, "stack_delete_complete")


def test_template_url(server: ServerProcess, cfn: Any, sqs: Any) -> None:
    s3 = server.client("s3")
    bucket = _name("tpl")
    s3.create_bucket(Bucket=bucket)
    tpl = {
        "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"U": {"Value": {"Ref": "Q"}}},
    }
    s3.put_object(Bucket=bucket, Key="dir/t.json", Body=json.dumps(tpl).encode())
    for url in (
        f"{server.url}/{bucket}/dir/t.json",
        f"https://{bucket}.s3.amazonaws.com/dir/t.json",
        f"https://s3.us-east-1.amazonaws.com/{bucket}/dir/t.json",
    ):
        name = _name("url")
        cfn.create_stack(StackName=name, TemplateURL=url)
        out = wait(cfn, name)["Outputs"][0]["OutputValue"]
        attrs = sqs.get_queue_attributes(QueueUrl=out, AttributeNames=["QueueArn"])
        assert attrs["Attributes"]["QueueArn"].endswith(out.rsplit("/", 1)[1])
        cfn.delete_stack(StackName=name)
        wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName=_name(), TemplateURL=f"{server.url}/{bucket}/missing.json")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    summary = cfn.get_template_summary(TemplateURL=f"{server.url}/{bucket}/dir/t.json")
    assert summary["ResourceTypes"] == ["AWS::SQS::Queue"]


def test_bad_input_is_4xx(cfn: Any) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"TemplateBody": "{not json"}, "ValidationError", "Template format error"),
        (
            {
                "TemplateBody": json.dumps(
                    {"Resources": {"A": {"Type": "AWS::ApiGateway::RestApi"}}}
                )
            },
            "ValidationError",
            "AWS::ApiGateway::RestApi",
        ),
        (
            {
                "TemplateBody": json.dumps(
                    {
                        "Resources": {
                            "A": {"Type": "AWS::SQS::Queue", "Properties": {"X": {"Ref": "Nope"}}}
                        }
                    }
                )
            },
            "ValidationError",
            "Unresolved resource dependencies [Nope]",
        ),
        ({}, "ValidationError", "Either Template URL or Template Body must be specified."),
        (
            {
                "TemplateBody": json.dumps(
                    {
                        "Resources": {
                            "R": {
                                "Type": "AWS::IAM::Role",
                                "Properties": {"AssumeRolePolicyDocument": {}},
                            }
                        }
                    }
                )
            },
            "InsufficientCapabilitiesException",
            "Requires capabilities : [CAPABILITY_IAM]",
        ),
        (
            {
                "TemplateBody": json.dumps(
                    {
                        "Resources": {
                            "R": {
                                "Type": "AWS::IAM::Role",
                                "Properties": {"RoleName": "x", "AssumeRolePolicyDocument": {}},
                            }
                        }
                    }
                ),
                "Capabilities": ["CAPABILITY_IAM"],
            },
            "InsufficientCapabilitiesException",
            "Requires capabilities : [CAPABILITY_NAMED_IAM]",
        ),
        ({"TemplateBody": "x" * 51_201}, "ValidationError", "51200"),
    ]
    for kw, code, text in cases:
        with pytest.raises(ClientError) as e:
            cfn.create_stack(StackName=_name("bad"), **kw)
        err = e.value.response["Error"]
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, kw
        assert err["Code"] == code, (kw, err)
        assert text in err["Message"], (kw, err)
    name = _name()
    cfn.create_stack(
        StackName=name, TemplateBody=json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
    )
    with pytest.raises(ClientError) as e:
        cfn.create_stack(
            StackName=name,
            TemplateBody=json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}),
        )
    assert e.value.response["Error"]["Code"] == "AlreadyExistsException"
    wait(cfn, name)
    with pytest.raises(ClientError) as e:
        cfn.update_stack(StackName="no-such-stack-x", UsePreviousTemplate=True)
    assert e.value.response["Error"]["Message"] == "Stack with id no-such-stack-x does not exist"
    with pytest.raises(ClientError) as e:
        cfn.describe_stack_events(StackName="no-such-stack-x")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=True)
    with pytest.raises(ClientError) as e:
        cfn.delete_stack(StackName=name)
    assert "TerminationProtection" in e.value.response["Error"]["Message"]
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


def test_validate_and_summary(cfn: Any) -> None:
    tpl = {
        "Description": "demo",
        "Parameters": {
            "Env": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"},
            "Pw": {"Type": "String", "NoEcho": True},
        },
        "Resources": {
            "R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
            "Q": {"Type": "AWS::SQS::Queue"},
        },
    }
    v = cfn.validate_template(TemplateBody=json.dumps(tpl))
    assert v["Description"] == "demo"
    assert {p["ParameterKey"]: p["NoEcho"] for p in v["Parameters"]} == {"Env": False, "Pw": True}
    assert v["Capabilities"] == ["CAPABILITY_IAM"]
    s = cfn.get_template_summary(TemplateBody=json.dumps(tpl))
    assert s["ResourceTypes"] == ["AWS::IAM::Role", "AWS::SQS::Queue"]
    env = next(p for p in s["Parameters"] if p["ParameterKey"] == "Env")
    assert env["ParameterConstraints"]["AllowedValues"] == ["dev", "prod"]
    assert env["DefaultValue"] == "dev"
    sam = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
    }
    s = cfn.get_template_summary(TemplateBody=json.dumps(sam))
    assert s["DeclaredTransforms"] == ["AWS::Serverless-2016-10-31"]
    assert "CAPABILITY_AUTO_EXPAND" in s["Capabilities"]
    with pytest.raises(ClientError) as e:
        cfn.validate_template(TemplateBody="Resources: [")
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_paging_events(cfn: Any) -> None:
    name = _name("pg")
    tpl = {"Resources": {f"T{i}": {"Type": "AWS::SNS::Topic"} for i in range(55)}}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(tpl))
    wait(cfn, name)
    pages = list(cfn.get_paginator("describe_stack_events").paginate(StackName=name))
    events = [e for p in pages for e in p["StackEvents"]]
    assert len(pages) >= 2
    assert len(events) == 112  # 2 per topic and 2 for the stack
    assert len({e["EventId"] for e in events}) == 112
    stamps = [e["Timestamp"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


def test_on_failure_delete_and_delete_during_create(cfn: Any, sqs: Any) -> None:
    name = _name("ofd")
    bad = {
        "Resources": {
            "Good": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{name}-good"}},
            "Bad": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": "Good",
                "Properties": {"DelaySeconds": 100000},
            },
        }
    }
    sid = cfn.create_stack(StackName=name, TemplateBody=json.dumps(bad), OnFailure="DELETE")[
        "StackId"
    ]
    wait(cfn, name, "stack_delete_complete")
    assert cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert queue_names(sqs, name) == []
    # a DeleteStack while the create runs: the delete follows it
    name = _name("dd")
    tpl = {"Resources": {f"Q{i}": {"Type": "AWS::SQS::Queue"} for i in range(10)}}
    sid = cfn.create_stack(StackName=name, TemplateBody=json.dumps(tpl))["StackId"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    assert cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert queue_names(sqs, name) == []


def test_use_previous_values_and_replace_retain(cfn: Any, sns: Any) -> None:
    name = _name("prev")
    tpl = {
        "Parameters": {"A": {"Type": "String"}, "B": {"Type": "String", "Default": "b"}},
        "Resources": {
            "T": {
                "Type": "AWS::SNS::Topic",
                "UpdateReplacePolicy": "Retain",
                "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-${A}"}},
            }
        },
        "Outputs": {"Arn": {"Value": {"Ref": "T"}}},
    }
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(tpl),
        Parameters=[{"ParameterKey": "A", "ParameterValue": "one"}],
    )
    first = wait(cfn, name)["Outputs"][0]["OutputValue"]
    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": "A", "ParameterValue": "two"},
            {"ParameterKey": "B", "UsePreviousValue": True},
        ],
    )
    s = wait(cfn, name, "stack_update_complete")
    params = {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}
    assert params == {"A": "two", "B": "b"}
    second = s["Outputs"][0]["OutputValue"]
    assert second.endswith(f"{name}-two")
    topics = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    assert {first, second} <= topics  # the replaced topic is retained
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    sns.delete_topic(TopicArn=first)


def test_a_new_stack_name_is_checked_as_aws_checks_it(cfn: Any) -> None:
    for bad in ("1 bad", "under_score", "x" * 129):
        with pytest.raises(ClientError) as e:
            cfn.create_stack(StackName=bad, TemplateBody=json.dumps(QUEUE_AND_TOPIC))
        assert e.value.response["Error"]["Code"] == "ValidationError"
        assert "failed to satisfy constraint" in e.value.response["Error"]["Message"]
        with pytest.raises(ClientError):
            cfn.describe_stacks(StackName=bad)  # nothing was made
