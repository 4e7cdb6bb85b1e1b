"""The durable timer (firing.py): fires on time and once, across restarts; missed fires
coalesce or are skipped by age; retries end in the dead-letter queue; the outbox survives."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ovis.models.schedule import FireRecord, ScheduleWrite
from ovis.services.scheduler.schedules import due_for, now_ms
from tests.unit.scheduler.helpers import DLQ, FN, ROLE, build, fire, put


def at_in(seconds: float) -> tuple[str, int]:
    moment = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})", int(moment.timestamp() * 1000)


async def until(check: Callable[[], bool], timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


def run(main: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(main(), 30))


def test_a_schedule_fires_on_time_once_and_not_again_after_restart(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        expression, due = at_in(1)
        await sched.schedules.create(
            put("s", expression, target={"Arn": FN, "RoleArn": ROLE, "Input": "x"})
        )
        assert await until(lambda: len(functions.calls) == 1)
        lateness = now_ms() - due
        assert 0 <= lateness < 250
        assert functions.calls[0]["payload"] == b"x"
        assert functions.calls[0]["principal"] is None  # Scheduler uses its role
        assert functions.calls[0]["source_arn"].endswith(":schedule/default/s")
        assert await until(lambda: sched.firing.pending() == 0)
        await sched.close()
        stored = storage.schedules.schedules()[0]
        assert stored.next_fire_ms is None and stored.last_fired_ms == due
        storage.close()

        again, storage, functions, _ = build(tmp_path)
        await again.start()
        await asyncio.sleep(0.3)
        assert functions.calls == []
        await again.close()
        storage.close()

    run(main)


def test_the_timer_rearms_when_a_nearer_schedule_arrives(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        far, _ = at_in(3600)
        await sched.schedules.create(put("far", far))
        await asyncio.sleep(0.05)  # the timer now sleeps for an hour
        near, due = at_in(1)
        await sched.schedules.create(put("near", near))
        assert await until(lambda: len(functions.calls) == 1)
        assert now_ms() - due < 250
        await sched.close()
        storage.close()

    run(main)


def test_many_far_schedules_do_not_delay_a_near_one(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        far = now_ms() + 86_400_000
        await asyncio.gather(
            *(
                sched.schedules.create(put(f"far{i}", "rate(1 day)", start_ms=far))
                for i in range(2000)
            )
        )
        near, due = at_in(1)
        await sched.schedules.create(put("near", near))
        assert await until(lambda: len(functions.calls) == 1)
        assert now_ms() - due < 250
        await sched.close()
        assert len(storage.schedules.schedules()) == 2001
        storage.close()

    run(main)


async def _set_next(sched, storage, name: str, next_ms: int) -> None:  # type: ignore[no-untyped-def]
    s = sched.schedules.get("default", name)
    moved = replace(s, next_fire_ms=next_ms, next_due_ms=next_ms)
    storage.schedules.write_schedules([ScheduleWrite(s.key, moved)])


def test_missed_fires_coalesce_into_one(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        start = now_ms() - 30 * 60_000  # rate(1 minute) from 30 minutes ago
        await sched.schedules.create(put("r", "rate(1 minute)", start_ms=start))
        await sched.close()
        # As if the server had been down for the last ten fires.
        await _set_next(sched, storage, "r", start + 20 * 60_000)
        storage.close()

        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        assert await until(lambda: len(functions.calls) == 1)
        await asyncio.sleep(0.2)
        assert len(functions.calls) == 1  # once, not ten times
        s = sched.schedules.get("default", "r")
        assert s.next_fire_ms is not None and s.next_fire_ms > now_ms()
        assert (s.next_fire_ms - start) % 60_000 == 0  # still on its minute grid
        await sched.close()
        storage.close()

    run(main)


def test_a_missed_fire_older_than_the_event_age_is_skipped(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        target = {"Arn": FN, "RoleArn": ROLE, "RetryPolicy": {"MaximumEventAgeInSeconds": 60}}
        # Fires at start + 10 min (15 minutes ago), + 20 min (5 minutes ago), + 30 min (ahead).
        start = now_ms() - 25 * 60_000
        await sched.schedules.create(put("r", "rate(10 minutes)", start_ms=start, target=target))
        await sched.close()
        await _set_next(sched, storage, "r", start + 10 * 60_000)  # down since then
        storage.close()

        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        assert await until(
            lambda: sched.schedules.get("default", "r").next_fire_ms == start + 30 * 60_000
        )
        await asyncio.sleep(0.1)
        assert functions.calls == []
        await sched.close()
        storage.close()

    run(main)


def test_one_time_schedule_in_the_past_fires_within_the_event_age(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        recent, _ = at_in(-30)
        old, _ = at_in(-3600)
        short = {"Arn": FN, "RoleArn": ROLE, "RetryPolicy": {"MaximumEventAgeInSeconds": 600}}
        await sched.schedules.create(put("recent", recent, target={**short, "Input": "recent"}))
        await sched.schedules.create(put("old", old, target={**short, "Input": "old"}))
        assert await until(lambda: len(functions.calls) == 1)
        await asyncio.sleep(0.1)
        assert [c["payload"] for c in functions.calls] == [b"recent"]
        assert sched.schedules.get("default", "old").next_fire_ms is None
        await sched.close()
        storage.close()

    run(main)


def test_failures_are_retried_then_dead_lettered(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, queues = build(tmp_path)
        functions.failing = True
        await sched.start()
        expression, _ = at_in(1)
        target = {
            "Arn": FN,
            "RoleArn": ROLE,
            "Input": '{"a": 1}',
            "RetryPolicy": {"MaximumRetryAttempts": 2},
            "DeadLetterConfig": {"Arn": DLQ},
        }
        arn = await sched.schedules.create(put("s", expression, target=target))
        assert await until(lambda: len(queues.sent) == 1)
        assert functions.attempts == 3  # the first attempt and two retries
        (dead,) = queues.sent
        assert dead["arn"] == DLQ and dead["body"] == '{"a": 1}'
        attrs = {k: v["StringValue"] for k, v in dead["attributes"].items()}
        assert attrs["ERROR_CODE"] == "ResourceNotFoundException"
        assert attrs["ERROR_MESSAGE"] == f"Function not found: {FN}"
        assert attrs["RETRY_ATTEMPTS"] == "2"
        assert attrs["SCHEDULE_ARN"] == arn and attrs["TARGET_ARN"] == FN
        assert await until(lambda: sched.firing.pending() == 0)
        await sched.close()
        assert storage.schedules.schedule_fires() == []
        storage.close()

    run(main)


def test_zero_retries_without_a_dlq_drops_the_fire(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, queues = build(tmp_path)
        functions.failing = True
        await sched.start()
        expression, _ = at_in(1)
        target = {"Arn": FN, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 0}}
        await sched.schedules.create(put("s", expression, target=target))
        assert await until(lambda: functions.attempts == 1)
        assert await until(lambda: sched.firing.pending() == 0)
        assert queues.sent == [] and functions.attempts == 1
        await sched.close()
        storage.close()

    run(main)


def test_the_outbox_is_delivered_after_a_restart(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        far, _ = at_in(3600)
        await sched.schedules.create(put("s", far))
        s = sched.schedules.get("default", "s")
        await sched.close()
        # A fire recorded just before a crash, not yet delivered.
        assert s.next_fire_ms is not None
        record = FireRecord(
            "default",
            "s",
            s.next_fire_ms,
            s.next_fire_ms,
            None,
            None,
            False,
            fire(execution_id="pending", schedule_arn=s.arn, target=s.target, due_ms=now_ms()),
        )
        assert storage.schedules.record_fires([record]) == [True]
        storage.close()

        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        assert await until(lambda: len(functions.calls) == 1)
        assert await until(lambda: storage.schedules.schedule_fires() == [])
        await sched.close()
        storage.close()

    run(main)


def test_action_after_completion_delete(tmp_path: Path) -> None:
    async def main() -> None:
        sched, storage, functions, _ = build(tmp_path)
        await sched.start()
        expression, _ = at_in(1)
        await sched.schedules.create(put("s", expression, action_after_completion="DELETE"))
        assert await until(lambda: len(functions.calls) == 1)
        assert sched.schedules.current(("default", "s")) is None
        await sched.close()
        assert storage.schedules.schedules() == []
        storage.close()

    run(main)


def test_flexible_window_due_time_is_within_the_window(tmp_path: Path) -> None:
    sched, storage, _, _ = build(tmp_path)
    sched.groups.load()
    cmd = put("f", "rate(1 hour)", flexible_mode="FLEXIBLE", flexible_window_min=5)
    s = sched.schedules._build(cmd, 0, 0)
    random.seed(7)
    dues = [due_for(s, 1_000_000) for _ in range(500)]
    assert all(d is not None and 1_000_000 <= d <= 1_000_000 + 5 * 60_000 for d in dues)
    assert len(set(dues)) > 400  # spread, not one fixed offset
    off = sched.schedules._build(put("o", "rate(1 hour)"), 0, 0)
    assert due_for(off, 1_000_000) == 1_000_000
    storage.close()
