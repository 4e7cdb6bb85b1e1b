"""The contract between the stack engine and the handler of one resource type.

A ``ResourceProvider`` creates, updates and deletes resources of one ``type_name``
(``AWS::SQS::Queue``) by calling its service's operations in process (``ServiceCalls``,
ovis/services/calls.py), never over HTTP. The engine owns ordering, persistence, events and
rollback; a provider owns only the mapping from template properties to its service's calls
and back to a physical id and attributes.

What the engine guarantees a provider:
- ``properties`` are fully resolved (no intrinsic functions, ``AWS::NoValue`` removed), with
  the template's own types (a ``Timeout: 3`` stays an int, ``"3"`` stays a str: providers
  coerce as CloudFormation does).
- ``token`` is fixed for the life of one physical resource and persisted before ``create`` is
  called, so a name generated from it (``physical_name``) is the same after a crash: rollback
  can find and delete what a create that never answered may have made.
- ``update`` is called only when some property changed and no ``create_only`` property did;
  otherwise the engine creates a replacement (a new token) and later deletes the old one.

What a provider guarantees the engine:
- ``create`` returns the physical id (what ``Ref`` answers) and every attribute in
  ``attributes`` it documents for ``Fn::GetAtt``; it raises ``ApiError`` (a service's own
  error) or ``ResourceFailed`` with a message naming what was wrong; nothing half-made is
  left behind when it raises (it deletes what it made first).
- ``delete`` is idempotent: a resource already gone is success. Called with ``physical_id``
  None (a create interrupted by a crash), it deletes the resource ``physical_name`` would
  have named, if the type's name is deterministic, and otherwise does nothing.
- ``update`` returns the (possibly unchanged) physical id and the attributes after the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from ovis.services.calls import Caller


class ResourceFailed(Exception):
    """A resource could not be made as asked; ``message`` becomes the event's reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StackInfo:
    name: str
    stack_id: str  # arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
    region: str
    account_id: str
    caller: Caller  # whose calls the resources are made with


@dataclass(frozen=True)
class ResourceRequest:
    stack: StackInfo
    logical_id: str
    type_name: str
    properties: dict[str, Any]
    token: str  # 12 chars [A-Z0-9], fixed per physical resource (see module docstring)
    physical_id: str | None = None  # update and delete: the resource's current id
    previous_properties: dict[str, Any] | None = None  # update: what was applied last time
    previous_attributes: dict[str, Any] = field(default_factory=dict)

    def physical_name(self, prop: str | None, max_len: int, *, lowercase: bool = False) -> str:
        """The name a resource gets: ``properties[prop]`` when the template names it, else
        CloudFormation's generated ``<stack>-<logical id>-<token>``, shortened (stack name and
        logical id alike) to ``max_len`` and lowercased for types that want it (S3 buckets)."""
        if prop is not None and self.properties.get(prop):
            return str(self.properties[prop])
        return generated_name(self.stack.name, self.logical_id, self.token, max_len, lowercase)


def generated_name(stack: str, logical_id: str, token: str, max_len: int, lowercase: bool) -> str:
    room = max_len - len(token) - 2
    s_room = max(1, room // 2)
    l_room = max(1, room - min(len(stack), s_room))
    name = f"{stack[:s_room]}-{logical_id[:l_room]}-{token}"
    if lowercase:
        name = re.sub(r"[^a-z0-9.-]", "-", name.lower())
    return name[:max_len]


@dataclass(frozen=True)
class ResourceResult:
    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


class ResourceProvider(Protocol):
    """The handler of one resource type; stateless (all state is in the service it calls)."""

    type_name: ClassVar[str]  # "AWS::Lambda::Function"
    # top-level properties whose change replaces the resource (AWS: "Update requires:
    # Replacement")
    create_only: ClassVar[frozenset[str]]
    attributes: ClassVar[frozenset[str]]  # the Fn::GetAtt names AWS documents for the type

    async def create(self, req: ResourceRequest) -> ResourceResult: ...

    async def update(self, req: ResourceRequest) -> ResourceResult: ...

    async def delete(self, req: ResourceRequest) -> None: ...
