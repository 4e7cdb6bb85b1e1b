"""Property handling shared by the service families' resource handlers (iam_, sqs_, sns_, ...):
CloudFormation's schema check and its type coercion, applied before any service is called.

Contract: every function here is pure and raises ``ResourceFailed`` with CloudFormation's
wording ("Encountered unsupported property X", "Property X: expected type: Integer, found: ..."),
so a bad template fails the resource before anything is made. Coercion is CloudFormation's:
integers and booleans may arrive as template strings ("30", "true"); JSON documents may arrive
as objects or as strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ovis.errors import ApiError
from ovis.services.cloudformation.resources.base import ResourceFailed
from ovis.services.cloudformation.resources.coerce import as_list, as_str


def check_properties(
    props: Mapping[str, Any],
    allowed: Iterable[str],
    unsupported: Mapping[str, str] | None = None,
    required: Iterable[str] = (),
) -> None:
    """Fail on a property the type does not have, on one AWS has but this server cannot honour
    (``unsupported``: name -> why), and on a missing required one."""
    known = set(allowed)
    for name in props:
        if unsupported and name in unsupported:
            raise ResourceFailed(
                f"Property {name} is not supported by this server: {unsupported[name]}"
            )
        if name not in known:
            raise ResourceFailed(f"Encountered unsupported property {name}")
    for name in required:
        if props.get(name) is None:
            raise ResourceFailed(f"Property validation failure: [The property {name} is required]")


def as_object(value: Any, name: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ResourceFailed(f"Value of property {name} must be of type Object") from None
    if not isinstance(value, dict):
        raise ResourceFailed(f"Value of property {name} must be of type Object")
    return value


def json_text(value: Any, name: str) -> str:
    """A JSON document property (a policy, a redrive policy, an event pattern) as the text the
    service API takes: objects are serialized, strings pass as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    raise ResourceFailed(f"Value of property {name} must be of type Json")


def tag_list(value: Any, name: str = "Tags") -> list[dict[str, str]]:
    """CloudFormation's ``[{Key, Value}]`` tags, checked and with string values."""
    out: list[dict[str, str]] = []
    for item in as_list(value, name):
        if not isinstance(item, dict) or "Key" not in item or "Value" not in item:
            raise ResourceFailed(f"Value of property {name} must be a list of {{Key, Value}}")
        out.append({"Key": as_str(item["Key"], name), "Value": as_str(item["Value"], name)})
    return out


def tag_map(value: Any, name: str = "Tags") -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tag_list(value, name)}


def tag_changes(before: Any, after: Any, name: str = "Tags") -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove) taking ``before`` to ``after`` (either may be None)."""
    old = tag_map(before or [], name)
    new = tag_map(after or [], name)
    put = {k: v for k, v in new.items() if old.get(k) != v}
    return put, [k for k in old if k not in new]


def changed(req_prev: Mapping[str, Any] | None, props: Mapping[str, Any], name: str) -> bool:
    return (req_prev or {}).get(name) != props.get(name)


def error_code(err: BaseException) -> str:
    return err.code if isinstance(err, ApiError) else ""
