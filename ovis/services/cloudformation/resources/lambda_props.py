"""Reading a Lambda resource's template properties as CloudFormation's schema check does.

Contract: ``Props`` answers each property coerced to the type the resource schema gives it
(CloudFormation accepts ``"30"`` and ``30`` for an integer, ``"true"`` and ``true`` for a
boolean); a property the type does not document fails with ``ResourceFailed("Encountered
unsupported property X")`` before any call is made, and a value of the wrong shape fails naming
the property, so no resource is half-made from a bad template. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ovis.errors import ResourceNotFoundException
from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceFailed, ResourceRequest


def check_known(props: Mapping[str, Any], known: Iterable[str]) -> None:
    allowed = set(known)
    for name in props:
        if name not in allowed:
            raise ResourceFailed(f"Encountered unsupported property {name}")


def as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ResourceFailed(f"Property {name}: expected type: Integer, found: Boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ResourceFailed(f"Property {name}: expected type: Integer, found: {value!r}")


def as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ResourceFailed(f"Property {name}: expected type: Boolean, found: {value!r}")


def as_str(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise ResourceFailed(f"Property {name}: expected type: String, found: {type(value).__name__}")


def as_dict(value: Any, name: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise ResourceFailed(f"Property {name}: expected type: JSONObject, found: {value!r}")


def as_list(value: Any, name: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise ResourceFailed(f"Property {name}: expected type: JSONArray, found: {value!r}")


def as_str_list(value: Any, name: str) -> list[str]:
    return [as_str(v, name) for v in as_list(value, name)]


def tags_of(value: Any, name: str = "Tags") -> dict[str, str]:
    """CloudFormation's ``[{Key, Value}]`` -> Lambda's ``{key: value}``."""
    out: dict[str, str] = {}
    for item in as_list(value, name):
        tag = as_dict(item, name)
        check_known(tag, ("Key", "Value"))
        if "Key" not in tag:
            raise ResourceFailed(f"Property {name}: required key [Key] not found")
        out[as_str(tag["Key"], name)] = as_str(tag.get("Value", ""), name)
    return out


def stack_tags(req: ResourceRequest) -> dict[str, str]:
    """The tags CloudFormation adds to every taggable resource it makes."""
    return {
        "aws:cloudformation:stack-name": req.stack.name,
        "aws:cloudformation:stack-id": req.stack.stack_id,
        "aws:cloudformation:logical-id": req.logical_id,
    }


def shape(value: Any, name: str, spec: Mapping[str, str]) -> dict[str, Any]:
    """A nested property object coerced member by member: ``spec`` maps each documented member
    to "int", "bool", "str", "strs" (list of strings), "dict" or "list"."""
    obj = as_dict(value, name)
    check_known(obj, spec)
    out: dict[str, Any] = {}
    for key, v in obj.items():
        kind = spec[key]
        where = f"{name}.{key}"
        if kind == "int":
            out[key] = as_int(v, where)
        elif kind == "bool":
            out[key] = as_bool(v, where)
        elif kind == "str":
            out[key] = as_str(v, where)
        elif kind == "strs":
            out[key] = as_str_list(v, where)
        elif kind == "dict":
            out[key] = as_dict(v, where)
        else:
            out[key] = as_list(v, where)
    return out


def required(props: Mapping[str, Any], *names: str) -> None:
    for n in names:
        if props.get(n) in (None, ""):
            raise ResourceFailed(f"Property validation failure: [#: required key [{n}] not found]")


async def ignore_missing(
    calls: ServiceCalls, op: str, params: dict[str, Any], caller: Caller
) -> dict[str, Any] | None:
    """A Lambda call where "already gone" is success (deletes are idempotent)."""
    try:
        return await calls("lambda", op, params, caller)
    except ResourceNotFoundException:
        return None
