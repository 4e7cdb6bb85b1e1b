"""plan and validate_template (template/plan.py, conditions.py, graph.py): the whole
template's validation with AWS's messages, conditions applied once, dependencies, cycles and
a creation order usable for concurrent creation."""

from __future__ import annotations

from typing import Any

import pytest

from ovis.services.cloudformation.template import (
    Context,
    Plan,
    TemplateError,
    parse_template,
    plan,
    resolve_parameters,
    topological_order,
    validate_template,
)


def _ctx(doc: dict[str, Any], given: dict[str, str | None] | None = None) -> Context:
    values = resolve_parameters(doc, given or {}, {})
    return Context("app", "arn:stack", "us-east-1", "123456789012", values)


def _plan(body: str, given: dict[str, str | None] | None = None) -> Plan:
    doc = parse_template(body)
    return plan(doc, _ctx(doc, given))


def _refused(body: str, given: dict[str, str | None] | None = None) -> str:
    with pytest.raises(TemplateError) as info:
        _plan(body, given)
    return info.value.message


APP = """
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Role: {Type: AWS::IAM::Role}
  Queue:
    Type: AWS::SQS::Queue
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Metadata: {Note: kept}
  Alarm:
    Type: AWS::SNS::Topic
    Condition: IsProd
  Fn:
    Type: AWS::Lambda::Function
    DependsOn: Role
    Properties:
      Role: !GetAtt Role.Arn
      Env: !Sub "${Queue}"
      Topic: !If [IsProd, !Ref Alarm, !Ref AWS::NoValue]
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      EventSourceArn: !GetAtt Queue.Arn
Outputs:
  QueueUrl:
    Value: !Ref Queue
    Description: the queue
    Export: {Name: !Sub "${AWS::StackName}-queue"}
  AlarmArn:
    Condition: IsProd
    Value: !Ref Alarm
"""


def test_plan_of_a_template() -> None:
    p = _plan(APP)
    assert list(p.resources) == ["Role", "Queue", "Fn", "Mapping"]
    fn = p.resources["Fn"]
    assert fn.type == "AWS::Lambda::Function"
    assert fn.depends_on == frozenset({"Role", "Queue"})
    assert fn.properties["Env"] == {"Fn::Sub": "${Queue}"}  # unresolved
    assert p.resources["Mapping"].depends_on == frozenset({"Fn", "Queue"})
    queue = p.resources["Queue"]
    assert queue.deletion_policy == "Retain" and queue.update_replace_policy == "Retain"
    assert queue.metadata == {"Note": "kept"} and queue.properties == {}
    assert p.resources["Role"].deletion_policy == "Delete"
    assert p.conditions == {"IsProd": False}
    assert list(p.outputs) == ["QueueUrl"]
    out = p.outputs["QueueUrl"]
    assert out.value == {"Ref": "Queue"} and out.description == "the queue"
    assert out.export_name == {"Fn::Sub": "${AWS::StackName}-queue"}
    assert out.depends_on == frozenset({"Queue"})


def test_condition_includes_resources_and_outputs() -> None:
    p = _plan(APP, {"Env": "prod"})
    assert list(p.resources) == ["Role", "Queue", "Alarm", "Fn", "Mapping"]
    assert p.resources["Alarm"].condition == "IsProd"
    assert p.resources["Fn"].depends_on == frozenset({"Role", "Queue", "Alarm"})
    assert list(p.outputs) == ["QueueUrl", "AlarmArn"]


def test_order_and_ready_allow_concurrent_creation() -> None:
    p = _plan(APP, {"Env": "prod"})
    order = list(p.order)
    assert set(order) == set(p.resources)
    for name, decl in p.resources.items():
        assert all(order.index(d) < order.index(name) for d in decl.depends_on)
    assert p.ready(()) == ["Role", "Queue", "Alarm"]
    assert p.ready({"Role"}, started={"Queue"}) == ["Alarm"]
    assert p.ready({"Role", "Queue", "Alarm"}) == ["Fn"]
    assert p.ready({"Role", "Queue", "Alarm", "Fn"}) == ["Mapping"]
    assert p.ready(set(p.resources)) == []
    assert p.dependents("Queue") == {"Fn", "Mapping"}


def test_reference_to_a_resource_whose_condition_is_false() -> None:
    body = APP.replace("Topic: !If [IsProd, !Ref Alarm, !Ref AWS::NoValue]", "Topic: !Ref Alarm")
    assert _refused(body) == (
        "Template format error: Unresolved resource dependencies [Alarm] in the Resources"
        " block of the template"
    )
    assert "Alarm" in _plan(body, {"Env": "prod"}).resources


def test_output_referring_to_an_excluded_resource() -> None:
    body = APP.replace("    Condition: IsProd\n    Value: !Ref Alarm", "    Value: !Ref Alarm")
    assert _refused(body) == (
        "Template format error: Unresolved resource dependencies [Alarm] in the Outputs block"
        " of the template"
    )


@pytest.mark.parametrize(
    "props",
    ["X: !Ref Nope", "X: !GetAtt Nope.Arn", "X: !Sub '${Nope}'", "X: !Sub '${Nope.Arn}'"],
)
def test_unresolved_references(props: str) -> None:
    body = f"Resources:\n  A:\n    Type: T\n    Properties:\n      {props}\n"
    assert _refused(body) == (
        "Template format error: Unresolved resource dependencies [Nope] in the Resources block"
        " of the template"
    )


def test_depends_on_an_unknown_resource() -> None:
    body = "Resources:\n  A: {Type: T, DependsOn: [B, Ghost]}\n  B: {Type: T}\n"
    assert "Unresolved resource dependencies [Ghost]" in _refused(body)


def test_get_att_of_a_parameter() -> None:
    body = "Parameters: {P: {Type: String, Default: x}}\nResources:\n  A: {Type: T, Properties: {X: !GetAtt P.Arn}}\n"
    assert (
        _refused(body) == "Template error: instance of Fn::GetAtt references undefined resource P"
    )


def test_circular_dependency() -> None:
    body = """
Resources:
  A: {Type: T, Properties: {X: !Ref B}}
  B: {Type: T, Properties: {X: !GetAtt C.Arn}}
  C: {Type: T, DependsOn: A}
  D: {Type: T, Properties: {X: !Ref A}}
  E: {Type: T}
"""
    assert _refused(body) == "Circular dependency between resources: [A, B, C]"


def test_self_reference_is_circular() -> None:
    assert _refused("Resources:\n  A: {Type: T, Properties: {X: !Ref A}}\n") == (
        "Circular dependency between resources: [A]"
    )


def test_topological_order_keeps_template_order_for_ties() -> None:
    deps = {"C": frozenset(), "B": frozenset({"C"}), "A": frozenset()}
    assert topological_order(deps) == ["C", "A", "B"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Description: x\n",
            "Template format error: At least one Resources member must be defined.",
        ),
        (
            "Resources: {}\n",
            "Template format error: At least one Resources member must be defined.",
        ),
        ("Resources: [a]\n", "Template format error: Resources section must be a JSON/YAML object"),
        (
            "Resource: {A: {Type: T}}\nResources: {A: {Type: T}}\n",
            "Template format error: Invalid template property or properties [Resource]",
        ),
        (
            "AWSTemplateFormatVersion: '2011-01-01'\nResources: {A: {Type: T}}\n",
            "Template format error: 2011-01-01 is not a supported value for AWSTemplateFormatVersion.",
        ),
        (
            "Resources: {A-b: {Type: T}}\n",
            "Template format error: Resource name A-b is non alphanumeric.",
        ),
        ("Resources: {A: x}\n", "Template format error: Every Resources member must be an object."),
        (
            "Resources: {A: {Properties: {}}}\n",
            "Template format error: Every Resources object must contain a Type member.",
        ),
        (
            "Resources: {A: {Type: T, Propertie: {}}}\n",
            "Invalid template resource property 'Propertie'",
        ),
        (
            "Resources: {A: {Type: T, Properties: [1]}}\n",
            "Template format error: [/Resources/A/Properties] must be a JSON/YAML object",
        ),
        (
            "Resources: {A: {Type: T, DeletionPolicy: Keep}}\n",
            "Template format error: Unrecognized DeletionPolicy Keep for resource A",
        ),
        (
            "Resources: {A: {Type: T, Condition: Nope}}\n",
            "Template format error: Unresolved condition dependency Nope in resource A",
        ),
        (
            "Resources: {A: {Type: T, Properties: {X: !If [Nope, 1, 2]}}}\n",
            "Template error: unresolved condition dependency Nope in Fn::If",
        ),
        (
            "Resources: {A: {Type: T, Properties: {X: {'Fn::If': [{Ref: C}, 1, 2]}}}}\n",
            "Template error: Fn::If requires a list argument with the first element being a condition",
        ),
        (
            "Resources: {A: {Type: T, Properties: {X: {'Fn::Foo': 1}}}}\n",
            "Template error: Encountered unsupported function: Fn::Foo Supported functions are: [Fn::And, Fn::Base64, Fn::Cidr, Fn::Equals, Fn::FindInMap, Fn::GetAZs, Fn::GetAtt, Fn::If, Fn::ImportValue, Fn::Join, Fn::Not, Fn::Or, Fn::Select, Fn::Split, Fn::Sub]",
        ),
        (
            "Resources: {A: {Type: T}}\nOutputs: {O: {Description: d}}\n",
            "Template format error: Every Outputs member must contain a Value object",
        ),
        (
            "Resources: {A: {Type: T}}\nOutputs: {O-1: {Value: v}}\n",
            "Template format error: Output name O-1 is non alphanumeric.",
        ),
        (
            "Resources: {A: {Type: T}}\nOutputs: {O: {Value: v, Export: {Nam: x}}}\n",
            "Template format error: Output O is malformed. Export must contain a Name.",
        ),
        (
            "Resources: {A: {Type: T}}\nOutputs: {O: {Value: v, Exports: x}}\n",
            "Template format error: Invalid outputs property : [Exports]",
        ),
        (
            "Resources: {A: {Type: T}}\nMappings: {M: {K: v}}\n",
            "Template format error: Mappings attribute M.K must be a JSON/YAML object of names to values",
        ),
        (
            "Resources: {A: {Type: T}}\nRules: {R: {Assertions: []}}\n",
            "Template format error: Rule R: Assertions must be a non-empty list",
        ),
        (
            "Parameters: {A: {Type: String, Default: x}}\nResources: {A: {Type: T}}\n",
            "Template error: all resources and parameters must have unique names. Common"
            " name(s):[A]",
        ),
        (
            "Resources: {A: {Type: T}}\nMappings: {M: {K: {V: !Ref AWS::Region}}}\n",
            "Template format error: Every Mappings attribute must be a String or a List.",
        ),
        (
            "Resources: {A: {Type: T}}\nMappings: {M: {K: {V: [a, {b: c}]}}}\n",
            "Template format error: Every Mappings attribute must be a String or a List.",
        ),
        (
            "Resources: {A: {Type: T, Properties: {P: '{{resolve:ssm:/db/host}}'}}}\n",
            "Template format error: resource A uses a dynamic reference ({{resolve:ssm:/db/host}})"
            " that cannot be resolved: SSM Parameter Store is not served by this server",
        ),
        (
            "Resources: {A: {Type: T, Properties: {P: ['x{{resolve:secretsmanager:s:SecretString:pw}}']}}}\n",
            "Template format error: resource A uses a dynamic reference"
            " ({{resolve:secretsmanager:s:SecretString:pw}}) that cannot be resolved: Secrets"
            " Manager is not served by this server",
        ),
        (
            "Description: 3\nResources: {A: {Type: T}}\n",
            "Template format error: Description must be a string",
        ),
    ],
)
def test_template_format_errors(body: str, message: str) -> None:
    assert _refused(body) == message


def test_limits() -> None:
    resources = "\n".join(f"  R{i}: {{Type: T}}" for i in range(500))
    assert len(_plan(f"Resources:\n{resources}\n").resources) == 500
    assert "Number of resources, 501, is greater than maximum allowed, 500" in _refused(
        f"Resources:\n{resources}\n  R500: {{Type: T}}\n"
    )
    outputs = "\n".join(f"  O{i}: {{Value: v}}" for i in range(201))
    assert "Number of outputs declared 201 is greater than maximum allowed 200" in _refused(
        f"Resources: {{A: {{Type: T}}}}\nOutputs:\n{outputs}\n"
    )
    description = "x" * 1025
    assert "Template description can be no more than 1024 bytes" in _refused(
        f"Description: {description}\nResources: {{A: {{Type: T}}}}\n"
    )


CONDITIONS = """
Parameters:
  Env: {Type: String, Default: dev}
  Size: {Type: Number, Default: 2}
Mappings:
  Sizes: {dev: {Big: "false"}, prod: {Big: "true"}}
Conditions:
  IsProd: !Equals [prod, !Ref Env]
  IsEast: !Equals [!Ref AWS::Region, us-east-1]
  Both: !And [!Condition IsProd, !Condition IsEast]
  Either: !Or [!Condition IsProd, !Condition IsEast, !Equals [!Ref Size, 2]]
  Neither: !Not [!Condition Either]
  Big: !Equals [!FindInMap [Sizes, !Ref Env, Big], "true"]
  IfCond: !If [IsProd, !Condition IsEast, !Condition Big]
  NumEq: !Equals [!Ref Size, 2]
Resources:
  A: {Type: T}
"""


def test_condition_functions() -> None:
    assert _plan(CONDITIONS).conditions == {
        "IsProd": False,
        "IsEast": True,
        "Both": False,
        "Either": True,
        "Neither": False,
        "Big": False,
        "IfCond": False,
        "NumEq": True,
    }
    prod = _plan(CONDITIONS, {"Env": "prod", "Size": "3"}).conditions
    assert prod["Both"] and prod["Big"] and prod["IfCond"] and not prod["NumEq"]


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        (
            "C: !Equals [!Ref A, x]",
            "Template format error: Unresolved dependencies [A]. Cannot reference resources in the Conditions block of the template",
        ),
        (
            "C: !Equals [!GetAtt A.Arn, x]",
            "Template format error: Unresolved dependencies [A]. Cannot reference resources in the Conditions block of the template",
        ),
        ("C: !Not [!Condition D]", "Template format error: Unresolved condition dependency D"),
        (
            "C: !Not [!Condition D]\n  D: !Not [!Condition C]",
            "Template format error: Circular dependency between conditions: [C, D]",
        ),
        (
            "C: !Ref P",
            "Template format error: Condition C: Conditions can only be boolean operations on parameters and other conditions",
        ),
        (
            "C: !And [!Condition D]\n  D: !Equals [a, a]",
            "Template error: Fn::And requires a list argument with between 2 and 10 elements",
        ),
        ("C: !Not [a]", "Template error: Fn::Not requires condition functions as arguments"),
        ("C: !Equals [a]", "Template error: Fn::Equals requires a list argument with two elements"),
    ],
)
def test_condition_errors(conditions: str, message: str) -> None:
    body = f"Parameters: {{P: {{Type: String, Default: x}}}}\nConditions:\n  {conditions}\nResources:\n  A: {{Type: T}}\n"
    assert _refused(body) == message


def test_validate_template_needs_no_parameter_values() -> None:
    doc = parse_template(
        "Parameters: {P: {Type: String}}\nResources: {A: {Type: T, Properties: {X: !Ref P}}}\n"
    )
    validate_template(doc)  # no value for P: fine here, refused by resolve_parameters
    with pytest.raises(TemplateError, match=r"Unresolved resource dependencies \[Q\]"):
        validate_template(parse_template("Resources: {A: {Type: T, Properties: {X: !Ref Q}}}\n"))


def test_plan_does_not_change_the_document() -> None:
    doc = parse_template(APP)
    before = repr(doc)
    plan(doc, _ctx(doc, {"Env": "prod"}))
    assert repr(doc) == before
