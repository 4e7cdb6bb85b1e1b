"""A scheduler over a real SQLite store with recording fake targets, for the unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ovis.invoke.destinations import DeliveryError
from ovis.models.schedule import Fire
from ovis.services.scheduler.commands import PutSchedule
from ovis.services.scheduler.service import Scheduler
from ovis.storage.sqlite import SqliteStorage
from ovis.supervisor import Supervisor

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"
DLQ = f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"


@dataclass
class FakeFunctions:
    calls: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False
    attempts: int = 0

    async def invoke_async(
        self,
        function_arn: str,
        payload: bytes,
        *,
        principal: str | None,
        source_arn: str,
        source_account: str,
    ) -> str:
        self.attempts += 1
        if self.failing:
            raise DeliveryError(f"ResourceNotFoundException: Function not found: {function_arn}")
        self.calls.append(
            {
                "arn": function_arn,
                "payload": payload,
                "principal": principal,
                "source_arn": source_arn,
                "source_account": source_account,
            }
        )
        return "request-id"


@dataclass
class FakeQueues:
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def send_message(
        self,
        queue_arn: str,
        body: str,
        message_attributes: dict[str, Any] | None = None,
        *,
        delay_seconds: int | None = None,
        message_group_id: str | None = None,
        deduplication_id: str | None = None,
    ) -> str:
        self.sent.append(
            {
                "arn": queue_arn,
                "body": body,
                "attributes": message_attributes,
                "group": message_group_id,
                "dedup": deduplication_id,
            }
        )
        return "message-id"


def build(tmp_path: Path, **kw: Any) -> tuple[Scheduler, SqliteStorage, FakeFunctions, FakeQueues]:
    storage = SqliteStorage(tmp_path / "ovis.db")
    functions, queues = FakeFunctions(), FakeQueues()
    scheduler = Scheduler(
        storage.schedules,
        storage.tags,
        "us-east-1",
        ACCOUNT,
        Supervisor(backoff_s=(0.001, 0.01)),
        functions=functions,
        queues=queues,
        retry_scale=kw.pop("retry_scale", 0.001),
    )
    return scheduler, storage, functions, queues


def put(name: str, expression: str, **kw: Any) -> PutSchedule:
    target = kw.pop("target", {"Arn": FN, "RoleArn": ROLE})
    return PutSchedule(
        name=name,
        group=kw.pop("group", "default"),
        expression=expression,
        timezone=kw.pop("timezone", None),
        start_ms=kw.pop("start_ms", None),
        end_ms=kw.pop("end_ms", None),
        description=kw.pop("description", None),
        state=kw.pop("state", "ENABLED"),
        flexible_mode=kw.pop("flexible_mode", "OFF"),
        flexible_window_min=kw.pop("flexible_window_min", None),
        action_after_completion=kw.pop("action_after_completion", "NONE"),
        kms_key_arn=None,
        target=target,
        client_token=kw.pop("client_token", ""),
    )


def fire(**kw: Any) -> Fire:
    defaults: dict[str, Any] = {
        "execution_id": "e-1",
        "schedule_arn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/s",
        "group": "default",
        "name": "s",
        "target": {"Arn": FN, "RoleArn": ROLE},
        "fire_ms": 0,
        "due_ms": 0,
        "attempts": 0,
    }
    return Fire(**{**defaults, **kw})
