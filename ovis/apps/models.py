"""Applications and their pipeline runs: frozen values, no I/O.

A run's ``seq`` counts from 1 per application; its log stream in ``/ovis/pipelines/NAME`` is
``run-SEQ``. Terminal states: Succeeded, Failed, Superseded (a newer push to the branch came
before this run deployed: it never deploys).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class RunState(StrEnum):
    QUEUED = "Queued"
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SUPERSEDED = "Superseded"

    @property
    def terminal(self) -> bool:
        return self not in (RunState.QUEUED, RunState.IN_PROGRESS)


STAGES = ("source", "build", "test", "deploy")


@dataclass(frozen=True)
class Stage:
    name: str
    state: RunState
    started_s: float
    ended_s: float | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "State": self.state.value,
            "StartedAt": self.started_s,
            "EndedAt": self.ended_s,
            "DurationSeconds": (
                round(self.ended_s - self.started_s, 3) if self.ended_s is not None else None
            ),
            "Message": self.message,
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> Stage:
        return Stage(d["Name"], RunState(d["State"]), d["StartedAt"], d["EndedAt"], d["Message"])


@dataclass(frozen=True)
class App:
    name: str
    template: str
    branch: str
    created_s: float
    owner_key: str = ""  # the access key that created it: builds get a session of its own
    build_timeout_s: int = 300
    build_memory_mb: int = 3072  # the build's cgroup: CodeBuild's smallest compute type has 3 GB

    @property
    def stack_name(self) -> str:
        return self.name

    @property
    def log_group(self) -> str:
        return f"/ovis/pipelines/{self.name}"


@dataclass(frozen=True)
class Run:
    app: str
    seq: int
    commit: str
    branch: str
    state: RunState
    created_s: float
    updated_s: float
    stages: tuple[Stage, ...] = field(default_factory=tuple)
    reason: str = ""

    @property
    def log_stream(self) -> str:
        return f"run-{self.seq}"

    def with_stage(self, stage: Stage) -> Run:
        """This run with ``stage`` replacing the stage of that name (or appended)."""
        kept = tuple(s for s in self.stages if s.name != stage.name)
        order = {n: i for i, n in enumerate(STAGES)}
        stages = tuple(sorted((*kept, stage), key=lambda s: order.get(s.name, 99)))
        return replace(self, stages=stages, updated_s=stage.ended_s or stage.started_s)

    def to_json(self) -> dict[str, Any]:
        return {
            "App": self.app,
            "RunId": self.seq,
            "Commit": self.commit,
            "Branch": self.branch,
            "State": self.state.value,
            "CreatedAt": self.created_s,
            "UpdatedAt": self.updated_s,
            "Stages": [s.to_json() for s in self.stages],
            "Reason": self.reason,
            "LogGroup": f"/ovis/pipelines/{self.app}",
            "LogStream": self.log_stream,
        }
