"""The AWS::LanguageExtensions transform (template/language.py) and the functions it adds to
the evaluator: Fn::ForEach (nested, over a list or a list parameter), Fn::Length,
Fn::ToJsonString, Fn::FindInMap's DefaultValue, parameter-driven DeletionPolicy; and the SAM
transform after it."""

from __future__ import annotations

from typing import Any

import pytest

from ovis.services.cloudformation.template import (
    Context,
    TemplateError,
    declared_parameters,
    expand,
    parse_template,
    plan,
    resolve,
    resolve_parameters,
)

TEMPLATE = """
Transform: AWS::LanguageExtensions
Parameters:
  Topics: {Type: CommaDelimitedList, Default: "orders,pay-ments"}
  Keep: {Type: String, Default: Retain}
Mappings:
  Sizes: {dev: {Delay: "1"}}
Conditions:
  HasTopics: !Not [!Equals [{Fn::Length: !Ref Topics}, 0]]
Resources:
  Fn::ForEach::Topics:
    - Name
    - !Ref Topics
    - Topic&{Name}:
        Type: AWS::SNS::Topic
        DeletionPolicy: !Ref Keep
        Properties:
          TopicName: !Sub "${AWS::StackName}-${Name}"
          DisplayName: !Ref Name
  Fn::ForEach::Queues:
    - Env
    - [dev, prod]
    - Fn::ForEach::Kinds:
        - Kind
        - [jobs, dlq]
        - ${Env}${Kind}:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: !Sub "${Env}-${Kind}"
              DelaySeconds: !FindInMap [Sizes, !Ref Env, Delay, {DefaultValue: "0"}]
  Config:
    Type: AWS::SSM::Parameter
    Properties:
      Value: !ToJsonString {topics: !Ref Topics, count: {Fn::Length: !Ref Topics}, queue: !Ref devjobs}
Outputs:
  Fn::ForEach::Out:
    - Name
    - [orders]
    - ${Name}Arn:
        Value: !Ref Topicorders
"""


class Lookup:
    def ref(self, logical_id: str) -> str:
        return f"{logical_id}-id"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        return f"{logical_id}.{attribute}"


def _expand(
    body: str, given: dict[str, str | None] | None = None
) -> tuple[dict[str, Any], Context]:
    doc = parse_template(body)
    values = resolve_parameters(doc, given or {}, {})
    out = expand(doc, stack_name="app", region="us-east-1", account_id="1", parameters=values)
    types = {p.name: p.type for p in declared_parameters(doc)}
    return out, Context("app", "arn:stack", "us-east-1", "1", values, types)


def test_for_each_expands_resources_and_outputs() -> None:
    out, ctx = _expand(TEMPLATE)
    assert "Transform" not in out
    assert list(out["Resources"]) == [
        "Topicorders",
        "Topicpayments",
        "devjobs",
        "devdlq",
        "prodjobs",
        "proddlq",
        "Config",
    ]
    topic = out["Resources"]["Topicpayments"]
    assert topic["DeletionPolicy"] == "Retain"
    assert topic["Properties"] == {
        "TopicName": {"Fn::Sub": "${AWS::StackName}-pay-ments"},
        "DisplayName": "pay-ments",
    }
    assert out["Resources"]["prodjobs"]["Properties"]["QueueName"] == {"Fn::Sub": "prod-jobs"}
    assert list(out["Outputs"]) == ["ordersArn"]
    p = plan(out, ctx)
    assert p.conditions == {"HasTopics": True}
    props = {name: resolve(decl.properties, ctx, p, Lookup()) for name, decl in p.resources.items()}
    assert props["Topicorders"]["TopicName"] == "app-orders"
    assert props["devdlq"]["DelaySeconds"] == "1"
    assert props["proddlq"]["DelaySeconds"] == "0"  # the DefaultValue
    assert (
        props["Config"]["Value"]
        == '{"topics":["orders","pay-ments"],"count":2,"queue":"devjobs-id"}'
    )
    assert resolve(p.outputs["ordersArn"].value, ctx, p, Lookup()) == "Topicorders-id"


def test_for_each_over_a_parameter_given_at_deploy() -> None:
    out, ctx = _expand(TEMPLATE, {"Topics": "orders, a.b"})
    assert [n for n in out["Resources"] if n.startswith("Topic")] == ["Topicorders", "Topicab"]
    assert plan(out, ctx).conditions == {"HasTopics": True}


def test_input_unchanged() -> None:
    doc = parse_template(TEMPLATE)
    before = repr(doc)
    expand(
        doc,
        stack_name="s",
        region="r",
        account_id="1",
        parameters={"Topics": "x", "Keep": "Delete"},
    )
    assert repr(doc) == before


def test_then_sam() -> None:
    body = """
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Resources:
  Fn::ForEach::Functions:
    - Name
    - [A, B]
    - Fn${Name}:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: app.handler
          InlineCode: "def handler(e, c): return '${Name}'"
"""
    out, _ = _expand(body)
    types = {n: r["Type"] for n, r in out["Resources"].items()}
    assert types == {
        "FnA": "AWS::Lambda::Function",
        "FnARole": "AWS::IAM::Role",
        "FnB": "AWS::Lambda::Function",
        "FnBRole": "AWS::IAM::Role",
    }
    assert out["Resources"]["FnB"]["Properties"]["Code"] == {
        "ZipFile": "def handler(e, c): return 'B'"
    }


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            "Fn::ForEach::L: [X, [a]]",
            "Fn::ForEach::L requires a list of three: an identifier, a collection and a fragment",
        ),
        (
            "Fn::ForEach::L: [X, !Ref Nope, {'A${X}': {Type: T}}]",
            "Fn::ForEach::L requires a list or a Ref to a list parameter",
        ),
        (
            "Fn::ForEach::L: [X, [a, a], {'A${X}': {Type: T}}]",
            "Fn::ForEach::L produced the key Aa twice",
        ),
        (
            "Fn::ForEach::L: [X, [a, b], {Fixed: {Type: T}}]",
            "Fn::ForEach::L produced the key Fixed twice",
        ),
        (
            "A: {Type: T, DeletionPolicy: !Ref Nope}",
            "DeletionPolicy may refer only to a parameter (got Nope)",
        ),
    ],
)
def test_errors(resources: str, message: str) -> None:
    body = f"Transform: AWS::LanguageExtensions\nResources:\n  {resources}\n"
    with pytest.raises(TemplateError) as info:
        _expand(body)
    assert info.value.message == f"Transform AWS::LanguageExtensions failed with: {message}"


def test_length_and_to_json_string_errors() -> None:
    out, ctx = _expand(
        "Resources: {A: {Type: T, Properties: {N: !Length abc, J: !ToJsonString x}}}"
    )
    p = plan(out, ctx)
    with pytest.raises(TemplateError, match="Fn::Length requires a list"):
        resolve({"Fn::Length": "abc"}, ctx, p, Lookup())
    with pytest.raises(TemplateError, match="Fn::ToJsonString requires an object or a list"):
        resolve({"Fn::ToJsonString": "x"}, ctx, p, Lookup())
