"""ScheduleService (schedules.py): first fires, updates that keep or recompute the timer,
disabled schedules, listing and paging, idempotency, and refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ovis.models.schedule import ScheduleWrite
from ovis.services.scheduler.commands import ListSchedules
from ovis.services.scheduler.errors import (
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ovis.services.scheduler.schedules import now_ms
from tests.unit.scheduler.helpers import build, put


def test_first_fire_update_and_disable(tmp_path: Path) -> None:
    sched, storage, _, _ = build(tmp_path)

    async def main() -> None:
        sched.groups.load()
        sched.schedules.load()
        svc = sched.schedules
        before = now_ms()
        await svc.create(put("r", "rate(1 hour)"))
        r = svc.get("default", "r")
        assert r.next_fire_ms is not None and before <= r.next_fire_ms <= now_ms()  # at once
        await svc.create(put("c", "cron(0 12 * * ? *)", timezone="Europe/Paris"))
        c = svc.get("default", "c")
        # An update that keeps the timing keeps the next fire; one that changes it recomputes.
        await svc.update(put("c", "cron(0 12 * * ? *)", timezone="Europe/Paris", description="d"))
        kept = svc.get("default", "c")
        assert kept.description == "d" and kept.next_fire_ms == c.next_fire_ms
        await svc.update(put("c", "cron(0 12 * * ? *)", timezone="Asia/Tokyo"))
        moved = svc.get("default", "c")
        assert moved.next_fire_ms != c.next_fire_ms and moved.created_ms == c.created_ms
        await svc.update(put("c", "cron(0 12 * * ? *)", state="DISABLED"))
        assert svc.get("default", "c").next_fire_ms is None
        # What memory says is what the store has.
        stored = {s.name: s for s in storage.schedules.schedules()}
        assert stored["c"] == svc.get("default", "c") and stored["r"] == r

    asyncio.run(main())
    storage.close()


def test_start_and_end_dates_bound_the_fires(tmp_path: Path) -> None:
    sched, storage, _, _ = build(tmp_path)

    async def main() -> None:
        sched.groups.load()
        svc = sched.schedules
        start = now_ms() + 3_600_000
        await svc.create(put("s", "rate(5 minutes)", start_ms=start, end_ms=start + 60_000))
        s = svc.get("default", "s")
        assert s.next_fire_ms == start
        assert s.next_after(start) is None  # start + 5 min is past the EndDate
        with pytest.raises(ValidationException):
            await svc.create(put("e", "rate(5 minutes)", start_ms=start, end_ms=start))

    asyncio.run(main())
    storage.close()


def test_listing_paging_conflicts_and_tokens(tmp_path: Path) -> None:
    sched, storage, _, _ = build(tmp_path)

    async def main() -> None:
        sched.groups.load()
        svc = sched.schedules
        for i in range(7):
            await svc.create(put(f"n{i}", "rate(1 day)", client_token=f"t{i}"))
        assert (
            await svc.create(put("n3", "rate(1 day)", client_token="t3"))
            == svc.get("default", "n3").arn
        )
        with pytest.raises(ConflictException):
            await svc.create(put("n3", "rate(1 day)", client_token="other"))
        names: list[str] = []
        token = None
        while True:
            page, token = svc.list(ListSchedules(max_results=3, next_token=token))
            names += [s.name for s in page]
            if token is None:
                break
        assert names == [f"n{i}" for i in range(7)]
        with pytest.raises(ValidationException):
            svc.list(ListSchedules(next_token="garbage"))
        with pytest.raises(ResourceNotFoundException):
            svc.list(ListSchedules(group="nope"))
        await svc.delete("default", "n0")
        with pytest.raises(ResourceNotFoundException):
            svc.get("default", "n0")

    asyncio.run(main())
    storage.close()


def test_deleting_a_group_deletes_its_schedules(tmp_path: Path) -> None:
    sched, storage, _, _ = build(tmp_path)

    async def main() -> None:
        sched.groups.load()
        await sched.groups.create("g", [{"Key": "k", "Value": "v"}], "")
        await sched.schedules.create(put("a", "rate(1 day)", group="g"))
        await sched.schedules.create(put("a", "rate(1 day)"))
        await sched.groups.delete("g")
        assert [s.key for s in storage.schedules.schedules()] == [("default", "a")]
        assert sched.schedules.current(("g", "a")) is None
        assert (
            storage.tags.get_tags("arn:aws:scheduler:us-east-1:000000000000:schedule-group/g") == {}
        )
        with pytest.raises(ValidationException):
            await sched.groups.delete("default")

    asyncio.run(main())
    storage.close()


def test_a_one_time_schedule_enabled_after_its_time_does_not_fire(tmp_path: Path) -> None:
    sched, storage, _, _ = build(tmp_path)

    async def main() -> None:
        sched.groups.load()
        svc = sched.schedules
        past = "at(2020-01-01T00:00:00)"
        # Created for a past time: pending (the timer fires it if within the event age).
        await svc.create(put("late", past))
        assert svc.get("default", "late").next_fire_ms is not None
        # Disabled, then enabled again after its time: not made up.
        await svc.create(put("off", past, state="DISABLED"))
        await svc.update(put("off", past))
        assert svc.get("default", "off").next_fire_ms is None
        # Moved to a new time: pending again.
        await svc.update(put("off", "at(2999-01-01T00:00:00)"))
        assert svc.get("default", "off").next_fire_ms is not None

    asyncio.run(main())
    storage.close()


def test_load_drops_schedules_of_deleted_groups(tmp_path: Path) -> None:
    sched, storage, _, _ = build(tmp_path)

    async def main() -> None:
        sched.groups.load()
        await sched.groups.create("g", [], "")
        await sched.schedules.create(put("a", "rate(1 day)", group="g"))
        # As if a create had committed after the group's delete.
        storage.schedules.delete_schedule_group("g")
        storage.schedules.write_schedules(
            [ScheduleWrite(("g", "a"), sched.schedules.get("g", "a"))]
        )

    asyncio.run(main())
    storage.close()
    again, storage, _, _ = build(tmp_path)
    again.groups.load()
    again.schedules.load()
    assert again.schedules.current(("g", "a")) is None
    assert storage.schedules.schedules() == []
    storage.close()
