"""Intrinsic functions: evaluating a template value, and the names a value refers to.

``resolve(value, ctx, plan, lookup)`` returns ``value`` with every intrinsic function and
pseudo parameter replaced by its value. It is pure (it never changes ``value``) and does no
parsing beyond ``Fn::Sub``'s ``${...}`` scan, so the engine may call it once per resource per
operation. ``AWS::NoValue`` removes the mapping key or list item it is the value of (and a
top-level ``NoValue`` resolves to ``None``). Resource references go through ``lookup``, the
engine's view of the resources made so far; it raises ``ValidationError`` for one it cannot
answer.

``references(value)`` is the set of logical names (resources and parameters, never pseudo
parameters) a value refers to through ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub``; given the
stack's condition values it skips the ``Fn::If`` branches not taken, as CloudFormation's
dependency check does.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

from ovis.services.cloudformation.template.errors import TemplateError, template_error
from ovis.services.cloudformation.template.pseudo import (
    NAMES as PSEUDO_NAMES,
)
from ovis.services.cloudformation.template.pseudo import (
    NO_VALUE,
    availability_zones,
    pseudo_value,
)

if TYPE_CHECKING:
    from ovis.services.cloudformation.template.context import Context
    from ovis.services.cloudformation.template.plan import Plan

FUNCTIONS: Final = frozenset(
    {
        "Ref",
        "Fn::And",
        "Fn::Base64",
        "Fn::Cidr",
        "Fn::Equals",
        "Fn::FindInMap",
        "Fn::GetAZs",
        "Fn::GetAtt",
        "Fn::If",
        "Fn::ImportValue",
        "Fn::Join",
        "Fn::Not",
        "Fn::Or",
        "Fn::Select",
        "Fn::Split",
        "Fn::Sub",
    }
)
CONDITION_FUNCTIONS: Final = frozenset({"Fn::And", "Fn::Equals", "Fn::If", "Fn::Not", "Fn::Or"})
LIST_TYPE_PREFIX: Final = "List<"

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class ResourceLookup(Protocol):
    """The engine's answers for the resources of the stack made so far."""

    def ref(self, logical_id: str) -> str: ...

    def get_att(self, logical_id: str, attribute: str) -> Any: ...


def function_name(value: Any) -> str | None:
    """The intrinsic function ``value`` is a call of (``Ref``, ``Fn::Join``), or None."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
            return str(key)
    return None


def is_list_type(parameter_type: str) -> bool:
    return parameter_type.startswith(LIST_TYPE_PREFIX) or parameter_type == "CommaDelimitedList"


@functools.lru_cache(maxsize=4096)
def sub_parts(template: str) -> tuple[str | tuple[str], ...]:
    """``Fn::Sub``'s string split into literal text and ``(variable,)`` parts; ``${!X}`` is
    the literal ``${X}``. Cached: a stack's strings are scanned once, not per resolve."""
    parts: list[str | tuple[str]] = []
    pos = 0
    for match in _SUB_VAR.finditer(template):
        parts.append(template[pos : match.start()])
        name = match.group(1)
        if name.startswith("!"):
            parts.append("${" + name[1:] + "}")
        else:
            parts.append((name.strip(),))
        pos = match.end()
    parts.append(template[pos:])
    return tuple(p for p in parts if p != "")


def get_att_args(args: Any) -> tuple[str, Any]:
    """``Fn::GetAtt``'s (logical id, attribute) from either form; the attribute may still be a
    function (``Ref`` of a parameter)."""
    if isinstance(args, str):
        resource, dot, attribute = args.partition(".")
        if dot and resource and attribute:
            return resource, attribute
    elif isinstance(args, list) and len(args) == 2 and isinstance(args[0], str):
        return args[0], args[1]
    raise template_error(
        "every Fn::GetAtt object requires two non-empty parameters, the resource name and"
        " the resource attribute"
    )


def references(value: Any, conditions: Mapping[str, bool] | None = None) -> set[str]:
    """The logical names ``value`` refers to (see the module docstring)."""
    out: set[str] = set()
    _collect(value, conditions, out)
    return out


def _collect(value: Any, conditions: Mapping[str, bool] | None, out: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, conditions, out)
        return
    if not isinstance(value, dict):
        return
    fn = function_name(value)
    if fn is None:
        for item in value.values():
            _collect(item, conditions, out)
        return
    args = value[fn]
    if fn == "Ref":
        if isinstance(args, str):
            if args not in PSEUDO_NAMES:
                out.add(args)
        else:
            _collect(args, conditions, out)
    elif fn == "Fn::GetAtt":
        try:
            resource, attribute = get_att_args(args)
        except TemplateError:
            return
        out.add(resource)
        _collect(attribute, conditions, out)
    elif fn == "Fn::Sub":
        text, variables = (args, {}) if isinstance(args, str) else _sub_args_loose(args)
        if isinstance(variables, dict):
            _collect(variables, conditions, out)
        if isinstance(text, str):
            for part in sub_parts(text):
                if isinstance(part, tuple):
                    name = part[0]
                    if name in variables or name in PSEUDO_NAMES:
                        continue
                    out.add(name.partition(".")[0] if "." in name else name)
    elif (
        fn == "Fn::If"
        and conditions is not None
        and isinstance(args, list)
        and len(args) == 3
        and isinstance(args[0], str)
        and args[0] in conditions
    ):
        _collect(args[1] if conditions[args[0]] else args[2], conditions, out)
    else:
        _collect(args, conditions, out)


def _sub_args_loose(args: Any) -> tuple[Any, Any]:
    if isinstance(args, list) and len(args) == 2:
        return args[0], args[1] if isinstance(args[1], dict) else {}
    return None, {}


def resolve(value: Any, ctx: Context, plan: Plan, lookup: ResourceLookup) -> Any:
    """``value`` with every intrinsic function evaluated (see the module docstring)."""
    conditions = plan.conditions

    def condition(name: str) -> bool:
        if name not in conditions:
            raise template_error(f"unresolved condition dependency {name} in Fn::If")
        return conditions[name]

    evaluator = Evaluator(ctx, plan.mappings, condition, lookup)
    out = evaluator.eval(value)
    return None if out is NO_VALUE else out


def _to_str(value: Any, fn: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise template_error(f"{fn} expects a string value, got {_describe(value)}")


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class Evaluator:
    """One evaluation's state: the context, mappings, how a condition's value is found and
    how resources are looked up (None where resources may not be referenced: Conditions)."""

    # Function name -> unbound method; set below the class, extended by subclasses (Rules).
    handlers: Mapping[str, Callable[[Any, Any], Any]]

    def __init__(
        self,
        ctx: Context,
        mappings: Mapping[str, Any],
        condition: Callable[[str], bool],
        lookup: ResourceLookup | None,
    ) -> None:
        self.ctx = ctx
        self.mappings = mappings
        self.condition = condition
        self.lookup = lookup

    def eval(self, value: Any) -> Any:
        if isinstance(value, list):
            items = (self.eval(item) for item in value)
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        fn = function_name(value)
        if fn is None:
            out = {}
            for key, item in value.items():
                resolved = self.eval(item)
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        handler = self.handlers.get(fn)
        if handler is None:
            raise unsupported_function(fn)
        return handler(self, value[fn])

    # -- the functions ---------------------------------------------------------------------

    def ref(self, args: Any) -> Any:
        name = self.eval(args) if isinstance(args, dict) else args
        if not isinstance(name, str):
            raise template_error("Ref requires a string logical name")
        return self.ref_name(name)

    def ref_name(self, name: str) -> Any:
        if name in self.ctx.parameters:
            raw = self.ctx.parameters[name]
            if is_list_type(self.ctx.parameter_types.get(name, "String")):
                return [item.strip() for item in raw.split(",")] if raw != "" else []
            return raw
        if name in PSEUDO_NAMES:
            return pseudo_value(name, self.ctx)
        if self.lookup is None:
            raise TemplateError(
                f"Template format error: Unresolved dependencies [{name}]. Cannot reference"
                " resources in the Conditions block of the template"
            )
        return self.lookup.ref(name)

    def get_att(self, args: Any) -> Any:
        resource, attribute = get_att_args(args)
        attr = self.eval(attribute)
        if not isinstance(attr, str) or not attr:
            raise template_error(
                "every Fn::GetAtt object requires two non-empty parameters, the resource name"
                " and the resource attribute"
            )
        if self.lookup is None:
            raise TemplateError(
                f"Template format error: Unresolved dependencies [{resource}]. Cannot reference"
                " resources in the Conditions block of the template"
            )
        return self.lookup.get_att(resource, attr)

    def sub(self, args: Any) -> Any:
        if isinstance(args, str):
            text, variables = args, {}
        elif (
            isinstance(args, list)
            and len(args) == 2
            and isinstance(args[0], str)
            and isinstance(args[1], dict)
        ):
            text, variables = args[0], args[1]
        else:
            raise template_error(
                "One or more Fn::Sub intrinsic functions don't specify expected arguments."
                " Specify a string as first argument, and an optional second argument to"
                " specify a mapping of values to replace in the string"
            )
        values = {key: self.eval(item) for key, item in variables.items()}
        out: list[str] = []
        for part in sub_parts(text):
            if isinstance(part, str):
                out.append(part)
                continue
            name = part[0]
            if name in values:
                resolved = values[name]
            elif "." in name and name not in self.ctx.parameters:
                resource, _, attribute = name.partition(".")
                resolved = self.get_att([resource, attribute])
            else:
                resolved = self.ref_name(name)
            out.append(_to_str(resolved, "Fn::Sub"))
        return "".join(out)

    def join(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 2:
            raise _join_error()
        delimiter = self.eval(args[0])
        items = self.eval(args[1])
        if not isinstance(delimiter, str) or not isinstance(items, list):
            raise _join_error()
        try:
            return delimiter.join(_to_str(item, "Fn::Join") for item in items)
        except TemplateError:
            raise _join_error() from None

    def if_(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 3 or not isinstance(args[0], str):
            raise template_error(
                "Fn::If requires a list argument with the first element being a condition"
            )
        branch = args[1] if self.condition(args[0]) else args[2]
        if self.lookup is None and _is_condition_ref(branch):
            # Inside Conditions, a branch may name another condition.
            return self.condition_value(branch, "Fn::If")
        return self.eval(branch)

    def condition_value(self, value: Any, fn: str) -> bool:
        """One operand of a condition function: ``{"Condition": name}`` or a function."""
        if _is_condition_ref(value):
            name = value["Condition"]
            if not isinstance(name, str):
                raise template_error(f"{fn} requires condition names as strings")
            return self.condition(name)
        result = self.eval(value)
        if not isinstance(result, bool):
            raise template_error(f"{fn} requires condition functions as arguments")
        return result

    def equals(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 2:
            raise template_error("Fn::Equals requires a list argument with two elements")
        left, right = (self.eval(item) for item in args)
        return _comparable(left) == _comparable(right)

    def and_(self, args: Any) -> Any:
        conditions = self._conditions(args, "Fn::And", 2, 10)
        return all(self.condition_value(item, "Fn::And") for item in conditions)

    def or_(self, args: Any) -> Any:
        conditions = self._conditions(args, "Fn::Or", 2, 10)
        return any(self.condition_value(item, "Fn::Or") for item in conditions)

    def not_(self, args: Any) -> Any:
        (condition,) = self._conditions(args, "Fn::Not", 1, 1)
        return not self.condition_value(condition, "Fn::Not")

    def _conditions(self, args: Any, fn: str, low: int, high: int) -> list[Any]:
        if not isinstance(args, list) or not low <= len(args) <= high:
            count = "one element" if high == 1 else f"between {low} and {high} elements"
            raise template_error(f"{fn} requires a list argument with {count}")
        return args

    def select(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 2:
            raise template_error(
                "Fn::Select requires a list argument with two elements: an integer index and a list"
            )
        index = self.eval(args[0])
        items = self.eval(args[1])
        try:
            position = int(index) if not isinstance(index, bool) else -1
        except (TypeError, ValueError):
            position = -1
        if isinstance(index, float) or not isinstance(items, list):
            raise template_error(
                "Fn::Select requires a list argument with two elements: an integer index and a list"
            )
        if not 0 <= position < len(items):
            raise template_error(f"Fn::Select cannot select nonexistent value at index {index}")
        return items[position]

    def split(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 2:
            raise template_error(
                "Fn::Split requires a list argument with two elements: a delimiter and a"
                " source string"
            )
        delimiter = self.eval(args[0])
        source = self.eval(args[1])
        if not isinstance(delimiter, str) or not delimiter or not isinstance(source, str):
            raise template_error(
                "Fn::Split requires a list argument with two elements: a delimiter and a"
                " source string"
            )
        return source.split(delimiter)

    def find_in_map(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 3:
            raise template_error(
                "Fn::FindInMap requires a list argument with three elements: a map name, a"
                " top-level key and a second-level key"
            )
        names = [_to_str(self.eval(item), "Fn::FindInMap") for item in args]
        mapping = self.mappings.get(names[0])
        if not isinstance(mapping, dict):
            raise template_error(
                f"Mapping named '{names[0]}' is not present in the 'Mappings' section of template."
            )
        top = mapping.get(names[1])
        if not isinstance(top, dict) or names[2] not in top:
            raise template_error(f"Unable to get mapping for {names[0]}::{names[1]}::{names[2]}")
        return top[names[2]]

    def base64(self, args: Any) -> Any:
        text = _to_str(self.eval(args), "Fn::Base64")
        return base64.b64encode(text.encode()).decode()

    def import_value(self, args: Any) -> Any:
        name = self.eval(args)
        if not isinstance(name, str):
            raise template_error("Fn::ImportValue requires an export name as a string")
        return self.ctx.import_value(name)

    def get_azs(self, args: Any) -> Any:
        region = self.eval(args)
        if not isinstance(region, str):
            raise template_error("Fn::GetAZs requires a region name as a string")
        return availability_zones(region or self.ctx.region)

    def cidr(self, args: Any) -> Any:
        if not isinstance(args, list) or len(args) != 3:
            raise _cidr_error()
        block, count, bits = (self.eval(item) for item in args)
        try:
            network = ipaddress.ip_network(str(block), strict=False)
            count, bits = int(count), int(bits)
        except (TypeError, ValueError):
            raise _cidr_error() from None
        prefix = network.max_prefixlen - bits
        if not network.prefixlen <= prefix <= network.max_prefixlen or not 1 <= count <= 256:
            raise _cidr_error()
        out: list[str] = []
        for subnet in network.subnets(new_prefix=prefix):
            if len(out) == count:
                break
            out.append(str(subnet))
        if len(out) < count:
            raise _cidr_error()
        return out


def _is_condition_ref(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and "Condition" in value


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _join_error() -> TemplateError:
    return template_error(
        "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list"
        " of strings to be joined or a function that returns a list of strings (such as"
        " Fn::GetAZs) to be joined."
    )


def _cidr_error() -> TemplateError:
    return template_error(
        "Fn::Cidr requires a list argument with three elements: an IP address block in CIDR"
        " notation, the number of subnets (1 to 256) and the number of subnet bits"
    )


def unsupported_function(fn: str) -> TemplateError:
    supported = ", ".join(sorted(FUNCTIONS - {"Ref"}))
    return template_error(
        f"Encountered unsupported function: {fn} Supported functions are: [{supported}]"
    )


_HANDLERS: Final[dict[str, Callable[[Evaluator, Any], Any]]] = {
    "Ref": Evaluator.ref,
    "Fn::And": Evaluator.and_,
    "Fn::Base64": Evaluator.base64,
    "Fn::Cidr": Evaluator.cidr,
    "Fn::Equals": Evaluator.equals,
    "Fn::FindInMap": Evaluator.find_in_map,
    "Fn::GetAZs": Evaluator.get_azs,
    "Fn::GetAtt": Evaluator.get_att,
    "Fn::If": Evaluator.if_,
    "Fn::ImportValue": Evaluator.import_value,
    "Fn::Join": Evaluator.join,
    "Fn::Not": Evaluator.not_,
    "Fn::Or": Evaluator.or_,
    "Fn::Select": Evaluator.select,
    "Fn::Split": Evaluator.split,
    "Fn::Sub": Evaluator.sub,
}
Evaluator.handlers = _HANDLERS
