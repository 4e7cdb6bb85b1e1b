"""The Rules section (template/rules.py): rule conditions, every rule function, the failing
assertion's description as the error, and the refusals."""

from __future__ import annotations

import pytest

from ovis.errors import ValidationError
from ovis.services.cloudformation.template import (
    Context,
    TemplateError,
    declared_parameters,
    parse_template,
    plan,
    resolve_parameters,
)

TEMPLATE = """
Parameters:
  Env: {Type: String, Default: dev}
  Size: {Type: String, Default: small}
  Subnets: {Type: List<AWS::EC2::Subnet::Id>, Default: "subnet-a,subnet-b"}
  Vpc: {Type: AWS::EC2::VPC::Id, Default: vpc-1}
Rules:
  ProdIsLarge:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Contains [[large, xlarge], !Ref Size]
        AssertDescription: Production stacks must be large or xlarge
  KnownSubnets:
    Assertions:
      - Assert: !EachMemberIn [!Ref Subnets, [subnet-a, subnet-b, subnet-c]]
        AssertDescription: Subnets must be a, b or c
      - Assert: !Not [!EachMemberEquals [!Ref Subnets, subnet-c]]
        AssertDescription: Not only subnet c
      - Assert: !Contains [!RefAll AWS::EC2::VPC::Id, vpc-1]
        AssertDescription: The VPC must be vpc-1
      - Assert: !Or [!Equals [!Ref AWS::Region, us-east-1], !Equals [!Ref AWS::Region, eu-west-1]]
Resources:
  A: {Type: AWS::SQS::Queue}
"""


def _plan(body: str, given: dict[str, str | None]) -> None:
    doc = parse_template(body)
    values = resolve_parameters(doc, given, {})
    types = {p.name: p.type for p in declared_parameters(doc)}
    plan(doc, Context("app", "arn:stack", "us-east-1", "123456789012", values, types))


def _refused(given: dict[str, str | None], body: str = TEMPLATE) -> str:
    with pytest.raises(ValidationError) as info:
        _plan(body, given)
    return info.value.message


def test_rules_that_hold() -> None:
    _plan(TEMPLATE, {})
    _plan(TEMPLATE, {"Env": "prod", "Size": "large"})


def test_rule_condition_gates_its_assertions() -> None:
    _plan(TEMPLATE, {"Env": "dev", "Size": "tiny"})
    assert _refused({"Env": "prod"}) == "Production stacks must be large or xlarge"


def test_each_rule_function() -> None:
    assert _refused({"Subnets": "subnet-a,subnet-z"}) == "Subnets must be a, b or c"
    assert _refused({"Subnets": "subnet-c,subnet-c"}) == "Not only subnet c"
    assert _refused({"Vpc": "vpc-2"}) == "The VPC must be vpc-1"


def test_assertion_without_description() -> None:
    body = TEMPLATE.replace(
        "us-east-1], !Equals [!Ref AWS::Region, eu-west-1]", "x], !Equals [y, z]"
    )
    assert _refused({}, body) == "Assertion failed for rule KnownSubnets"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            "R: {Assertions: [{Assert: !Equals [!Ref A, x]}]}",
            "Template format error: Unresolved dependencies [A]. Cannot reference resources in the Rules block of the template",
        ),
        (
            "R: {Assertions: [{Assert: !ValueOf [Vpc, Tags]}]}",
            "Template error: Fn::ValueOf and Fn::ValueOfAll read EC2 resource attributes; EC2 is not served by this server",
        ),
        ("R: {Assertion: []}", "Template format error: Rule R must contain an Assertions member"),
        (
            "R: {Assertions: [{Assert: x}]}",
            "Template error: Rule R: conditions and assertions must be rule functions",
        ),
        (
            "R: {Assertions: [{Asert: x}]}",
            "Template format error: Rule R: every assertion must contain an Assert member",
        ),
    ],
)
def test_malformed_rules(rules: str, message: str) -> None:
    body = f"Parameters: {{Vpc: {{Type: String, Default: v}}}}\nRules:\n  {rules}\nResources:\n  A: {{Type: T}}\n"
    with pytest.raises(TemplateError) as info:
        _plan(body, {})
    assert info.value.message == message
