"""What a template is evaluated against: the stack, its region and account, and the resolved
parameter values. Immutable; built by the engine once per stack operation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ovis.errors import ValidationError


def _no_exports(name: str) -> str:
    raise ValidationError(f"No export named {name} found.")


@dataclass(frozen=True)
class Context:
    stack_name: str
    stack_id: str
    region: str
    account_id: str
    # Resolved values as strings (List types comma-joined): what resolve_parameters returns.
    parameters: Mapping[str, str] = field(default_factory=dict)
    # Declared type per parameter; List<...> and CommaDelimitedList make Ref answer a list.
    parameter_types: Mapping[str, str] = field(default_factory=dict)
    notification_arns: tuple[str, ...] = ()
    # Answers Fn::ImportValue; raises ValidationError "No export named X found." when unknown.
    import_value: Callable[[str], str] = _no_exports
