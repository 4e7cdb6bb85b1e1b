"""declared_parameters and resolve_parameters (template/parameters.py): types, defaults,
UsePreviousValue, every constraint, and AWS's messages."""

from __future__ import annotations

from typing import Any

import pytest

from ovis.errors import ValidationError
from ovis.services.cloudformation.template import (
    ParameterDecl,
    TemplateError,
    declared_parameters,
    resolve_parameters,
)


def _doc(**params: dict[str, Any]) -> dict[str, Any]:
    return {"Parameters": params, "Resources": {"R": {"Type": "AWS::SQS::Queue"}}}


def _message(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return exc.value.message


def test_declarations_in_template_order() -> None:
    doc = _doc(
        Name={
            "Type": "String",
            "Default": "n",
            "AllowedValues": ["n", "m"],
            "AllowedPattern": "[a-z]+",
            "NoEcho": "true",
            "Description": "the name",
            "MinLength": 1,
            "MaxLength": "5",
            "ConstraintDescription": "lower case",
        },
        Count={"Type": "Number", "Default": 3, "MinValue": 1, "MaxValue": "10"},
    )
    name, count = declared_parameters(doc)
    assert name == ParameterDecl(
        name="Name",
        type="String",
        default="n",
        allowed_values=("n", "m"),
        allowed_pattern="[a-z]+",
        no_echo=True,
        description="the name",
        min_length=1,
        max_length=5,
        constraint_description="lower case",
    )
    assert count.default == "3" and count.min_value == 1 and count.max_value == 10
    assert not count.no_echo


def test_list_default_given_as_a_yaml_list_is_comma_joined() -> None:
    (decl,) = declared_parameters(_doc(Z={"Type": "CommaDelimitedList", "Default": ["a", "b"]}))
    assert decl.default == "a,b" and decl.is_list


def test_defaults_given_and_previous_values() -> None:
    doc = _doc(A={"Type": "String", "Default": "a"}, B={"Type": "String"}, C={"Type": "String"})
    values = resolve_parameters(doc, {"B": "b", "C": None}, {"C": "old-c", "A": "old-a"})
    assert values == {"A": "a", "B": "b", "C": "old-c"}


def test_missing_values_named_together() -> None:
    doc = _doc(A={"Type": "String"}, B={"Type": "String"}, C={"Type": "String", "Default": ""})
    with pytest.raises(ValidationError) as info:
        resolve_parameters(doc, {}, {})
    assert _message(info) == "Parameters: [A, B] must have values"


def test_use_previous_value_without_one() -> None:
    with pytest.raises(ValidationError, match=r"Parameters: \[A\] must have values"):
        resolve_parameters(_doc(A={"Type": "String"}), {"A": None}, {})


def test_undeclared_names_refused() -> None:
    with pytest.raises(ValidationError) as info:
        resolve_parameters(_doc(A={"Type": "String", "Default": "a"}), {"Y": "1", "Z": "2"}, {})
    assert _message(info) == "Parameters: [Y, Z] do not exist in the template"


@pytest.mark.parametrize(
    ("decl", "value", "message"),
    [
        (
            {"Type": "String", "AllowedValues": ["a", "b"]},
            "c",
            "Parameter 'P' must be one of AllowedValues",
        ),
        (
            {"Type": "String", "AllowedPattern": "[a-z]+"},
            "abc1",
            "Parameter 'P' must match pattern [a-z]+",
        ),
        (
            {"Type": "String", "MinLength": 3},
            "ab",
            "Parameter 'P' must contain at least 3 characters",
        ),
        (
            {"Type": "String", "MaxLength": 2},
            "abc",
            "Parameter 'P' must contain at most 2 characters",
        ),
        ({"Type": "Number"}, "3x", "Parameter 'P' must be a number"),
        (
            {"Type": "Number", "MinValue": 2},
            "1.5",
            "Parameter 'P' must be a number not less than 2",
        ),
        (
            {"Type": "Number", "MaxValue": 2.5},
            "3",
            "Parameter 'P' must be a number not greater than 2.5",
        ),
        ({"Type": "List<Number>"}, "1,x", "Parameter 'P' must be a number"),
        (
            {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]},
            "a,c",
            "Parameter 'P' must be one of AllowedValues",
        ),
        (
            {
                "Type": "String",
                "AllowedPattern": "[a-z]+",
                "ConstraintDescription": "lower case only",
            },
            "ABC",
            "Parameter 'P' failed to satisfy constraint: lower case only",
        ),
    ],
)
def test_constraints(decl: dict[str, Any], value: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        resolve_parameters(_doc(P=decl), {"P": value}, {})
    assert _message(info) == message


def test_defaults_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="must contain at least 12 characters"):
        resolve_parameters(
            _doc(P={"Type": "String", "Default": "aws-ab-", "MinLength": 12}), {}, {}
        )


@pytest.mark.parametrize(
    ("decl", "value"),
    [
        ({"Type": "String", "AllowedValues": ["a", "b"]}, "b"),
        ({"Type": "String", "AllowedPattern": "^[a-z]+$"}, "abc"),
        ({"Type": "Number", "MinValue": 1, "MaxValue": 10}, "10"),
        ({"Type": "Number"}, "-1.5e3"),
        ({"Type": "List<Number>", "MinValue": 1}, "1, 2,3"),
        ({"Type": "AWS::EC2::VPC::Id"}, "vpc-1234"),
        ({"Type": "List<AWS::EC2::Subnet::Id>"}, "subnet-1,subnet-2"),
        ({"Type": "AWS::SSM::Parameter::Name"}, "/my/param"),
        ({"Type": "String", "MinLength": 2, "MaxLength": 2}, "ab"),
    ],
)
def test_accepted_values_kept_as_given(decl: dict[str, Any], value: str) -> None:
    assert resolve_parameters(_doc(P=decl), {"P": value}, {}) == {"P": value}


def test_ssm_parameter_types_refused_naming_the_service() -> None:
    doc = _doc(Ami={"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/ami"})
    with pytest.raises(ValidationError) as info:
        resolve_parameters(doc, {}, {})
    assert "SSM Parameter Store is not served by this server" in _message(info)
    assert "Ami" in _message(info)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"P": {"Type": "Strin"}}, "Template format error: Unrecognized parameter type: Strin"),
        (
            {"P": {"Default": "x"}},
            "Template format error: Every Parameters object must contain a Type member.",
        ),
        (
            {"P-1": {"Type": "String"}},
            "Template format error: Parameter name P-1 is non alphanumeric.",
        ),
        (
            {"P": {"Type": "String", "Bogus": 1}},
            "Template format error: Invalid template parameter property 'Bogus'",
        ),
        (
            {"P": {"Type": "String", "MinLength": "x"}},
            "Template format error: Parameter 'P' MinLength must be an integer",
        ),
        (
            {"P": {"Type": "Number", "MaxValue": "x"}},
            "Template format error: Parameter 'P' MaxValue must be a number",
        ),
        (
            {"P": {"Type": "String", "AllowedValues": "a"}},
            "Template format error: Parameter 'P' AllowedValues must be a list",
        ),
        (
            {"P": {"Type": "String", "AllowedPattern": "("}},
            "Template format error: Parameter 'P' AllowedPattern is not a valid regular expression",
        ),
    ],
)
def test_malformed_declarations(params: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError) as info:
        declared_parameters(_doc(**params))
    assert info.value.message == message


def test_at_most_200_parameters() -> None:
    declared_parameters(_doc(**{f"P{i}": {"Type": "String"} for i in range(200)}))
    with pytest.raises(
        TemplateError, match="Number of parameters declared 201 is greater than maximum allowed 200"
    ):
        declared_parameters(_doc(**{f"P{i}": {"Type": "String"} for i in range(201)}))


def test_no_parameters_section() -> None:
    assert declared_parameters({"Resources": {}}) == []
    assert resolve_parameters({"Resources": {}}, {}, {}) == {}
