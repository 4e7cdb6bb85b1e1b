"""The subscription delivery loop over a real SQLite store and a recording function target:
matching lines only, batched per stream as awslogs events, the cursor advanced after the
submit (so a failed submit is retried, a refused destination dropped), events stored before
the filter not delivered."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ovis.invoke.destinations import DeliveryError
from ovis.models.log_event import LogEvent
from ovis.services.logs.delivery import SubscriptionDelivery, awslogs_event, batches
from ovis.services.logs.subscriptions import Subscriptions
from ovis.storage.sqlite.storage import SqliteStorage

ARN = "arn:aws:lambda:us-east-1:000000000000:function:b"


class Target:
    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.fail: Exception | None = None
        self.allowed = True

    def allows(self, function_arn: str, **kw: str) -> bool:
        return self.allowed

    async def invoke_async(self, function_arn: str, payload: bytes, **kw: Any) -> str:
        assert kw["principal"] == "logs.amazonaws.com"
        assert kw["source_arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/g:*"
        if self.fail is not None:
            raise self.fail
        data = json.loads(payload)["awslogs"]["data"]
        self.payloads.append(json.loads(gzip.decompress(base64.b64decode(data))))
        return "id"


@pytest.fixture
def storage(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = SqliteStorage(tmp_path / "ovis.db")
    yield s
    s.close()


def _messages(target: Target) -> list[str]:
    return [e["message"] for p in target.payloads for e in p["logEvents"]]


def test_matching_lines_after_the_filter_are_delivered_once(storage) -> None:  # type: ignore[no-untyped-def]
    target = Target()
    subs = Subscriptions(storage.log_groups, storage.logs, target)
    loop = SubscriptionDelivery(storage.logs, storage.log_groups, target, "us-east-1",
                                "000000000000")  # fmt: skip

    async def main() -> None:
        storage.logs.append_logs([LogEvent("/g", "s1", 1, "ERROR before")])
        await subs.put("/g", "f", "ERROR", ARN, None, None, "us-east-1", "000000000000")
        storage.logs.append_logs(
            [LogEvent("/g", "s1", 2, "ERROR one"), LogEvent("/g", "s2", 3, "ERROR two"),
             LogEvent("/g", "s1", 4, "fine"), LogEvent("/other", "s1", 5, "ERROR elsewhere")]
        )  # fmt: skip
        target.fail = RuntimeError("store down")
        with pytest.raises(RuntimeError):
            await loop.deliver_once()
        assert target.payloads == []  # nothing acknowledged: the cursor did not move
        target.fail = None
        assert await loop.deliver_once() == 2
        assert await loop.deliver_once() == 0  # delivered once
        target.fail = DeliveryError("policy refuses")
        storage.logs.append_logs([LogEvent("/g", "s1", 6, "ERROR dropped")])
        assert await loop.deliver_once() == 0  # dropped, as AWS drops refused deliveries
        target.fail = None
        assert await loop.deliver_once() == 0

    asyncio.run(main())
    assert _messages(target) == ["ERROR one", "ERROR two"]
    assert [(p["logStream"], p["logGroup"], p["subscriptionFilters"], p["messageType"])
            for p in target.payloads] == [("s1", "/g", ["f"], "DATA_MESSAGE"),
                                          ("s2", "/g", ["f"], "DATA_MESSAGE")]  # fmt: skip
    assert target.payloads[0]["owner"] == "000000000000"


def test_batches_are_per_stream_and_bounded() -> None:
    events = [LogEvent("/g", f"s{i % 2}", i, "x" * 100_000, i + 1) for i in range(4)]
    got = [(stream, [e.event_id for e in evs]) for stream, evs in batches(events)]
    assert got == [("s0", [1]), ("s0", [3]), ("s1", [2]), ("s1", [4])]
    small = [LogEvent("/g", "s", i, "m", i + 1) for i in range(3)]
    assert [len(evs) for _, evs in batches(small)] == [3]


def test_the_awslogs_payload_is_gzipped_json_in_base64() -> None:
    from ovis.models.log_subscription import SubscriptionFilter

    f = SubscriptionFilter("/g", "f", "", ARN, 0)
    body = json.loads(awslogs_event("1", f, "s", [LogEvent("/g", "s", 5, "hi", 9)]))
    doc = json.loads(gzip.decompress(base64.b64decode(body["awslogs"]["data"])))
    assert doc["logEvents"] == [{"id": "9", "timestamp": 5, "message": "hi"}]
