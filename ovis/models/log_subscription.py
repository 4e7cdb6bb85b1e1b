"""A CloudWatch Logs subscription filter (PutSubscriptionFilter): which lines of a group go to
which destination. Frozen; what the log group repository stores next to the delivery cursor."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class SubscriptionFilter:
    group: str
    name: str
    pattern: str
    destination_arn: str
    created_ms: int
    role_arn: str = ""
    distribution: str = "ByLogStream"

    def to_json(self) -> str:
        return json.dumps(
            {
                "group": self.group,
                "name": self.name,
                "pattern": self.pattern,
                "destination_arn": self.destination_arn,
                "created_ms": self.created_ms,
                "role_arn": self.role_arn,
                "distribution": self.distribution,
            }
        )

    @staticmethod
    def from_json(text: str) -> SubscriptionFilter:
        d = json.loads(text)
        return SubscriptionFilter(
            d["group"], d["name"], d["pattern"], d["destination_arn"], d["created_ms"],
            d.get("role_arn", ""), d.get("distribution", "ByLogStream"),
        )  # fmt: skip
