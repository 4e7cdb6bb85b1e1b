"""expand (template/transform.py, template/sam.py): the SAM transform through
aws-sam-translator for each event type and feature this server serves, the refusals naming
the missing service, and no network call."""

from __future__ import annotations

from typing import Any

import pytest

from ovis.services.cloudformation.template import (
    Context,
    TemplateError,
    expand,
    parse_template,
    plan,
    resolve_parameters,
    transforms,
)

HEADER = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/code.zip
"""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any boto3/botocore client the translator made would be a network call: fail it."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the SAM transform must not create AWS clients")

    monkeypatch.setattr("botocore.session.Session.create_client", refuse)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)


def _expand(body: str, parameters: dict[str, str] | None = None) -> dict[str, Any]:
    doc = parse_template(body)
    return expand(
        doc,
        stack_name="app",
        region="eu-west-1",
        account_id="123456789012",
        parameters=parameters or {},
    )


def _with_events(events: str, extra: str = "") -> dict[str, Any]:
    indented = "\n".join("        " + line for line in events.strip("\n").splitlines())
    return _expand(HEADER + "      Events:\n" + indented + "\n" + extra)


def _types(out: dict[str, Any]) -> dict[str, str]:
    return {name: body["Type"] for name, body in out["Resources"].items()}


def _planned(out: dict[str, Any]) -> None:
    """What the transform made must pass our own validation, as on AWS."""
    values = resolve_parameters(out, {}, {})
    plan(out, Context("app", "arn:stack", "eu-west-1", "123456789012", values))


def test_function_role_and_managed_policies() -> None:
    out = _expand(HEADER + "      Policies: [AWSLambdaBasicExecutionRole, AmazonSQSFullAccess]\n")
    assert "Transform" not in out
    assert _types(out) == {"Fn": "AWS::Lambda::Function", "FnRole": "AWS::IAM::Role"}
    fn = out["Resources"]["Fn"]["Properties"]
    assert fn["Code"] == {"S3Bucket": "bucket", "S3Key": "code.zip"}
    assert fn["Role"] == {"Fn::GetAtt": ["FnRole", "Arn"]}
    arns = out["Resources"]["FnRole"]["Properties"]["ManagedPolicyArns"]
    assert arns == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
    ]
    _planned(out)


def test_policy_templates_and_inline_statements() -> None:
    out = _expand(
        HEADER
        + "      Policies:\n"
        + "        - SQSSendMessagePolicy: {QueueName: q1}\n"
        + "        - Statement: [{Effect: Allow, Action: s3:GetObject, Resource: '*'}]\n"
    )
    policies = out["Resources"]["FnRole"]["Properties"]["Policies"]
    assert [p["PolicyName"] for p in policies] == ["FnRolePolicy0", "FnRolePolicy1"]
    sqs = policies[0]["PolicyDocument"]["Statement"][0]
    assert sqs["Action"] == ["sqs:SendMessage*"]
    assert policies[1]["PolicyDocument"]["Statement"][0]["Action"] == "s3:GetObject"


def test_globals_apply_to_functions() -> None:
    body = HEADER.replace(
        "Resources:",
        "Globals:\n  Function:\n    Timeout: 12\n    MemorySize: 256\n"
        "    Environment: {Variables: {STAGE: test}}\nResources:",
    )
    fn = _expand(body)["Resources"]["Fn"]["Properties"]
    assert fn["Timeout"] == 12 and fn["MemorySize"] == 256
    assert fn["Environment"] == {"Variables": {"STAGE": "test"}}


def test_auto_publish_alias_and_function_url() -> None:
    out = _expand(
        HEADER + "      AutoPublishAlias: live\n      FunctionUrlConfig: {AuthType: NONE}\n"
    )
    types = _types(out)
    version = next(name for name, t in types.items() if t == "AWS::Lambda::Version")
    assert types["FnAliaslive"] == "AWS::Lambda::Alias"
    alias = out["Resources"]["FnAliaslive"]["Properties"]
    assert alias["Name"] == "live"
    assert alias["FunctionVersion"] == {"Fn::GetAtt": [version, "Version"]}
    assert out["Resources"]["FnUrl"]["Properties"] == {
        "TargetFunctionArn": {"Ref": "FnAliaslive"},
        "AuthType": "NONE",
    }
    permissions = [n for n, t in types.items() if t == "AWS::Lambda::Permission"]
    assert permissions and all(
        out["Resources"][n]["Properties"]["FunctionName"] == {"Ref": "FnAliaslive"}
        for n in permissions
    )
    _planned(out)


def test_alias_from_a_parameter() -> None:
    body = HEADER.replace(
        "Resources:", "Parameters:\n  Stage: {Type: String, Default: blue}\nResources:"
    )
    out = _expand(body + "      AutoPublishAlias: !Ref Stage\n", {"Stage": "green"})
    assert out["Resources"]["FnAliasgreen"]["Properties"]["Name"] == "green"


def test_layers() -> None:
    out = _expand(
        HEADER
        + "      Layers: [!Ref Deps]\n"
        + "  Deps:\n    Type: AWS::Serverless::LayerVersion\n"
        + "    Properties: {ContentUri: s3://bucket/layer.zip, CompatibleRuntimes: [python3.12]}\n"
    )
    types = _types(out)
    layer = next(name for name, t in types.items() if t == "AWS::Lambda::LayerVersion")
    assert layer.startswith("Deps")
    assert out["Resources"][layer]["Properties"]["Content"] == {
        "S3Bucket": "bucket",
        "S3Key": "layer.zip",
    }
    assert out["Resources"]["Fn"]["Properties"]["Layers"] == [{"Ref": layer}]
    _planned(out)


def test_sqs_event() -> None:
    out = _with_events(
        "Jobs: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn, BatchSize: 5}}",
        "  Queue: {Type: AWS::SQS::Queue}\n",
    )
    mapping = out["Resources"]["FnJobs"]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Properties"] == {
        "BatchSize": 5,
        "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
        "FunctionName": {"Ref": "Fn"},
    }
    arns = out["Resources"]["FnRole"]["Properties"]["ManagedPolicyArns"]
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole" in arns
    _planned(out)


def test_kinesis_event() -> None:
    out = _with_events(
        "Feed: {Type: Kinesis, Properties: {Stream: !GetAtt Stream.Arn, StartingPosition: LATEST}}",
        "  Stream: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}\n",
    )
    mapping = out["Resources"]["FnFeed"]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Properties"]["StartingPosition"] == "LATEST"
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["Stream", "Arn"]}
    arns = out["Resources"]["FnRole"]["Properties"]["ManagedPolicyArns"]
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole" in arns
    _planned(out)


def test_sns_event() -> None:
    out = _with_events(
        "Note: {Type: SNS, Properties: {Topic: !Ref Topic}}", "  Topic: {Type: AWS::SNS::Topic}\n"
    )
    sub = out["Resources"]["FnNote"]
    assert sub["Type"] == "AWS::SNS::Subscription"
    assert sub["Properties"]["Protocol"] == "lambda"
    assert sub["Properties"]["TopicArn"] == {"Ref": "Topic"}
    assert sub["Properties"]["Endpoint"] == {"Fn::GetAtt": ["Fn", "Arn"]}
    perm = out["Resources"]["FnNotePermission"]
    assert perm["Type"] == "AWS::Lambda::Permission"
    assert perm["Properties"]["Principal"] == "sns.amazonaws.com"
    assert perm["Properties"]["SourceArn"] == {"Ref": "Topic"}
    _planned(out)


def test_event_bridge_rule_event() -> None:
    out = _with_events("Bus: {Type: EventBridgeRule, Properties: {Pattern: {source: [my.app]}}}")
    rule = out["Resources"]["FnBus"]
    assert rule["Type"] == "AWS::Events::Rule"
    assert rule["Properties"]["EventPattern"] == {"source": ["my.app"]}
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": ["Fn", "Arn"]}
    perm = out["Resources"]["FnBusPermission"]["Properties"]
    assert perm["Principal"] == "events.amazonaws.com"
    assert perm["SourceArn"] == {"Fn::GetAtt": ["FnBus", "Arn"]}
    _planned(out)


def test_schedule_event() -> None:
    out = _with_events("Tick: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}")
    rule = out["Resources"]["FnTick"]
    assert rule["Type"] == "AWS::Events::Rule"
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert out["Resources"]["FnTickPermission"]["Properties"]["Principal"] == "events.amazonaws.com"
    _planned(out)


def test_schedule_v2_event() -> None:
    out = _with_events(
        "Tock: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(5 minutes)}}"
    )
    schedule = out["Resources"]["FnTock"]
    assert schedule["Type"] == "AWS::Scheduler::Schedule"
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert props["Target"]["Arn"] == {"Fn::GetAtt": ["Fn", "Arn"]}
    assert props["Target"]["RoleArn"] == {"Fn::GetAtt": ["FnTockRole", "Arn"]}
    role = out["Resources"]["FnTockRole"]
    assert role["Type"] == "AWS::IAM::Role"
    principal = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": ["scheduler.amazonaws.com"]}
    _planned(out)


def test_s3_event_needs_the_bucket_in_the_template() -> None:
    out = _with_events(
        "Up: {Type: S3, Properties: {Bucket: !Ref Uploads, Events: 's3:ObjectCreated:*'}}",
        "  Uploads: {Type: AWS::S3::Bucket}\n",
    )
    bucket = out["Resources"]["Uploads"]
    assert bucket["DependsOn"] == ["FnUpPermission"]
    assert bucket["Properties"]["NotificationConfiguration"] == {
        "LambdaConfigurations": [
            {"Function": {"Fn::GetAtt": ["Fn", "Arn"]}, "Event": "s3:ObjectCreated:*"}
        ]
    }
    perm = out["Resources"]["FnUpPermission"]["Properties"]
    assert perm["Principal"] == "s3.amazonaws.com"
    _planned(out)
    with pytest.raises(
        TemplateError, match=r"S3 events must reference an S3 bucket in the same template"
    ):
        _with_events(
            "Up: {Type: S3, Properties: {Bucket: other-bucket, Events: 's3:ObjectCreated:*'}}"
        )


@pytest.mark.parametrize(
    ("events", "service"),
    [
        ("Web: {Type: Api, Properties: {Path: /, Method: get}}", "API Gateway"),
        ("Web: {Type: HttpApi}", "API Gateway"),
        (
            "T: {Type: DynamoDB, Properties: {Stream: arn, StartingPosition: LATEST}}",
            "DynamoDB Streams",
        ),
        (
            "L: {Type: CloudWatchLogs, Properties: {LogGroupName: g, FilterPattern: ''}}",
            "CloudWatch Logs subscription filters",
        ),
    ],
)
def test_events_needing_missing_services_refused(events: str, service: str) -> None:
    with pytest.raises(TemplateError) as info:
        _with_events(events)
    message = info.value.message
    assert message.startswith(
        "Transform AWS::Serverless-2016-10-31 failed with: Resource with id [Fn]"
    )
    assert f"needs {service}, which this server does not serve" in message


def test_serverless_api_and_http_api_refused() -> None:
    for type_name in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
        body = HEADER + f"  Web:\n    Type: {type_name}\n    Properties: {{StageName: prod}}\n"
        with pytest.raises(TemplateError, match=r"\[Web\] is invalid. Type .* needs API Gateway"):
            _expand(body)


def test_deployment_preference_refused() -> None:
    with pytest.raises(TemplateError, match="DeploymentPreference needs CodeDeploy"):
        _expand(
            HEADER + "      AutoPublishAlias: live\n      DeploymentPreference: {Type: AllAtOnce}\n"
        )
    body = HEADER.replace(
        "Resources:",
        "Globals:\n  Function:\n    DeploymentPreference: {Type: AllAtOnce}\nResources:",
    )
    with pytest.raises(
        TemplateError, match=r"Globals\.Function\.DeploymentPreference needs CodeDeploy"
    ):
        _expand(body)


def test_translator_errors_are_validation_errors() -> None:
    with pytest.raises(TemplateError) as info:
        _expand(HEADER.replace("CodeUri: s3://bucket/code.zip", "CodeUri: ./src"))
    message = info.value.message
    assert message.startswith(
        "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application"
        " Specification document. Number of errors found: 1."
    )
    assert "Resource with id [Fn] is invalid" in message
    assert info.value.code == "ValidationError"


def test_expand_does_not_change_its_input() -> None:
    doc = parse_template(HEADER + "      AutoPublishAlias: live\n")
    before = repr(doc)
    expand(doc, stack_name="app", region="eu-west-1", account_id="1", parameters={})
    assert repr(doc) == before


def test_no_transform_is_returned_as_is() -> None:
    doc = parse_template("Resources: {A: {Type: AWS::SQS::Queue}}")
    assert expand(doc, stack_name="s", region="r", account_id="1", parameters={}) is doc


def test_transform_list_form() -> None:
    out = _expand(
        HEADER.replace(
            "Transform: AWS::Serverless-2016-10-31", "Transform: [AWS::Serverless-2016-10-31]"
        )
    )
    assert _types(out)["Fn"] == "AWS::Lambda::Function"
    assert transforms({"Transform": ["A", {"Name": "AWS::Include", "Parameters": {}}]}) == [
        "A",
        "AWS::Include",
    ]


def test_other_transforms_refused() -> None:
    with pytest.raises(TemplateError) as info:
        _expand(HEADER.replace("AWS::Serverless-2016-10-31", "MyMacro"))
    assert info.value.message == "No transform named 123456789012::MyMacro found."
    with pytest.raises(
        TemplateError, match=r"Transform AWS::LanguageExtensions failed: .*not supported"
    ):
        _expand(
            HEADER.replace(
                "Transform: AWS::Serverless-2016-10-31",
                "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]",
            )
        )


QUEUE_APP = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: >
  Queue processing: a producer function behind a URL puts orders on a queue, a consumer
  function drains it in batches, failures go to a dead-letter queue.
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  BatchSize:
    Type: Number
    Default: 10
    MinValue: 1
    MaxValue: 10000
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Runtime: python3.12
    MemorySize: 128
    Timeout: 15
    Environment:
      Variables:
        QUEUE_URL: !Ref OrdersQueue
        STAGE: !Ref Stage
Resources:
  OrdersDeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
  OrdersQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 90
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt OrdersDeadLetterQueue.Arn
        maxReceiveCount: 3
  ProducerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: producer.handler
      InlineCode: |
        import os, boto3
        def handler(event, context):
            boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="x")
      FunctionUrlConfig:
        AuthType: NONE
      Policies:
        - SQSSendMessagePolicy:
            QueueName: !GetAtt OrdersQueue.QueueName
  ConsumerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: consumer.handler
      CodeUri: s3://artifacts/consumer.zip
      AutoPublishAlias: !Ref Stage
      ReservedConcurrentExecutions: !If [IsProd, 10, !Ref AWS::NoValue]
      Events:
        Orders:
          Type: SQS
          Properties:
            Queue: !GetAtt OrdersQueue.Arn
            BatchSize: !Ref BatchSize
            FunctionResponseTypes: [ReportBatchItemFailures]
Outputs:
  ProducerUrl:
    Value: !GetAtt ProducerFunctionUrl.FunctionUrl
  ConsumerArn:
    Value: !GetAtt ConsumerFunction.Arn
    Export:
      Name: !Sub "${AWS::StackName}-consumer"
  QueueUrl:
    Value: !Ref OrdersQueue
"""


class _Made:
    """A stand-in for the engine's made resources: records the order they are asked for."""

    def __init__(self) -> None:
        self.done: set[str] = set()

    def ref(self, logical_id: str) -> str:
        assert logical_id in self.done, f"{logical_id} referred to before it was made"
        return f"{logical_id}-id"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        assert logical_id in self.done, f"{logical_id} referred to before it was made"
        return f"{logical_id}.{attribute}"


def test_queue_processing_app_through_the_whole_pipeline() -> None:
    from ovis.services.cloudformation.template import declared_parameters, resolve

    doc = parse_template(QUEUE_APP)
    given: dict[str, str | None] = {"Stage": "prod", "BatchSize": "25"}
    values = resolve_parameters(doc, given, {})
    out = expand(
        doc, stack_name="orders", region="eu-west-1", account_id="123456789012", parameters=values
    )
    ctx = Context(
        "orders",
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/orders/1",
        "eu-west-1",
        "123456789012",
        values,
        {p.name: p.type for p in declared_parameters(doc)},
    )
    p = plan(out, ctx)
    made = _Made()
    props: dict[str, Any] = {}
    while len(made.done) < len(p.resources):
        batch = p.ready(made.done)
        assert batch, "the plan must always have a next resource"
        for logical_id in batch:
            props[logical_id] = resolve(p.resources[logical_id].properties, ctx, p, made)
        made.done.update(batch)
    consumer = props["ConsumerFunction"]
    assert consumer["ReservedConcurrentExecutions"] == 10
    assert consumer["Environment"] == {
        "Variables": {"QUEUE_URL": "OrdersQueue-id", "STAGE": "prod"}
    }
    assert consumer["Role"] == "ConsumerFunctionRole.Arn"
    assert props["ProducerFunction"]["Code"]["ZipFile"].startswith("import os, boto3")
    mapping = props["ConsumerFunctionOrders"]
    assert mapping == {
        "BatchSize": "25",
        "EventSourceArn": "OrdersQueue.Arn",
        "FunctionName": "ConsumerFunctionAliasprod-id",
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    assert (
        props["OrdersQueue"]["RedrivePolicy"]["deadLetterTargetArn"] == "OrdersDeadLetterQueue.Arn"
    )
    outputs = {name: resolve(o.value, ctx, p, made) for name, o in p.outputs.items()}
    assert outputs == {
        "ProducerUrl": "ProducerFunctionUrl.FunctionUrl",
        "ConsumerArn": "ConsumerFunction.Arn",
        "QueueUrl": "OrdersQueue-id",
    }
    assert resolve(p.outputs["ConsumerArn"].export_name, ctx, p, made) == "orders-consumer"
