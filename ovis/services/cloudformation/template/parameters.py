"""Parameters: what a template declares, and the values a stack operation runs with.

``declared_parameters`` reads the Parameters section (ValidateTemplate, GetTemplateSummary);
``resolve_parameters`` turns the caller's values into the stack's, applying defaults,
UsePreviousValue and every constraint CloudFormation checks, with AWS's messages. Values
are strings throughout; a ``List<...>``/``CommaDelimitedList`` value is kept comma-joined
(``Ref`` answers it as a list). AWS-specific types (``AWS::EC2::VPC::Id``...) are checked as
strings only: this server has no EC2 to look them up in. ``AWS::SSM::Parameter::Value<...>``
is refused: there is no Parameter Store to read it from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ovis.errors import ValidationError
from ovis.services.cloudformation.template.errors import format_error

MAX_PARAMETERS: Final = 200
MAX_NAME_LENGTH: Final = 255

_AWS_TYPES: Final = frozenset(
    {
        "AWS::EC2::AvailabilityZone::Name",
        "AWS::EC2::Image::Id",
        "AWS::EC2::Instance::Id",
        "AWS::EC2::KeyPair::KeyName",
        "AWS::EC2::SecurityGroup::GroupName",
        "AWS::EC2::SecurityGroup::Id",
        "AWS::EC2::Subnet::Id",
        "AWS::EC2::Volume::Id",
        "AWS::EC2::VPC::Id",
        "AWS::Route53::HostedZone::Id",
        "AWS::SSM::Parameter::Name",
    }
)
_KEYS: Final = frozenset(
    {
        "Type",
        "Default",
        "AllowedValues",
        "AllowedPattern",
        "NoEcho",
        "Description",
        "MinLength",
        "MaxLength",
        "MinValue",
        "MaxValue",
        "ConstraintDescription",
    }
)
_NUMBER: Final = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
_ALNUM: Final = re.compile(r"^[A-Za-z0-9]+$")
SSM_PREFIX: Final = "AWS::SSM::Parameter::Value<"


@dataclass(frozen=True)
class ParameterDecl:
    name: str
    type: str
    default: str | None = None
    allowed_values: tuple[str, ...] = ()
    allowed_pattern: str | None = None
    no_echo: bool = False
    description: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    constraint_description: str | None = None

    @property
    def is_list(self) -> bool:
        return self.type.startswith("List<") or self.type == "CommaDelimitedList"


def _known_type(type_name: str) -> bool:
    if type_name in ("String", "Number", "CommaDelimitedList", "List<Number>"):
        return True
    if type_name in _AWS_TYPES:
        return True
    if type_name.startswith("List<") and type_name.endswith(">"):
        return type_name[5:-1] in _AWS_TYPES
    return type_name.startswith(SSM_PREFIX) and type_name.endswith(">")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_scalar(item) for item in value)
    return str(value)


def _int(decl: Mapping[str, Any], key: str, name: str) -> int | None:
    value = decl.get(key)
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        raise format_error(f"Parameter '{name}' {key} must be an integer") from None


def _float(decl: Mapping[str, Any], key: str, name: str) -> float | None:
    value = decl.get(key)
    if value is None:
        return None
    text = str(value)
    if not _NUMBER.match(text):
        raise format_error(f"Parameter '{name}' {key} must be a number") from None
    return float(text)


def declared_parameters(doc: Mapping[str, Any]) -> list[ParameterDecl]:
    """The Parameters section as declarations, in template order; malformed sections raise
    ``TemplateError`` with AWS's wording."""
    section = doc.get("Parameters")
    if section is None:
        return []
    if not isinstance(section, dict):
        raise format_error("Parameters section must be a JSON/YAML object")
    if len(section) > MAX_PARAMETERS:
        raise format_error(
            f"Number of parameters declared {len(section)} is greater than maximum"
            f" allowed {MAX_PARAMETERS}."
        )
    out: list[ParameterDecl] = []
    for name, decl in section.items():
        if not _ALNUM.match(name) or len(name) > MAX_NAME_LENGTH:
            raise format_error(f"Parameter name {name} is non alphanumeric.")
        if not isinstance(decl, dict):
            raise format_error(f"Invalid parameter declaration for {name}")
        extra = sorted(set(decl) - _KEYS)
        if extra:
            raise format_error(f"Invalid template parameter property '{extra[0]}'")
        type_name = decl.get("Type")
        if not isinstance(type_name, str):
            raise format_error("Every Parameters object must contain a Type member.")
        if not _known_type(type_name):
            raise format_error(f"Unrecognized parameter type: {type_name}")
        allowed = decl.get("AllowedValues")
        if allowed is not None and not isinstance(allowed, list):
            raise format_error(f"Parameter '{name}' AllowedValues must be a list")
        pattern = decl.get("AllowedPattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error:
                raise format_error(
                    f"Parameter '{name}' AllowedPattern is not a valid regular expression"
                ) from None
        default = decl.get("Default")
        out.append(
            ParameterDecl(
                name=name,
                type=type_name,
                default=None if default is None else _scalar(default),
                allowed_values=tuple(_scalar(v) for v in allowed or ()),
                allowed_pattern=None if pattern is None else str(pattern),
                no_echo=_scalar(decl.get("NoEcho", False)).lower() == "true",
                description=None if decl.get("Description") is None else str(decl["Description"]),
                min_length=_int(decl, "MinLength", name),
                max_length=_int(decl, "MaxLength", name),
                min_value=_float(decl, "MinValue", name),
                max_value=_float(decl, "MaxValue", name),
                constraint_description=(
                    None
                    if decl.get("ConstraintDescription") is None
                    else str(decl["ConstraintDescription"])
                ),
            )
        )
    return out


def resolve_parameters(
    doc: Mapping[str, Any],
    given: Mapping[str, str | None],
    previous: Mapping[str, str],
) -> dict[str, str]:
    """The stack's parameter values: ``given`` (``None``: UsePreviousValue, answered from
    ``previous``), else the declared default. Raises ``ValidationError`` with AWS's message
    for an undeclared name, a missing value or a value that breaks a constraint."""
    decls = declared_parameters(doc)
    declared = {decl.name for decl in decls}
    unknown = [name for name in given if name not in declared]
    if unknown:
        raise ValidationError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    for decl in decls:
        if decl.type.startswith(SSM_PREFIX):
            raise ValidationError(
                f"Parameter '{decl.name}' has type {decl.type}: SSM Parameter Store is not"
                " served by this server, so SSM parameter types cannot be resolved. Pass the"
                " value as a String parameter instead."
            )
    values: dict[str, str] = {}
    missing: list[str] = []
    for decl in decls:
        if decl.name in given:
            value = given[decl.name]
            if value is None:
                value = previous.get(decl.name)
        else:
            value = decl.default
        if value is None:
            missing.append(decl.name)
            continue
        values[decl.name] = value
    if missing:
        raise ValidationError(f"Parameters: [{', '.join(missing)}] must have values")
    for decl in decls:
        check_value(decl, values[decl.name])
    return values


def check_value(decl: ParameterDecl, value: str) -> None:
    """Raises ``ValidationError`` when ``value`` breaks one of ``decl``'s constraints."""
    items = [item.strip() for item in value.split(",")] if decl.is_list else [value]
    numeric = decl.type in ("Number", "List<Number>")
    for item in items:
        if numeric and not _NUMBER.match(item):
            raise ValidationError(f"Parameter '{decl.name}' must be a number")
        if decl.allowed_values and item not in decl.allowed_values:
            raise ValidationError(_failed(decl, "must be one of AllowedValues"))
        if decl.allowed_pattern is not None and not re.fullmatch(decl.allowed_pattern, item):
            raise ValidationError(_failed(decl, f"must match pattern {decl.allowed_pattern}"))
        if numeric:
            number = float(item)
            if decl.min_value is not None and number < decl.min_value:
                raise ValidationError(
                    _failed(decl, f"must be a number not less than {_num(decl.min_value)}")
                )
            if decl.max_value is not None and number > decl.max_value:
                raise ValidationError(
                    _failed(decl, f"must be a number not greater than {_num(decl.max_value)}")
                )
    if not decl.is_list:
        if decl.min_length is not None and len(value) < decl.min_length:
            raise ValidationError(
                _failed(decl, f"must contain at least {decl.min_length} characters")
            )
        if decl.max_length is not None and len(value) > decl.max_length:
            raise ValidationError(
                _failed(decl, f"must contain at most {decl.max_length} characters")
            )


def _failed(decl: ParameterDecl, what: str) -> str:
    # AWS puts the template's ConstraintDescription in place of its own words when given.
    if decl.constraint_description:
        return (
            f"Parameter '{decl.name}' failed to satisfy constraint: {decl.constraint_description}"
        )
    return f"Parameter '{decl.name}' {what}"


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
