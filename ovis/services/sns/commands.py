"""SNS's typed commands, built at the edge from the validated request (use cases never read
wire dicts). ``None`` means "not given"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CreateTopic:
    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Subscribe:
    topic_arn: str
    protocol: str
    endpoint: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    return_arn: bool = False


@dataclass(frozen=True, slots=True)
class PublishMessage:
    """One message to publish (Publish, or one PublishBatch entry). ``attributes`` are in the
    API's shape: ``{"k": {"DataType": "String", "StringValue": "v"}}`` (binary values bytes)."""

    topic_arn: str
    message: str
    subject: str | None = None
    structure: str | None = None  # "json": a per-protocol message document
    attributes: dict[str, Any] | None = None
    group_id: str | None = None
    dedup_id: str | None = None
