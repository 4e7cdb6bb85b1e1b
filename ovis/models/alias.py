"""A function alias: a named pointer to a version, with optional weighted routing."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ovis.models.arn import function_arn


@dataclass(frozen=True)
class Alias:
    function: str
    name: str
    version: str
    revision_id: str
    description: str = ""
    weights: dict[str, float] = field(default_factory=dict)  # additional version -> weight

    __hash__ = None  # type: ignore[assignment]

    def replace(self, **changes: Any) -> Alias:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alias:
        return cls(**data)

    def to_api(self, region: str, account: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "AliasArn": function_arn(region, account, self.function, self.name),
            "Name": self.name,
            "FunctionVersion": self.version,
            "Description": self.description,
            "RevisionId": self.revision_id,
        }
        if self.weights:
            out["RoutingConfig"] = {"AdditionalVersionWeights": dict(self.weights)}
        return out

    def pick(self, draw: float) -> str:
        """The version an invocation goes to, for a uniform ``draw`` in [0, 1)."""
        for version, weight in self.weights.items():
            if draw < weight:
                return version
            draw -= weight
        return self.version
