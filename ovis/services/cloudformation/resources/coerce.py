"""CloudFormation's coercion of template values to a resource schema's types, shared by every
resource family: integers and booleans may arrive as template strings ("30", "true"), numbers
and booleans where strings are expected. Pure; a value that cannot be read as the type raises
``ResourceFailed`` naming the property and the type, before any service is called."""

from __future__ import annotations

from typing import Any

from ovis.services.cloudformation.resources.base import ResourceFailed


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
