"""CloudFormation values: stacks, their resources, their events and change sets.

All frozen; a change is a new value (``dataclasses.replace``). ``to_json``/``from_json`` are the
stored form (one JSON document per aggregate), stable across releases: unknown keys are ignored
on load and missing ones take their defaults, so a later release may add fields.

What the engine relies on after a crash (see ovis/services/cloudformation/engine.py): a stack's
``status`` and ``operation`` say what was running; each resource's ``token`` (fixed before its
create is called), ``physical_id``, resolved ``properties`` and ``attributes`` say what exists;
``old`` is the resource as it was before the running update (what a rollback restores or a
cleanup deletes) and ``action`` what that update does to it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# the statuses a stack rests in (no operation running)
IN_PROGRESS_SUFFIX = "_IN_PROGRESS"


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


@dataclass(frozen=True)
class ResourceState:
    """One physical resource as made: what a rollback restores or a cleanup deletes."""

    type: str
    token: str
    physical_id: str | None
    properties: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> ResourceState:
        return ResourceState(**_known(ResourceState, d))


@dataclass(frozen=True)
class StackResource:
    stack_id: str
    logical_id: str
    type: str
    status: str  # CREATE_IN_PROGRESS, CREATE_COMPLETE, ..., DELETE_COMPLETE
    token: str
    physical_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)  # resolved, as applied
    attributes: dict[str, Any] = field(default_factory=dict)
    status_reason: str = ""
    updated_s: float = 0.0
    depends_on: tuple[str, ...] = ()  # logical ids (for the order of deletes)
    deletion_policy: str = "Delete"
    update_replace_policy: str = "Delete"
    metadata: Any = None
    description: str = ""
    # the running update: "Add" | "Modify" | "Replace" | "" (none); ``old`` is the resource
    # before it ("Modify"/"Replace"), ``replacement`` what an update rollback made obsolete
    action: str = ""
    old: ResourceState | None = None
    replacement: ResourceState | None = None

    def state(self) -> ResourceState:
        return ResourceState(
            self.type, self.token, self.physical_id, self.properties, self.attributes
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> StackResource:
        d = _known(StackResource, json.loads(text))
        d["depends_on"] = tuple(d.get("depends_on", ()))
        for key in ("old", "replacement"):
            if d.get(key) is not None:
                d[key] = ResourceState.from_dict(d[key])
        return StackResource(**d)


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    stack_id: str
    stack_name: str
    logical_id: str
    physical_id: str
    resource_type: str
    timestamp: float
    status: str
    reason: str = ""
    properties: str | None = None  # the resource's properties as JSON text
    client_request_token: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> StackEvent:
        return StackEvent(**_known(StackEvent, json.loads(text)))


@dataclass(frozen=True)
class Output:
    key: str
    value: str
    description: str | None = None
    export_name: str | None = None


@dataclass(frozen=True)
class Previous:
    """What a stack was before the running update (restored by its rollback)."""

    template_body: str
    template: dict[str, Any]
    parameters: dict[str, str]
    outputs: tuple[Output, ...]
    description: str | None
    imports: tuple[str, ...]


@dataclass(frozen=True)
class Stack:
    stack_id: str  # arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
    name: str
    region: str
    account_id: str
    status: str
    created_s: float
    template_body: str = ""  # as the user sent it (GetTemplate Original)
    template: dict[str, Any] = field(default_factory=dict)  # after transforms (Processed)
    parameters: dict[str, str] = field(default_factory=dict)  # resolved
    no_echo: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    notification_arns: tuple[str, ...] = ()
    status_reason: str = ""
    description: str | None = None
    updated_s: float | None = None
    deleted_s: float | None = None
    disable_rollback: bool = False
    on_failure: str = "ROLLBACK"  # ROLLBACK | DO_NOTHING | DELETE (create only)
    termination_protection: bool = False
    role_arn: str | None = None
    timeout_minutes: int | None = None
    outputs: tuple[Output, ...] = ()
    imports: tuple[str, ...] = ()  # export names this stack's template imports
    change_set_id: str | None = None
    client_request_token: str | None = None
    delete_requested: bool = False  # a DeleteStack waiting for the running operation
    previous: Previous | None = None

    @property
    def in_progress(self) -> bool:
        return self.status.endswith(IN_PROGRESS_SUFFIX) and self.status != "REVIEW_IN_PROGRESS"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> Stack:
        d = _known(Stack, json.loads(text))
        for key in ("no_echo", "capabilities", "notification_arns", "imports"):
            d[key] = tuple(d.get(key, ()))
        d["tags"] = tuple(tuple(p) for p in d.get("tags", ()))
        d["outputs"] = tuple(Output(**_known(Output, o)) for o in d.get("outputs", ()))
        p = d.get("previous")
        if p is not None:
            p = _known(Previous, p)
            p["outputs"] = tuple(Output(**_known(Output, o)) for o in p.get("outputs", ()))
            p["imports"] = tuple(p.get("imports", ()))
            d["previous"] = Previous(**p)
        return Stack(**d)


@dataclass(frozen=True)
class ChangeSet:
    change_set_id: str  # arn:aws:cloudformation:<region>:<account>:changeSet/<name>/<uuid>
    name: str
    stack_id: str
    stack_name: str
    change_set_type: str  # CREATE | UPDATE
    status: str  # CREATE_PENDING | CREATE_IN_PROGRESS | CREATE_COMPLETE | FAILED | ...
    execution_status: str  # UNAVAILABLE | AVAILABLE | EXECUTE_IN_PROGRESS | ...
    created_s: float
    template_body: str
    template: dict[str, Any]
    parameters: dict[str, str]
    no_echo: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    notification_arns: tuple[str, ...] = ()
    description: str | None = None
    status_reason: str = ""
    changes: tuple[dict[str, Any], ...] = ()  # the API's Change shapes
    role_arn: str | None = None
    on_stack_failure: str | None = None
    stack_tags_given: bool = False  # Tags were given (else the stack's are kept)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> ChangeSet:
        d = _known(ChangeSet, json.loads(text))
        for key in ("no_echo", "capabilities", "notification_arns", "changes"):
            d[key] = tuple(d.get(key, ()))
        d["tags"] = tuple(tuple(p) for p in d.get("tags", ()))
        return ChangeSet(**d)
