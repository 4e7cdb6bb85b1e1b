"""Pseudo parameters: the names ``Ref`` answers without a declaration.

``AWS::NoValue`` is special: it resolves to ``NO_VALUE``, which the evaluator drops from the
enclosing mapping or list (a property or list item removed, as on AWS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ovis.services.cloudformation.template.context import Context


class _NoValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()

PARTITION: Final = "aws"
URL_SUFFIX: Final = "amazonaws.com"

NAMES: Final = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)


def pseudo_value(name: str, ctx: Context) -> Any:
    """The value of pseudo parameter ``name`` (one of ``NAMES``) in ``ctx``."""
    if name == "AWS::AccountId":
        return ctx.account_id
    if name == "AWS::NotificationARNs":
        return list(ctx.notification_arns)
    if name == "AWS::NoValue":
        return NO_VALUE
    if name == "AWS::Partition":
        return PARTITION
    if name == "AWS::Region":
        return ctx.region
    if name == "AWS::StackId":
        return ctx.stack_id
    if name == "AWS::StackName":
        return ctx.stack_name
    if name == "AWS::URLSuffix":
        return URL_SUFFIX
    raise KeyError(name)


def availability_zones(region: str) -> list[str]:
    """What ``Fn::GetAZs`` answers: the region's three zones, as a default account has."""
    return [f"{region}a", f"{region}b", f"{region}c"]
