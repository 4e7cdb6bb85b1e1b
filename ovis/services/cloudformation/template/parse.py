"""Template bodies (JSON or YAML) to the plain document the rest of the package reads.

YAML short tags become CloudFormation's long form (``!Ref X`` -> ``{"Ref": "X"}``,
``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``), so nothing downstream knows which syntax
a template used. Scalars resolve as CloudFormation's YAML does:
YAML 1.1's booleans are booleans (an unquoted ``yes``/``No``/``ON``/``off`` is ``True``/``False``
on AWS too: a tag value ``YES`` arrives as "true"), but ``2010-09-09`` stays a string
(CloudFormation accepts the version unquoted and has no timestamps), ``1:20`` is not base 60
and ``010`` (an account id's leading zero) is not octal: only null, booleans and plain decimal
numbers are typed. Mapping keys are always strings. Aliases (``*name``) and hash merges
(``<<``) are not CloudFormation YAML: an alias is refused, ``<<`` is an ordinary key.

Errors are ``TemplateError`` with AWS's wording ("Template format error: YAML not well-formed.
(line L, column C)"). Pure: the same body always parses to an equal document.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from ovis.services.cloudformation.template.errors import TemplateError, format_error

# Tags whose argument is kept as written (scalar, sequence or mapping) under "Fn::<name>".
_FN_TAGS = (
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "Length",
    "ToJsonString",
    # Rule-specific functions (the Rules section).
    "Contains",
    "EachMemberEquals",
    "EachMemberIn",
    "RefAll",
    "ValueOf",
    "ValueOfAll",
)


# SafeLoader without YAML 1.1's implicit types, plus CloudFormation's short tags. Typed Any:
# PyYAML's stubs are optional, and this module must check the same with or without them.
# libyaml's parser when PyYAML was built with it (several times faster on large templates);
# the constructors and resolvers are Python either way, so the result is the same.
_Loader: Any = type("_Loader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})


# Drop every implicit resolver SafeLoader registers, then add back only what CFN types.
_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
    list("yYnNtTfFoO"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


def _construct_bool(loader: Any, node: Any) -> bool:
    return str(loader.construct_scalar(node)).lower() in ("true", "yes", "on")


_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


def _plain(loader: Any, node: Any) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return _mapping(loader, node)
    raise format_error("YAML not well-formed.")  # pragma: no cover - no other node kinds


def _mapping(loader: Any, node: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool):
            key = "true" if key else "false"
        if key is None:
            key = "null"
        if isinstance(key, list | dict):
            raise _located("YAML not well-formed.", key_node)
        out[str(key)] = loader.construct_object(value_node, deep=True)
    return out


def _located(detail: str, node: Any) -> TemplateError:
    mark = node.start_mark
    return format_error(f"{detail} (line {mark.line + 1}, column {mark.column + 1})")


def _fn(name: str) -> Any:
    def construct(loader: Any, node: Any) -> Any:
        return {f"Fn::{name}": _plain(loader, node)}

    return construct


def _ref(loader: Any, node: Any) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise _located("!Ref takes a logical name.", node)
    return {"Ref": loader.construct_scalar(node)}


def _condition(loader: Any, node: Any) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise _located("!Condition takes a condition name.", node)
    return {"Condition": loader.construct_scalar(node)}


def _get_att(loader: Any, node: Any) -> Any:
    if isinstance(node, yaml.ScalarNode):
        text = str(loader.construct_scalar(node))
        resource, dot, attribute = text.partition(".")
        if not dot or not resource or not attribute:
            raise _located(
                f"Template error: every Fn::GetAtt object requires two non-empty parameters"
                f" (got '{text}').",
                node,
            )
        return {"Fn::GetAtt": [resource, attribute]}
    return {"Fn::GetAtt": _plain(loader, node)}


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("!Ref", _ref)
_Loader.add_constructor("!Condition", _condition)
_Loader.add_constructor("!GetAtt", _get_att)
for _name in _FN_TAGS:
    _Loader.add_constructor(f"!{_name}", _fn(_name))


def _unknown_tag(loader: Any, suffix: str, node: Any) -> Any:
    raise _located(f"YAML not well-formed. Unknown tag !{suffix}", node)


_Loader.add_multi_constructor("!", _unknown_tag)


def _construct_object(loader: Any, node: Any, deep: bool = False) -> Any:
    # A node constructed a second time is the target of an alias (*name). CloudFormation has
    # no aliases (the AWS CLI flattens them before upload), and refusing them here also
    # refuses recursive documents and alias bombs.
    if node in loader.constructed_objects or node in loader.recursive_objects:
        raise _located("YAML aliases are not supported.", node)
    return yaml.constructor.BaseConstructor.construct_object(loader, node, deep)


_Loader.construct_object = _construct_object

# Deeper than any real template: keeps recursive evaluation far from Python's stack limit.
MAX_DEPTH = 100


def _check_depth(doc: Any) -> None:
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise format_error(f"Template is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def parse_template(body: str) -> dict[str, Any]:
    """The document ``body`` describes; JSON when it parses as JSON, else YAML.

    Raises ``TemplateError`` for a body that is neither, or whose top level is not a mapping.
    """
    if not body or not body.strip():
        raise format_error("unsupported structure.")
    stripped = body.lstrip()
    doc: Any
    if stripped.startswith("{"):
        try:
            doc = json.loads(body)
        except RecursionError:
            raise format_error(f"Template is nested more than {MAX_DEPTH} levels deep.") from None
        except json.JSONDecodeError as exc:
            # Plain YAML flow mappings start with "{" too: only when YAML fails is it JSON's.
            try:
                doc = _load_yaml(body)
            except TemplateError:
                raise format_error(
                    f"JSON not well-formed. (line {exc.lineno}, column {exc.colno})"
                ) from None
    else:
        doc = _load_yaml(body)
    if not isinstance(doc, dict):
        raise format_error("unsupported structure.")
    _check_depth(doc)
    return doc


def _load_yaml(body: str) -> Any:
    try:
        return yaml.load(body, Loader=_Loader)  # a SafeLoader subclass
    except TemplateError:
        raise
    except RecursionError:
        raise format_error(f"Template is nested more than {MAX_DEPTH} levels deep.") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise format_error(f"YAML not well-formed.{where}") from None
    except yaml.YAMLError:
        raise format_error("YAML not well-formed.") from None
