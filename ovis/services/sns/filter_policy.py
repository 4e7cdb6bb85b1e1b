"""Subscription filter policies, matched by THE event-pattern matcher (ovis.models.event_pattern).

Why a translation and not a second matcher: an SNS filter policy's operators (exact values,
``prefix``, ``suffix``, ``equals-ignore-case``, ``anything-but``, ``numeric``, ``exists``,
``cidr``, ``$or``) have the same syntax and meaning as EventBridge's. What differs is what a
policy is matched against, and that is what this module supplies:

- ``FilterPolicyScope: MessageAttributes`` (the default): the policy sees one object whose keys
  are the message attributes; a ``String`` attribute is its string, a ``Number`` attribute its
  number (so ``numeric`` applies and ``"10"`` never equals ``10``), a ``String.Array`` the
  decoded JSON array (a leaf matches any element); ``Binary`` attributes are invisible. Nested
  policy objects are refused in this scope, as SNS refuses them.
- ``FilterPolicyScope: MessageBody``: the policy sees the message body decoded as a JSON object;
  a body that is not a JSON object matches no policy (except one of only ``exists: false``).

SNS's own limits are checked on top: at most 5 attribute keys in the attributes scope, at most
150 value combinations, 256 KB of policy text. Violations raise InvalidParameter with a
``FilterPolicy: ...`` reason; a compiled ``FilterPolicy`` is immutable and thread-safe.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from ovis.errors import InvalidEventPatternException
from ovis.models.event_pattern import EventPattern, compile_pattern
from ovis.services.sns.errors import InvalidParameter

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024
SCOPES = ("MessageAttributes", "MessageBody")


@dataclass(frozen=True)
class FilterPolicy:
    scope: str
    pattern: EventPattern

    def matches(self, message: str, attributes: dict[str, Any] | None) -> bool:
        """Whether a message (its text and its API-shaped attributes) passes the policy."""
        if self.scope == "MessageBody":
            try:
                body = json.loads(message)
            except ValueError:
                body = None
            return self.pattern.matches(body if isinstance(body, dict) else {})
        return self.pattern.matches(attribute_values(attributes or {}))


def attribute_values(attributes: dict[str, Any]) -> dict[str, Any]:
    """The message attributes as the policy sees them (see the module docstring)."""
    out: dict[str, Any] = {}
    for name, attr in attributes.items():
        kind = str(attr.get("DataType", ""))
        value = attr.get("StringValue")
        if value is None or kind.startswith("Binary"):
            continue
        if kind.startswith("Number"):
            try:
                n = float(value)
            except ValueError:
                continue
            out[name] = n if math.isfinite(n) else value
        elif kind == "String.Array":
            try:
                items = json.loads(value)
            except ValueError:
                items = value
            out[name] = items
        else:
            out[name] = value
    return out


def compile_filter_policy(text: str, scope: str = "MessageAttributes") -> FilterPolicy:
    """Validate and compile a policy's JSON text for ``scope``; InvalidParameter if bad."""
    if scope not in SCOPES:
        raise InvalidParameter(
            "Attributes Reason: FilterPolicyScope: Invalid value [" + scope + "]"
        )
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise InvalidParameter("FilterPolicy: Filter policy is too long")
    try:
        doc = json.loads(text)
    except ValueError:
        raise InvalidParameter("FilterPolicy: failed to parse JSON.") from None
    if not isinstance(doc, dict):
        raise InvalidParameter("FilterPolicy: Filter policy must be a JSON object")
    if scope == "MessageAttributes":
        _flat(doc)
        keys = [k for k in doc if k != "$or"]
        if len(keys) > MAX_KEYS:
            raise InvalidParameter(
                f"FilterPolicy: Filter policy can not have more than {MAX_KEYS} keys"
            )
    if _combinations(doc) > MAX_COMBINATIONS:
        raise InvalidParameter("FilterPolicy: Filter policy is too complex")
    try:
        pattern = compile_pattern(doc)
    except InvalidEventPatternException as e:
        reason = e.message.removeprefix("Event pattern is not valid. Reason: ")
        raise InvalidParameter(f"FilterPolicy: {reason}") from None
    return FilterPolicy(scope, pattern)


def _flat(doc: dict[str, Any]) -> None:
    for key, value in doc.items():
        if key == "$or" and isinstance(value, list):
            for alt in value:
                if isinstance(alt, dict):
                    _flat(alt)
        elif isinstance(value, dict):
            raise InvalidParameter(
                "FilterPolicy: Filter policy scope MessageAttributes does not support nested "
                "filter policy"
            )


def _combinations(doc: Any) -> int:
    """How many value combinations a policy spells out (SNS bounds their product)."""
    if not isinstance(doc, dict):
        return 1
    total = 1
    for key, value in doc.items():
        if key == "$or" and isinstance(value, list):
            total *= max(1, sum(_combinations(alt) for alt in value))
        elif isinstance(value, list):
            total *= max(1, len(value))
        elif isinstance(value, dict):
            total *= _combinations(value)
    return total
