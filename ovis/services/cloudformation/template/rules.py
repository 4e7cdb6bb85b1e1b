"""The Rules section: assertions on parameter values, checked before anything is made.

Each rule has an optional ``RuleCondition`` and a list of ``Assertions`` (``Assert`` plus an
optional ``AssertDescription``). Rules may use the condition functions, ``Ref`` of parameters
and pseudo parameters, and the rule-specific ``Fn::Contains``, ``Fn::EachMemberEquals``,
``Fn::EachMemberIn`` and ``Fn::RefAll``. ``Fn::ValueOf``/``Fn::ValueOfAll`` read attributes
of EC2 resources (a VPC's tags, a subnet's VPC): this server has no EC2, so they are refused.
A failing assertion raises ``ValidationError`` whose message is its ``AssertDescription``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from ovis.errors import ValidationError
from ovis.services.cloudformation.template.errors import (
    TemplateError,
    format_error,
    template_error,
)
from ovis.services.cloudformation.template.intrinsics import (
    Evaluator,
    is_list_type,
    references,
)
from ovis.services.cloudformation.template.pseudo import NAMES as PSEUDO_NAMES

if TYPE_CHECKING:
    from ovis.services.cloudformation.template.context import Context

_RULE_KEYS: Final = frozenset({"RuleCondition", "Assertions"})
_ASSERTION_KEYS: Final = frozenset({"Assert", "AssertDescription"})


def check_rule_section(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The Rules section, its shape checked (no values needed)."""
    section = doc.get("Rules")
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise format_error("Rules section must be a JSON/YAML object")
    for name, rule in section.items():
        if not isinstance(rule, dict) or "Assertions" not in rule:
            raise format_error(f"Rule {name} must contain an Assertions member")
        unknown = sorted(set(rule) - _RULE_KEYS)
        if unknown:
            raise format_error(f"Invalid rule property '{unknown[0]}' in rule {name}")
        assertions = rule["Assertions"]
        if not isinstance(assertions, list) or not assertions:
            raise format_error(f"Rule {name}: Assertions must be a non-empty list")
        for item in assertions:
            if not isinstance(item, dict) or "Assert" not in item:
                raise format_error(f"Rule {name}: every assertion must contain an Assert member")
            if set(item) - _ASSERTION_KEYS:
                raise format_error(f"Rule {name}: invalid assertion property")
    return section


class _RuleEvaluator(Evaluator):
    def _list(self, value: Any, fn: str) -> list[str]:
        resolved = self.eval(value)
        if isinstance(resolved, str):
            return [resolved]
        if not isinstance(resolved, list):
            raise template_error(f"{fn} requires a list of strings")
        return [str(item) for item in resolved]

    def contains(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 2:
            raise template_error("Fn::Contains requires a list argument with two elements")
        return str(self.eval(args[1])) in self._list(args[0], "Fn::Contains")

    def each_member_equals(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 2:
            raise template_error("Fn::EachMemberEquals requires a list argument with two elements")
        value = str(self.eval(args[1]))
        return all(item == value for item in self._list(args[0], "Fn::EachMemberEquals"))

    def each_member_in(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 2:
            raise template_error("Fn::EachMemberIn requires a list argument with two elements")
        allowed = set(self._list(args[1], "Fn::EachMemberIn"))
        return all(item in allowed for item in self._list(args[0], "Fn::EachMemberIn"))

    def ref_all(self, args: Any) -> Any:
        if not isinstance(args, str):
            raise template_error("Fn::RefAll requires a parameter type")
        out: list[str] = []
        for name, type_name in self.ctx.parameter_types.items():
            if type_name == args and name in self.ctx.parameters:
                raw = self.ctx.parameters[name]
                out.extend(raw.split(",") if is_list_type(type_name) else [raw])
        return out

    def value_of(self, args: Any) -> Any:
        raise TemplateError(
            "Template error: Fn::ValueOf and Fn::ValueOfAll read EC2 resource attributes;"
            " EC2 is not served by this server"
        )


_RuleEvaluator.handlers = {
    **Evaluator.handlers,
    "Fn::Contains": _RuleEvaluator.contains,
    "Fn::EachMemberEquals": _RuleEvaluator.each_member_equals,
    "Fn::EachMemberIn": _RuleEvaluator.each_member_in,
    "Fn::RefAll": _RuleEvaluator.ref_all,
    "Fn::ValueOf": _RuleEvaluator.value_of,
    "Fn::ValueOfAll": _RuleEvaluator.value_of,
}


def _no_conditions(name: str) -> bool:
    raise format_error(f"Rules cannot refer to conditions (Condition {name})")


def check_rules(doc: Mapping[str, Any], ctx: Context, mappings: Mapping[str, Any]) -> None:
    """Raises ``ValidationError`` for the first assertion that fails (see module docstring)."""
    section = check_rule_section(doc)
    condition: Callable[[str], bool] = _no_conditions
    evaluator = _RuleEvaluator(ctx, mappings, condition, None)
    for name, rule in section.items():
        outside = sorted(
            ref for ref in references(rule) if ref not in ctx.parameters and ref not in PSEUDO_NAMES
        )
        if outside:
            raise format_error(
                f"Unresolved dependencies [{', '.join(outside)}]. Cannot reference resources"
                " in the Rules block of the template"
            )
        if "RuleCondition" in rule and not _truth(evaluator, rule["RuleCondition"], name):
            continue
        for item in rule["Assertions"]:
            if not _truth(evaluator, item["Assert"], name):
                description = item.get("AssertDescription")
                raise ValidationError(
                    str(description) if description else f"Assertion failed for rule {name}"
                )


def _truth(evaluator: Evaluator, expr: Any, rule: str) -> bool:
    result = evaluator.eval(expr)
    if not isinstance(result, bool):
        raise template_error(f"Rule {rule}: conditions and assertions must be rule functions")
    return result
