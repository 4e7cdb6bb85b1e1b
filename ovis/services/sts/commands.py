"""Typed inputs of the STS use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AssumeRole:
    role_arn: str
    session_name: str
    duration_s: int = 3600
    policy: str | None = None  # an inline session policy (validated, kept, not evaluated)
    policy_arns: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    source_identity: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
