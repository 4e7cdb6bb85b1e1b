"""A validated template, ready to be run: ``plan(doc, ctx)``.

``plan`` checks the whole template (sections, names, limits, resource attributes, the
functions used and what they refer to, dependency cycles) and evaluates the Conditions once,
so the engine gets only the resources and outputs whose Condition holds, each with its
dependencies, and a creation order. It resolves nothing else: properties and output values
stay unresolved until the engine calls ``resolve`` with the resources made so far. Every
refusal is a ``TemplateError`` (400 ValidationError) with AWS's wording; ``plan`` is pure.

``validate_template(doc)`` is the parameter-free part of the same checks (ValidateTemplate).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ovis.services.cloudformation.template.conditions import (
    condition_section,
    evaluate_conditions,
)
from ovis.services.cloudformation.template.context import Context
from ovis.services.cloudformation.template.errors import TemplateError, format_error
from ovis.services.cloudformation.template.graph import ready, topological_order
from ovis.services.cloudformation.template.intrinsics import (
    FUNCTIONS,
    function_name,
    get_att_args,
    references,
    sub_parts,
    unsupported_function,
)
from ovis.services.cloudformation.template.parameters import declared_parameters
from ovis.services.cloudformation.template.pseudo import NAMES as PSEUDO_NAMES
from ovis.services.cloudformation.template.rules import check_rule_section, check_rules

MAX_RESOURCES: Final = 500
MAX_OUTPUTS: Final = 200
MAX_MAPPINGS: Final = 200
MAX_DESCRIPTION: Final = 1024
TEMPLATE_VERSION: Final = "2010-09-09"

SECTIONS: Final = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Description",
        "Metadata",
        "Parameters",
        "Rules",
        "Mappings",
        "Conditions",
        "Transform",
        "Resources",
        "Outputs",
    }
)
RESOURCE_ATTRIBUTES: Final = frozenset(
    {
        "Type",
        "Properties",
        "DependsOn",
        "Condition",
        "DeletionPolicy",
        "UpdateReplacePolicy",
        "Metadata",
        "CreationPolicy",
        "UpdatePolicy",
        "Version",
    }
)
DELETION_POLICIES: Final = frozenset({"Delete", "Retain", "RetainExceptOnCreate", "Snapshot"})
UPDATE_REPLACE_POLICIES: Final = frozenset({"Delete", "Retain", "Snapshot"})
OUTPUT_KEYS: Final = frozenset({"Value", "Description", "Export", "Condition"})
_ALNUM: Final = re.compile(r"^[A-Za-z0-9]+$")
_DYNAMIC_REFERENCE: Final = re.compile(r"\{\{resolve:([a-z-]+):[^}]*\}\}")
_DYNAMIC_SERVICES: Final = {
    "ssm": "SSM Parameter Store",
    "ssm-secure": "SSM Parameter Store",
    "secretsmanager": "Secrets Manager",
}


@dataclass(frozen=True)
class ResourceDecl:
    logical_id: str
    type: str
    properties: dict[str, Any]  # unresolved
    depends_on: frozenset[str]  # explicit DependsOn + implicit (Ref, GetAtt, Sub)
    condition: str | None = None
    deletion_policy: str = "Delete"
    update_replace_policy: str = "Delete"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputDecl:
    name: str
    value: Any  # unresolved
    description: str | None = None
    export_name: Any = None  # unresolved, or None when the output is not exported
    condition: str | None = None
    depends_on: frozenset[str] = frozenset()  # the resources the value and export refer to


@dataclass(frozen=True)
class Plan:
    resources: dict[str, ResourceDecl]  # only those whose Condition holds, in template order
    outputs: dict[str, OutputDecl]  # likewise
    conditions: dict[str, bool]
    mappings: dict[str, Any]
    order: tuple[str, ...] = ()  # creation order (deletion: reversed)

    def ready(self, done: Collection[str], started: Collection[str] = ()) -> list[str]:
        """Resources that may be created now: not done nor started, dependencies all done."""
        return ready(done, self.dependencies(), started)

    def dependencies(self) -> dict[str, frozenset[str]]:
        return {name: decl.depends_on for name, decl in self.resources.items()}

    def dependents(self, logical_id: str) -> set[str]:
        """Resources that depend on ``logical_id`` directly (deleted before it)."""
        return {n for n, d in self.resources.items() if logical_id in d.depends_on}


def _section(doc: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise format_error(f"{name} section must be a JSON/YAML object")
    return value


def validate_template(doc: Mapping[str, Any]) -> None:
    """Checks what can be checked without parameter values; raises ``TemplateError``."""
    _check_sections(doc)
    declared_parameters(doc)
    check_rule_section(doc)
    _check_mappings(doc)
    resources = _resources_section(doc)
    condition_names = set(condition_section(doc))
    params = {p for p in _section(doc, "Parameters")}
    shared = sorted(set(resources) & params)
    if shared:
        raise TemplateError(
            "Template error: all resources and parameters must have unique names. Common"
            f" name(s):[{', '.join(shared)}]"
        )
    for logical_id, body in resources.items():
        _check_resource(logical_id, body, condition_names)
    known = set(resources) | params | PSEUDO_NAMES
    for logical_id, body in resources.items():
        _check_functions(body.get("Properties", {}), condition_names, set(resources))
        _check_unresolved(_resource_refs(body, None), known, "Resources")
        del logical_id
    outputs = _outputs_section(doc)
    for name, body in outputs.items():
        _check_output(name, body, condition_names)
        _check_functions(body, condition_names, set(resources))
        _check_unresolved(references(body), known, "Outputs")


def plan(doc: Mapping[str, Any], ctx: Context) -> Plan:
    """The validated, condition-filtered template (see the module docstring)."""
    validate_template(doc)
    mappings = _section(doc, "Mappings")
    check_rules(doc, ctx, mappings)
    conditions = evaluate_conditions(condition_section(doc), ctx, mappings)
    all_resources = _resources_section(doc)
    active = {
        name: body
        for name, body in all_resources.items()
        if body.get("Condition") is None or conditions[body["Condition"]]
    }
    known = set(active) | set(ctx.parameters) | PSEUDO_NAMES
    resources: dict[str, ResourceDecl] = {}
    for logical_id, body in active.items():
        refs = _resource_refs(body, conditions)
        _check_unresolved(refs, known, "Resources")
        _check_get_att_targets(body.get("Properties", {}), conditions, set(active))
        _check_dynamic_references(logical_id, body.get("Properties"))
        resources[logical_id] = ResourceDecl(
            logical_id=logical_id,
            type=body["Type"],
            properties=dict(body.get("Properties") or {}),
            depends_on=frozenset(refs & set(active)),
            condition=body.get("Condition"),
            deletion_policy=body.get("DeletionPolicy", "Delete"),
            update_replace_policy=body.get("UpdateReplacePolicy", "Delete"),
            metadata=dict(body.get("Metadata") or {}),
        )
    order = topological_order({n: d.depends_on for n, d in resources.items()})
    outputs: dict[str, OutputDecl] = {}
    for name, body in _outputs_section(doc).items():
        if body.get("Condition") is not None and not conditions[body["Condition"]]:
            continue
        refs = references(body, conditions)
        _check_unresolved(refs, known, "Outputs")
        _check_get_att_targets(body, conditions, set(active))
        export = body.get("Export")
        outputs[name] = OutputDecl(
            name=name,
            value=body["Value"],
            description=None if body.get("Description") is None else str(body["Description"]),
            export_name=None if export is None else export["Name"],
            condition=body.get("Condition"),
            depends_on=frozenset(refs & set(active)),
        )
    return Plan(
        resources=resources,
        outputs=outputs,
        conditions=conditions,
        mappings=mappings,
        order=tuple(order),
    )


def _check_sections(doc: Mapping[str, Any]) -> None:
    unknown = sorted(set(doc) - SECTIONS)
    if unknown:
        raise format_error(f"Invalid template property or properties [{', '.join(unknown)}]")
    version = doc.get("AWSTemplateFormatVersion")
    if version is not None and str(version) != TEMPLATE_VERSION:
        raise format_error(f"{version} is not a supported value for AWSTemplateFormatVersion.")
    description = doc.get("Description")
    if description is not None:
        if not isinstance(description, str):
            raise format_error("Description must be a string")
        if len(description.encode()) > MAX_DESCRIPTION:
            raise format_error(f"Template description can be no more than {MAX_DESCRIPTION} bytes")


def _check_mappings(doc: Mapping[str, Any]) -> None:
    mappings = _section(doc, "Mappings")
    if len(mappings) > MAX_MAPPINGS:
        raise format_error(
            f"Number of mappings declared {len(mappings)} is greater than maximum allowed"
            f" {MAX_MAPPINGS}."
        )
    for name, mapping in mappings.items():
        if not _ALNUM.match(name):
            raise format_error(f"Mapping name {name} is non alphanumeric.")
        if not isinstance(mapping, dict) or not mapping:
            raise format_error(f"Mappings attribute {name} must be a non-empty JSON/YAML object")
        for key, values in mapping.items():
            if not isinstance(values, dict):
                raise format_error(
                    f"Mappings attribute {name}.{key} must be a JSON/YAML object of names to values"
                )
            for value in values.values():
                # Mappings are data: no functions, only strings (numbers) and lists of them.
                items = value if isinstance(value, list) else [value]
                if not all(isinstance(item, str | int | float) for item in items):
                    raise format_error("Every Mappings attribute must be a String or a List.")


def _resources_section(doc: Mapping[str, Any]) -> dict[str, Any]:
    resources = doc.get("Resources")
    if resources is None or (isinstance(resources, dict) and not resources):
        raise format_error("At least one Resources member must be defined.")
    if not isinstance(resources, dict):
        raise format_error("Resources section must be a JSON/YAML object")
    if len(resources) > MAX_RESOURCES:
        raise format_error(
            f"Number of resources, {len(resources)}, is greater than maximum allowed,"
            f" {MAX_RESOURCES}"
        )
    return resources


def _outputs_section(doc: Mapping[str, Any]) -> dict[str, Any]:
    outputs = _section(doc, "Outputs")
    if len(outputs) > MAX_OUTPUTS:
        raise format_error(
            f"Number of outputs declared {len(outputs)} is greater than maximum allowed"
            f" {MAX_OUTPUTS}."
        )
    return outputs


def _check_resource(logical_id: str, body: Any, condition_names: set[str]) -> None:
    if not _ALNUM.match(logical_id) or len(logical_id) > 255:
        raise format_error(f"Resource name {logical_id} is non alphanumeric.")
    if not isinstance(body, dict):
        raise format_error("Every Resources member must be an object.")
    type_name = body.get("Type")
    if not isinstance(type_name, str) or not type_name:
        raise format_error("Every Resources object must contain a Type member.")
    unknown = sorted(set(body) - RESOURCE_ATTRIBUTES)
    if unknown:
        raise TemplateError(f"Invalid template resource property '{unknown[0]}'")
    properties = body.get("Properties")
    if properties is not None and not isinstance(properties, dict):
        raise format_error(f"[/Resources/{logical_id}/Properties] must be a JSON/YAML object")
    depends = body.get("DependsOn")
    if depends is not None and not (
        isinstance(depends, str)
        or (isinstance(depends, list) and all(isinstance(d, str) for d in depends))
    ):
        raise format_error(
            f"[/Resources/{logical_id}/DependsOn] DependsOn must be a string or a list of strings"
        )
    condition = body.get("Condition")
    if condition is not None and condition not in condition_names:
        raise format_error(f"Unresolved condition dependency {condition} in resource {logical_id}")
    for key, allowed in (
        ("DeletionPolicy", DELETION_POLICIES),
        ("UpdateReplacePolicy", UPDATE_REPLACE_POLICIES),
    ):
        policy = body.get(key)
        if policy is not None and policy not in allowed:
            raise format_error(f"Unrecognized {key} {policy} for resource {logical_id}")


def _check_output(name: str, body: Any, condition_names: set[str]) -> None:
    if not _ALNUM.match(name) or len(name) > 255:
        raise format_error(f"Output name {name} is non alphanumeric.")
    if not isinstance(body, dict) or "Value" not in body:
        raise format_error("Every Outputs member must contain a Value object")
    unknown = sorted(set(body) - OUTPUT_KEYS)
    if unknown:
        raise format_error(f"Invalid outputs property : [{', '.join(unknown)}]")
    export = body.get("Export")
    if export is not None and (not isinstance(export, dict) or "Name" not in export):
        raise format_error(f"Output {name} is malformed. Export must contain a Name.")
    condition = body.get("Condition")
    if condition is not None and condition not in condition_names:
        raise format_error(f"Unresolved condition dependency {condition} in output {name}")


def _resource_refs(body: Mapping[str, Any], conditions: Mapping[str, bool] | None) -> set[str]:
    depends = body.get("DependsOn") or []
    explicit = {depends} if isinstance(depends, str) else set(depends)
    return explicit | references(body.get("Properties") or {}, conditions)


def _check_unresolved(refs: set[str], known: set[str] | frozenset[str], block: str) -> None:
    missing = sorted(refs - known)
    if missing:
        raise format_error(
            f"Unresolved resource dependencies [{', '.join(missing)}] in the {block} block of"
            " the template"
        )


def _calls(value: Any, conditions: Mapping[str, bool] | None) -> Iterator[tuple[str, Any]]:
    """Every function call in ``value`` (skipping untaken Fn::If branches given conditions)."""
    if isinstance(value, list):
        for item in value:
            yield from _calls(item, conditions)
        return
    if not isinstance(value, dict):
        return
    fn = function_name(value)
    if fn is None:
        for item in value.values():
            yield from _calls(item, conditions)
        return
    args = value[fn]
    yield fn, args
    if (
        fn == "Fn::If"
        and conditions is not None
        and isinstance(args, list)
        and len(args) == 3
        and args[0] in conditions
    ):
        yield from _calls(args[1] if conditions[args[0]] else args[2], conditions)
    else:
        yield from _calls(args, conditions)


def _check_functions(value: Any, condition_names: set[str], resources: set[str]) -> None:
    for fn, args in _calls(value, None):
        if fn not in FUNCTIONS:
            raise unsupported_function(fn)
        if fn == "Fn::If":
            if not isinstance(args, list) or len(args) != 3 or not isinstance(args[0], str):
                raise TemplateError(
                    "Template error: Fn::If requires a list argument with the first element"
                    " being a condition"
                )
            if args[0] not in condition_names:
                raise TemplateError(
                    f"Template error: unresolved condition dependency {args[0]} in Fn::If"
                )
        elif fn == "Fn::GetAtt":
            get_att_args(args)
        elif fn == "Fn::Sub" and not _sub_form(args):
            raise TemplateError(
                "Template error: One or more Fn::Sub intrinsic functions don't specify"
                " expected arguments. Specify a string as first argument, and an optional"
                " second argument to specify a mapping of values to replace in the string"
            )
    del resources


def _sub_form(args: Any) -> bool:
    if isinstance(args, str):
        return True
    return (
        isinstance(args, list)
        and len(args) == 2
        and isinstance(args[0], str)
        and isinstance(args[1], dict)
    )


def _check_get_att_targets(value: Any, conditions: Mapping[str, bool], resources: set[str]) -> None:
    for fn, args in _calls(value, conditions):
        if fn == "Fn::GetAtt":
            target, _ = get_att_args(args)
        elif fn == "Fn::Sub":
            text = args if isinstance(args, str) else args[0]
            variables = {} if isinstance(args, str) else args[1]
            targets = [
                part[0].partition(".")[0]
                for part in sub_parts(text)
                if isinstance(part, tuple) and "." in part[0] and part[0] not in variables
            ]
            for target in targets:
                if target not in resources:
                    raise TemplateError(
                        f"Template error: instance of Fn::Sub references undefined resource"
                        f" {target}"
                    )
            continue
        else:
            continue
        if target not in resources:
            raise TemplateError(
                f"Template error: instance of Fn::GetAtt references undefined resource {target}"
            )


def _check_dynamic_references(logical_id: str, value: Any) -> None:
    """``{{resolve:ssm:...}}`` and the like read services this server does not have: refuse
    them instead of handing the literal text to a resource."""
    if isinstance(value, dict):
        for item in value.values():
            _check_dynamic_references(logical_id, item)
    elif isinstance(value, list):
        for item in value:
            _check_dynamic_references(logical_id, item)
    elif isinstance(value, str) and "{{resolve:" in value:
        match = _DYNAMIC_REFERENCE.search(value)
        service = _DYNAMIC_SERVICES.get(match.group(1), match.group(1)) if match else "it"
        raise TemplateError(
            f"Template format error: resource {logical_id} uses a dynamic reference"
            f" ({match.group(0) if match else value}) that cannot be resolved: {service} is not"
            " served by this server"
        )
