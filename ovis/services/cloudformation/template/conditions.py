"""The Conditions section, evaluated once per plan.

A condition may use the condition functions (``Fn::Equals``, ``Fn::And``, ``Fn::Or``,
``Fn::Not``, ``Fn::If``), ``{"Condition": name}``, ``Ref`` of parameters and pseudo
parameters and ``Fn::FindInMap``; never a resource (AWS's "Cannot reference resources in the
Conditions block of the template"). Each condition is evaluated at most once, conditions that
refer to each other in a cycle are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ovis.services.cloudformation.template.errors import TemplateError, format_error
from ovis.services.cloudformation.template.intrinsics import (
    CONDITION_FUNCTIONS,
    Evaluator,
    function_name,
    references,
)
from ovis.services.cloudformation.template.pseudo import NAMES as PSEUDO_NAMES

if TYPE_CHECKING:
    from ovis.services.cloudformation.template.context import Context


def condition_section(doc: Mapping[str, Any]) -> dict[str, Any]:
    section = doc.get("Conditions")
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise format_error("Conditions section must be a JSON/YAML object")
    return section


def evaluate_conditions(
    section: Mapping[str, Any], ctx: Context, mappings: Mapping[str, Any]
) -> dict[str, bool]:
    """Every condition's value; raises ``TemplateError`` for one that is malformed, refers
    to a resource or an undefined condition, or takes part in a cycle."""
    for name, expr in section.items():
        fn = function_name(expr)
        is_ref = isinstance(expr, dict) and len(expr) == 1 and "Condition" in expr
        if fn not in CONDITION_FUNCTIONS and not is_ref:
            raise format_error(
                f"Condition {name}: Conditions can only be boolean operations on parameters"
                " and other conditions"
            )
        outside = sorted(
            ref for ref in references(expr) if ref not in ctx.parameters and ref not in PSEUDO_NAMES
        )
        if outside:
            raise format_error(
                f"Unresolved dependencies [{', '.join(outside)}]. Cannot reference resources"
                " in the Conditions block of the template"
            )
    values: dict[str, bool] = {}
    visiting: list[str] = []

    def condition(name: str) -> bool:
        if name in values:
            return values[name]
        if name not in section:
            raise format_error(f"Unresolved condition dependency {name}")
        if name in visiting:
            cycle = visiting[visiting.index(name) :]
            raise format_error(f"Circular dependency between conditions: [{', '.join(cycle)}]")
        visiting.append(name)
        try:
            result = evaluator.condition_value(section[name], "Conditions")
        finally:
            visiting.pop()
        values[name] = result
        return result

    evaluator = Evaluator(ctx, mappings, condition, None)
    for name in section:
        try:
            condition(name)
        except TemplateError:
            raise
    return values
