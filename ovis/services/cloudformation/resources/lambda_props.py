"""Reading a Lambda resource's template properties as CloudFormation's schema check does.

Contract: ``Props`` answers each property coerced to the type the resource schema gives it
(CloudFormation accepts ``"30"`` and ``30`` for an integer, ``"true"`` and ``true`` for a
boolean); a property the type does not document fails with ``ResourceFailed("Encountered
unsupported property X")`` before any call is made, and a value of the wrong shape fails naming
the property, so no resource is half-made from a bad template. ``poll`` is the stabilization
wait every provider of the family uses.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from ovis.errors import ApiError
from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceFailed, ResourceRequest
from ovis.services.cloudformation.resources.coerce import as_bool, as_dict, as_int, as_list, as_str

T = TypeVar("T")
# the error codes meaning "there is nothing to delete"
GONE = frozenset({"ResourceNotFoundException", "ProvisionedConcurrencyConfigNotFoundException"})


def check_known(props: Mapping[str, Any], known: Iterable[str]) -> None:
    allowed = set(known)
    for name in props:
        if name not in allowed:
            raise ResourceFailed(f"Encountered unsupported property {name}")


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
    except ApiError as e:
        if e.code in GONE:
            return None
        raise


WAIT_S = 300.0  # how long a resource may take to stabilize before it fails


async def poll(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = WAIT_S) -> T:
    """Await ``probe`` until it answers something other than None (CloudFormation's
    stabilization wait); the service's own background work moves the resource on, so the
    interval starts short and backs off."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        out = await probe()
        if out is not None:
            return out
        if time.monotonic() > deadline:
            raise ResourceFailed(f"{what} did not stabilize within {int(timeout)}s")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)


def arn_tail(arn: str, n: int) -> list[str]:
    """The last ``n`` colon-separated fields of an ARN (a version ARN's name and version)."""
    return arn.split(":")[-n:]
