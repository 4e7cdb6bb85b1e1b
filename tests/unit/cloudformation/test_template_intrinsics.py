"""resolve and references (ovis/services/cloudformation/template/intrinsics.py): every
intrinsic function and pseudo parameter, AWS::NoValue, and AWS's errors."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ovis.errors import ValidationError
from ovis.services.cloudformation.template import (
    Context,
    Plan,
    TemplateError,
    declared_parameters,
    parse_template,
    plan,
    references,
    resolve,
    resolve_parameters,
)

STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/app/0b1c2d3e"


class Lookup:
    """The engine's view of made resources: Ref answers ``<id>-phys``."""

    def __init__(self, attributes: dict[tuple[str, str], Any] | None = None) -> None:
        self.attributes = attributes or {}
        self.asked: list[tuple[str, str | None]] = []

    def ref(self, logical_id: str) -> str:
        self.asked.append((logical_id, None))
        return f"{logical_id}-phys"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        self.asked.append((logical_id, attribute))
        if (logical_id, attribute) in self.attributes:
            return self.attributes[(logical_id, attribute)]
        raise ValidationError(
            f"Template error: resource {logical_id} does not support attribute type"
            f" {attribute} in Fn::GetAtt"
        )


def _exports(name: str) -> str:
    if name == "shared-vpc":
        return "vpc-123"
    raise ValidationError(f"No export named {name} found.")


TEMPLATE = """
Parameters:
  Env: {Type: String, Default: dev}
  Size: {Type: Number, Default: 3}
  Zones: {Type: CommaDelimitedList, Default: "a, b,c"}
  Ports: {Type: List<Number>, Default: "80,443"}
Mappings:
  Regions:
    eu-west-1: {Ami: ami-eu, Sizes: [1, 2]}
    us-east-1: {Ami: ami-us}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Topic: {Type: AWS::SNS::Topic}
"""


def _setup(
    template: str = TEMPLATE, given: dict[str, str | None] | None = None
) -> tuple[Context, Plan]:
    doc = parse_template(template)
    values = resolve_parameters(doc, given or {}, {})
    ctx = Context(
        stack_name="app",
        stack_id=STACK_ID,
        region="eu-west-1",
        account_id="123456789012",
        parameters=values,
        parameter_types={p.name: p.type for p in declared_parameters(doc)},
        notification_arns=("arn:aws:sns:eu-west-1:123456789012:ops",),
        import_value=_exports,
    )
    return ctx, plan(doc, ctx)


def _eval(value: Any, lookup: Lookup | None = None, **kw: Any) -> Any:
    ctx, p = _setup(**kw)
    return resolve(value, ctx, p, lookup or Lookup({("Queue", "Arn"): "arn:q"}))


def _long(yaml_value: str) -> Any:
    doc = parse_template(f"Resources: {{R: {{Type: T, Properties: {{V: {yaml_value}}}}}}}")
    return doc["Resources"]["R"]["Properties"]["V"]


# -- Ref and pseudo parameters ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AWS::StackName", "app"),
        ("AWS::StackId", STACK_ID),
        ("AWS::Region", "eu-west-1"),
        ("AWS::AccountId", "123456789012"),
        ("AWS::Partition", "aws"),
        ("AWS::URLSuffix", "amazonaws.com"),
        ("AWS::NotificationARNs", ["arn:aws:sns:eu-west-1:123456789012:ops"]),
    ],
)
def test_pseudo_parameters(name: str, value: Any) -> None:
    assert _eval({"Ref": name}) == value


def test_ref_parameters_and_resources() -> None:
    lookup = Lookup()
    assert _eval({"Ref": "Env"}, lookup) == "dev"
    assert _eval({"Ref": "Size"}, lookup) == "3"
    assert _eval({"Ref": "Queue"}, lookup) == "Queue-phys"
    assert lookup.asked == [("Queue", None)]


def test_ref_of_a_list_parameter_answers_a_list() -> None:
    assert _eval({"Ref": "Zones"}) == ["a", "b", "c"]
    assert _eval({"Ref": "Ports"}) == ["80", "443"]


def test_no_value_drops_key_and_list_item() -> None:
    value = {"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}, 2], "C": "c"}
    assert _eval(value) == {"B": [1, 2], "C": "c"}
    assert _eval({"Ref": "AWS::NoValue"}) is None


def test_resolve_does_not_change_its_input() -> None:
    value = {"A": {"Ref": "AWS::NoValue"}, "B": {"Fn::Sub": "${Env}"}}
    _eval(value)
    assert value == {"A": {"Ref": "AWS::NoValue"}, "B": {"Fn::Sub": "${Env}"}}


def test_resource_errors_come_from_the_lookup() -> None:
    with pytest.raises(ValidationError, match="does not support attribute type Nope"):
        _eval({"Fn::GetAtt": ["Queue", "Nope"]})


# -- Fn::GetAtt ---------------------------------------------------------------------------


def test_get_att_both_forms_and_dotted_attributes() -> None:
    lookup = Lookup({("Queue", "Arn"): "arn:q", ("Queue", "Endpoint.Address"): "host"})
    assert _eval(_long("!GetAtt Queue.Arn"), lookup) == "arn:q"
    assert _eval({"Fn::GetAtt": "Queue.Endpoint.Address"}, lookup) == "host"
    assert _eval({"Fn::GetAtt": ["Queue", "Endpoint.Address"]}, lookup) == "host"


def test_get_att_attribute_from_ref() -> None:
    template = TEMPLATE.replace(
        "Size: {Type: Number, Default: 3}", "Attr: {Type: String, Default: Arn}"
    )
    lookup = Lookup({("Queue", "Arn"): "arn:q"})
    assert _eval({"Fn::GetAtt": ["Queue", {"Ref": "Attr"}]}, lookup, template=template) == "arn:q"


@pytest.mark.parametrize("args", [["Queue"], "Queue", ["Queue", ""], 3])
def test_get_att_malformed(args: Any) -> None:
    with pytest.raises(TemplateError, match="Fn::GetAtt object requires two non-empty"):
        _eval({"Fn::GetAtt": args})


# -- Fn::Sub ------------------------------------------------------------------------------


def test_sub_string_form() -> None:
    value = {"Fn::Sub": "${AWS::StackName}-${Env}-${Queue}-${Queue.Arn}-${AWS::Region}"}
    assert _eval(value) == "app-dev-Queue-phys-arn:q-eu-west-1"


def test_sub_literal_and_variables() -> None:
    value = {"Fn::Sub": ["${!Literal} ${Name} ${Num} ${Env}", {"Name": {"Ref": "Queue"}, "Num": 5}]}
    assert _eval(value) == "${Literal} Queue-phys 5 dev"


def test_sub_without_variables_is_unchanged_text() -> None:
    assert _eval({"Fn::Sub": "plain $ text {}"}) == "plain $ text {}"


def test_sub_malformed() -> None:
    with pytest.raises(TemplateError, match="Fn::Sub intrinsic functions don't specify"):
        _eval({"Fn::Sub": ["a", "b"]})


def test_sub_of_a_list_is_refused() -> None:
    with pytest.raises(TemplateError, match="Fn::Sub expects a string value, got a list"):
        _eval({"Fn::Sub": "${Zones}"})


# -- Fn::Join, Fn::Split, Fn::Select --------------------------------------------------------


def test_join() -> None:
    assert _eval({"Fn::Join": [":", ["a", 1, True, {"Ref": "Env"}]]}) == "a:1:true:dev"
    assert _eval({"Fn::Join": [",", {"Ref": "Zones"}]}) == "a,b,c"
    assert _eval({"Fn::Join": ["", ["x", {"Ref": "AWS::NoValue"}, "y"]]}) == "xy"


@pytest.mark.parametrize("args", [["a"], [",", "notalist"], [",", [["nested"]]], [1, ["a"]]])
def test_join_malformed(args: Any) -> None:
    with pytest.raises(TemplateError, match="every Fn::Join object requires two parameters"):
        _eval({"Fn::Join": args})


def test_split_and_select() -> None:
    assert _eval({"Fn::Split": [",", "a,b,,c"]}) == ["a", "b", "", "c"]
    assert _eval({"Fn::Select": ["1", {"Fn::Split": ["|", "x|y|z"]}]}) == "y"
    assert _eval({"Fn::Select": [0, {"Ref": "Zones"}]}) == "a"


def test_select_out_of_range() -> None:
    with pytest.raises(TemplateError) as info:
        _eval({"Fn::Select": [5, ["a"]]})
    assert (
        info.value.message
        == "Template error: Fn::Select cannot select nonexistent value at index 5"
    )


@pytest.mark.parametrize("args", [[0], ["x", ["a"]], [0, "a"]])
def test_select_malformed(args: Any) -> None:
    with pytest.raises(TemplateError, match="Fn::Select"):
        _eval({"Fn::Select": args})


def test_split_malformed() -> None:
    with pytest.raises(TemplateError, match="Fn::Split requires"):
        _eval({"Fn::Split": [",", ["a"]]})


# -- Fn::If and conditions -------------------------------------------------------------------


def test_if_picks_a_branch_and_evaluates_only_it() -> None:
    lookup = Lookup({("Queue", "Arn"): "arn:q"})
    value = {"Fn::If": ["IsProd", {"Fn::GetAtt": ["Topic", "Nope"]}, {"Ref": "Queue"}]}
    assert _eval(value, lookup) == "Queue-phys"
    assert lookup.asked == [("Queue", None)]
    assert _eval(value, given={"Env": "prod"}, lookup=Lookup({("Topic", "Nope"): 7})) == 7


def test_if_with_no_value_removes_the_property() -> None:
    value = {"Delay": {"Fn::If": ["IsDev", {"Ref": "AWS::NoValue"}, 5]}, "Name": "n"}
    assert _eval(value) == {"Name": "n"}
    assert _eval(value, given={"Env": "prod"}) == {"Delay": 5, "Name": "n"}


def test_conditions_evaluated_in_the_plan() -> None:
    _, p = _setup()
    assert p.conditions == {"IsProd": False, "IsDev": True}
    _, p = _setup(given={"Env": "prod"})
    assert p.conditions == {"IsProd": True, "IsDev": False}


# -- Fn::FindInMap, Fn::Base64, Fn::ImportValue, Fn::GetAZs, Fn::Cidr --------------------------


def test_find_in_map() -> None:
    assert _eval({"Fn::FindInMap": ["Regions", {"Ref": "AWS::Region"}, "Ami"]}) == "ami-eu"
    assert _eval({"Fn::FindInMap": ["Regions", "eu-west-1", "Sizes"]}) == [1, 2]


def test_find_in_map_missing_key() -> None:
    with pytest.raises(TemplateError) as info:
        _eval({"Fn::FindInMap": ["Regions", "us-east-1", "Sizes"]})
    assert (
        info.value.message == "Template error: Unable to get mapping for Regions::us-east-1::Sizes"
    )
    with pytest.raises(TemplateError, match="Mapping named 'Nope' is not present"):
        _eval({"Fn::FindInMap": ["Nope", "a", "b"]})


def test_base64() -> None:
    assert (
        _eval({"Fn::Base64": {"Fn::Sub": "#!/bin/sh ${Env}"}})
        == base64.b64encode(b"#!/bin/sh dev").decode()
    )


def test_import_value() -> None:
    assert _eval({"Fn::ImportValue": {"Fn::Sub": "shared-vpc"}}) == "vpc-123"
    with pytest.raises(ValidationError) as info:
        _eval({"Fn::ImportValue": "other"})
    assert info.value.message == "No export named other found."


def test_default_context_has_no_exports() -> None:
    ctx = Context("s", "id", "us-east-1", "1")
    with pytest.raises(ValidationError, match=r"No export named x found\."):
        ctx.import_value("x")


def test_get_azs() -> None:
    assert _eval({"Fn::GetAZs": ""}) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert _eval({"Fn::GetAZs": {"Ref": "AWS::Region"}}) == [
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    ]
    assert _eval({"Fn::GetAZs": "us-east-2"}) == ["us-east-2a", "us-east-2b", "us-east-2c"]


def test_cidr() -> None:
    assert _eval({"Fn::Cidr": ["10.0.0.0/16", 3, 8]}) == [
        "10.0.0.0/24",
        "10.0.1.0/24",
        "10.0.2.0/24",
    ]
    assert _eval({"Fn::Cidr": ["192.168.0.0/24", "2", "6"]}) == [
        "192.168.0.0/26",
        "192.168.0.64/26",
    ]
    with pytest.raises(TemplateError, match="Fn::Cidr requires"):
        _eval({"Fn::Cidr": ["10.0.0.0/24", 5, 7]})  # two /25s only


def test_unknown_function_refused() -> None:
    with pytest.raises(TemplateError, match="Encountered unsupported function: Fn::Length"):
        _eval({"Fn::Length": [1, 2]})


def test_a_mapping_with_one_plain_key_is_not_a_function() -> None:
    assert _eval({"Condition": {"StringEquals": {"a": "b"}}}) == {
        "Condition": {"StringEquals": {"a": "b"}}
    }


# -- references -------------------------------------------------------------------------------


def test_references() -> None:
    value = {
        "A": {"Ref": "Queue"},
        "B": {"Fn::GetAtt": "Topic.Arn"},
        "C": {
            "Fn::Sub": [
                "${Bucket.Arn}/${Var}/${AWS::Region}/${Env}/${!Lit}",
                {"Var": {"Ref": "Role"}},
            ]
        },
        "D": [{"Fn::If": ["Cond", {"Ref": "Yes"}, {"Ref": "No"}]}],
        "E": {"Ref": "AWS::StackName"},
    }
    assert references(value) == {"Queue", "Topic", "Bucket", "Role", "Env", "Yes", "No"}
    assert references(value, {"Cond": False}) == {"Queue", "Topic", "Bucket", "Role", "Env", "No"}


def test_if_naming_an_unknown_condition() -> None:
    with pytest.raises(TemplateError) as info:
        _eval({"Fn::If": ["Nope", 1, 2]})
    assert info.value.message == "Template error: unresolved condition dependency Nope in Fn::If"
