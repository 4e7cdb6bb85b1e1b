"""EventBridge's typed commands, built at the edge from the validated request. ``None`` means
"not given"; PutRule replaces a rule's whole definition (AWS: omitted settings are cleared)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PutRule:
    name: str
    bus: str | None = None  # EventBusName: a name or an ARN; None is the default bus
    event_pattern: str | None = None
    schedule: str | None = None
    state: str | None = None
    description: str | None = None
    role_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PutTargets:
    rule: str
    bus: str | None
    targets: tuple[dict[str, Any], ...]  # Target shapes as sent


@dataclass(frozen=True, slots=True)
class RemoveTargets:
    rule: str
    bus: str | None
    ids: tuple[str, ...]
    force: bool = False
