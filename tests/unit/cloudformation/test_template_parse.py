"""parse_template (ovis/services/cloudformation/template/parse.py): JSON and YAML bodies,
every short tag to its long form, CloudFormation's scalar typing, and AWS's errors."""

from __future__ import annotations

import pytest

from ovis.errors import ValidationError
from ovis.services.cloudformation.template import TemplateError, parse_template


def _props(body: str) -> dict:
    return parse_template(body)["Resources"]["R"]["Properties"]


def _yaml(props: str) -> str:
    lines = "\n".join("      " + line for line in props.strip("\n").splitlines())
    return f"Resources:\n  R:\n    Type: AWS::SQS::Queue\n    Properties:\n{lines}\n"


def test_json_body() -> None:
    doc = parse_template('{"Resources": {"R": {"Type": "AWS::SQS::Queue"}}}')
    assert doc == {"Resources": {"R": {"Type": "AWS::SQS::Queue"}}}


def test_yaml_flow_mapping_that_is_not_json() -> None:
    doc = parse_template("{Resources: {R: {Type: AWS::SQS::Queue}}}")
    assert doc["Resources"]["R"]["Type"] == "AWS::SQS::Queue"


@pytest.mark.parametrize(
    ("yaml", "long"),
    [
        ("A: !Ref Queue", {"Ref": "Queue"}),
        ("A: !GetAtt Queue.Arn", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ("A: !GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        ("A: !GetAtt [Queue, Arn]", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ("A: !Sub '${AWS::Region}-x'", {"Fn::Sub": "${AWS::Region}-x"}),
        ("A: !Sub ['${X}', {X: 1}]", {"Fn::Sub": ["${X}", {"X": 1}]}),
        ("A: !Join [',', [a, b]]", {"Fn::Join": [",", ["a", "b"]]}),
        ("A: !If [C, a, b]", {"Fn::If": ["C", "a", "b"]}),
        ("A: !Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
        (
            "A: !And [!Condition C, !Condition D]",
            {"Fn::And": [{"Condition": "C"}, {"Condition": "D"}]},
        ),
        (
            "A: !Or [!Condition C, !Condition D]",
            {"Fn::Or": [{"Condition": "C"}, {"Condition": "D"}]},
        ),
        ("A: !Not [!Condition C]", {"Fn::Not": [{"Condition": "C"}]}),
        ("A: !Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
        ("A: !Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("A: !FindInMap [M, K, V]", {"Fn::FindInMap": ["M", "K", "V"]}),
        ("A: !Base64 text", {"Fn::Base64": "text"}),
        ("A: !ImportValue shared", {"Fn::ImportValue": "shared"}),
        ("A: !GetAZs us-west-2", {"Fn::GetAZs": "us-west-2"}),
        ("A: !Cidr [10.0.0.0/16, 2, 8]", {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}),
    ],
)
def test_short_tags_become_long_form(yaml: str, long: object) -> None:
    assert _props(_yaml(yaml))["A"] == long


def test_nested_short_tags() -> None:
    props = _props(_yaml("A: !Join ['', [!Ref P, !Sub '${Q.Arn}', !GetAtt Q.Url]]"))
    assert props["A"] == {
        "Fn::Join": ["", [{"Ref": "P"}, {"Fn::Sub": "${Q.Arn}"}, {"Fn::GetAtt": ["Q", "Url"]}]]
    }


def test_block_sub_with_variables() -> None:
    props = _props(_yaml("A: !Sub\n  - 'arn:${P}'\n  - P: !Ref X"))
    assert props["A"] == {"Fn::Sub": ["arn:${P}", {"P": {"Ref": "X"}}]}


def test_scalars_typed_as_cloudformation_does() -> None:
    doc = parse_template(
        "AWSTemplateFormatVersion: 2010-09-09\n"
        + _yaml(
            "A: yes\nB: OFF\nC: true\nD: 10\nE: 1.5\nF: 010\nG: 1:20\nH: ~\nI: False\nJ: 0x1F\n"
            "K: 'yes'\nL: y\nM: 012345678901\nN: No"
        )
    )
    assert doc["AWSTemplateFormatVersion"] == "2010-09-09"
    props = doc["Resources"]["R"]["Properties"]
    assert props == {
        "A": True,
        "B": False,
        "C": True,
        "D": 10,
        "E": 1.5,
        "F": "010",
        "G": "1:20",
        "H": None,
        "I": False,
        "J": "0x1F",
        "K": "yes",
        "L": "y",
        "M": "012345678901",
        "N": False,
    }


def test_keys_are_strings() -> None:
    doc = parse_template("Mappings:\n  M:\n    1: {true: a}\nResources: {R: {Type: T}}")
    assert doc["Mappings"] == {"M": {"1": {"true": "a"}}}


def test_yaml_error_names_line_and_column() -> None:
    with pytest.raises(TemplateError) as info:
        parse_template("Resources:\n  R: [unclosed\n")
    assert info.value.message.startswith("Template format error: YAML not well-formed. (line ")
    assert isinstance(info.value, ValidationError)
    assert info.value.code == "ValidationError" and info.value.status == 400


def test_json_error_names_line_and_column() -> None:
    with pytest.raises(TemplateError) as info:
        parse_template('{"Resources": [}\n')
    assert info.value.message == "Template format error: JSON not well-formed. (line 1, column 16)"


def test_unknown_tag_refused() -> None:
    with pytest.raises(TemplateError, match=r"Unknown tag !Foo"):
        parse_template(_yaml("A: !Foo x"))


def test_ref_takes_a_scalar() -> None:
    with pytest.raises(TemplateError, match="!Ref takes a logical name"):
        parse_template(_yaml("A: !Ref [a]"))


def test_get_att_short_form_needs_a_dot() -> None:
    with pytest.raises(TemplateError, match="Fn::GetAtt object requires two non-empty"):
        parse_template(_yaml("A: !GetAtt Queue"))


@pytest.mark.parametrize("body", ["", "   ", "- a\n- b", "just text", "[1, 2]"])
def test_top_level_must_be_a_mapping(body: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(body)
    assert info.value.message == "Template format error: unsupported structure."


@pytest.mark.parametrize(
    "body",
    [
        "Resources:\n  R: &r {Type: T}\n  S: *r\n",
        "a: &a [*a]\nResources: {R: {Type: T}}\n",
        "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\nResources: {R: {Type: T}}\n",
    ],
)
def test_yaml_aliases_refused(body: str) -> None:
    with pytest.raises(TemplateError, match=r"YAML aliases are not supported\. \(line \d+"):
        parse_template(body)


@pytest.mark.parametrize(
    "body",
    [
        "Resources: {R: {Type: T, Properties: {A: " + "[" * 150 + "]" * 150 + "}}}",
        '{"Resources": {"R": {"Type": "T", "Properties": {"A": ' + "[" * 150 + "]" * 150 + "}}}}",
        '{"Resources": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "Resources: " + "[" * 100_000 + "]" * 100_000,
    ],
)
def test_deep_nesting_refused(body: str) -> None:
    # libyaml stops at its own depth (a YAML error); everything else stops at ours.
    with pytest.raises(TemplateError) as info:
        parse_template(body)
    assert info.value.message in (
        "Template format error: Template is nested more than 100 levels deep.",
        "Template format error: YAML not well-formed. (line 1, column 1011)",
    )
