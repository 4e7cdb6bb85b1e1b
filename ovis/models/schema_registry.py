"""EventBridge Schemas values: a registry, a schema (its latest state) and one schema version.

Frozen; what ``ovis.services.schemas`` computes and ``ovis.storage`` persists. Versions are
numbered from 1 per schema, one more at every update that brings content.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Registry:
    name: str
    arn: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Schema:
    """A schema as DescribeSchema without a version sees it: its latest version's content."""

    registry: str
    name: str
    arn: str
    type: str
    content: str
    version: int
    version_count: int
    description: str | None
    tags: dict[str, str]
    modified_ms: int
    version_created_ms: int


@dataclass(frozen=True)
class SchemaVersion:
    version: int
    type: str
    content: str
    created_ms: int
