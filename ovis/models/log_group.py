"""A declared CloudWatch Logs log group (CreateLogGroup): its settings and tags.

Frozen; what the log group repository stores. Groups that only exist because a function wrote
to them (``/aws/lambda/<name>``) have no declaration until one is created or configured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class LogGroup:
    name: str
    created_ms: int
    retention_days: int | None = None  # None: never expire
    log_group_class: str = "STANDARD"
    tags: dict[str, str] = field(default_factory=dict)

    def with_(self, **changes: Any) -> LogGroup:
        return replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "created_ms": self.created_ms,
                "retention_days": self.retention_days,
                "log_group_class": self.log_group_class,
                "tags": self.tags,
            }
        )

    @staticmethod
    def from_json(text: str) -> LogGroup:
        d = json.loads(text)
        return LogGroup(
            d["name"], d["created_ms"], d.get("retention_days"),
            d.get("log_group_class", "STANDARD"), dict(d.get("tags") or {}),
        )  # fmt: skip
