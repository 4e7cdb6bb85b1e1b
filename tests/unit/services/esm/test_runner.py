"""MappingRunner with fake pollers: states move to Enabled/Disabled/gone, one supervised poller
per enabled mapping, restarts on update, transitions finished after a restart, failures
retried."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ovis.models.event_source_mapping import EventSourceMapping, MappingState, SourceKind
from ovis.services.lambda_.esm.commands import create_command, update_command
from ovis.services.lambda_.esm.poller import Poller
from ovis.services.lambda_.esm.runner import MappingRunner
from ovis.supervisor import Supervisor
from tests.unit.services.esm.fakes import (
    STREAM,
    FakePoller,
    Store,
    Streams,
    mapping,
    service,
    until,
)


class World:
    def __init__(self, tmp_path: Path, store: Store | None = None, fail: int = 0) -> None:
        self.store = store or Store()
        self.svc = service(tmp_path, store=self.store, streams=Streams(STREAM))
        self.supervisor = Supervisor(backoff_s=(0.001, 0.01))
        self.log: list[tuple[str, str, int]] = []
        self.pollers: list[FakePoller] = []
        self.fail = fail  # the factory raises this many times first
        self.runner = MappingRunner(self.svc, self.supervisor, {SourceKind.SQS: self.factory})

    def factory(self, m: EventSourceMapping) -> Poller:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("no poller today")
        p = FakePoller(m, self.log)
        self.pollers.append(p)
        return p

    def state(self, uuid: str) -> MappingState | None:
        m = self.svc.current(uuid)
        return m.state if m is not None else None

    def loops(self) -> set[str]:
        return {n for n in self.supervisor.health()["components"] if n.startswith("esm:")}

    async def create(self, **p: Any) -> EventSourceMapping:
        p.setdefault("FunctionName", "fn")
        p.setdefault("EventSourceArn", "arn:aws:sqs:us-east-1:000000000000:orders")
        return await self.svc.create(create_command(p))

    async def update(self, uuid: str, **p: Any) -> EventSourceMapping:
        return await self.svc.update(update_command({"UUID": uuid, **p}))

    async def settled(self, uuid: str, state: MappingState | None) -> None:
        await until(lambda: self.runner.idle() and self.state(uuid) == state)


def run(tmp_path: Path, body: Callable[[World], Awaitable[None]], **kw: Any) -> World:
    w = World(tmp_path, **kw)

    async def main() -> World:
        await w.supervisor.start()
        await w.runner.start()
        try:
            await body(w)
        finally:
            await w.runner.close()
            await w.supervisor.close()
        return w

    return asyncio.run(main())


def test_create_enables_and_runs_one_poller(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create()
        await w.settled(m.uuid, MappingState.ENABLED)
        await until(lambda: ("run", m.uuid, 10) in w.log)
        assert w.loops() == {f"esm:{m.uuid}"} and len(w.pollers) == 1
        assert w.store.rows[m.uuid].state == MappingState.ENABLED  # written through the store

    run(tmp_path, body)


def test_disabled_at_create_runs_nothing(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create(Enabled=False)
        await w.settled(m.uuid, MappingState.DISABLED)
        assert w.pollers == [] and w.loops() == set()

    run(tmp_path, body)


def test_update_restarts_the_poller_with_the_new_config(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create()
        await w.settled(m.uuid, MappingState.ENABLED)
        await w.update(m.uuid, BatchSize=3)
        await w.settled(m.uuid, MappingState.ENABLED)
        await until(lambda: ("run", m.uuid, 3) in w.log)
        assert w.pollers[0].closed and not w.pollers[1].closed
        assert w.pollers[1].mapping.batch_size == 3

    run(tmp_path, body)


def test_disable_stops_and_enable_starts_again(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create()
        await w.settled(m.uuid, MappingState.ENABLED)
        await w.update(m.uuid, Enabled=False)
        await w.settled(m.uuid, MappingState.DISABLED)
        assert w.pollers[0].closed and w.loops() == set()
        await w.update(m.uuid, Enabled=True)
        await w.settled(m.uuid, MappingState.ENABLED)
        assert len(w.pollers) == 2 and w.loops() == {f"esm:{m.uuid}"}

    run(tmp_path, body)


def test_delete_stops_the_poller_and_forgets_the_mapping(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create(Tags={"team": "a"})
        await w.settled(m.uuid, MappingState.ENABLED)
        assert await w.svc.tags(w.svc.arn(m.uuid)) == {"team": "a"}
        await w.svc.delete(m.uuid)
        await w.settled(m.uuid, None)
        assert w.pollers[0].closed and w.loops() == set()
        assert m.uuid not in w.store.rows and w.store.tags == {}

    run(tmp_path, body)


def test_a_kind_without_a_poller_still_moves_its_states(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create(EventSourceArn=STREAM, StartingPosition="LATEST")
        await w.settled(m.uuid, MappingState.ENABLED)
        await w.update(m.uuid, Enabled=False)
        await w.settled(m.uuid, MappingState.DISABLED)
        await w.svc.delete(m.uuid)
        await w.settled(m.uuid, None)
        assert w.pollers == []

    run(tmp_path, body)


def test_stored_transitions_are_finished_on_start(tmp_path: Path) -> None:
    store = Store()
    ids = [f"00000000-0000-0000-0000-00000000000{i}" for i in range(6)]
    for uuid, state, enabled in zip(
        ids,
        (MappingState.CREATING, MappingState.UPDATING, MappingState.ENABLING,
         MappingState.DISABLING, MappingState.DELETING, MappingState.ENABLED),
        (True, False, True, False, True, True),
        strict=True,
    ):  # fmt: skip
        store.rows[uuid] = mapping(uuid, state=state, enabled=enabled,
                                   event_source_arn=f"arn:aws:sqs:us-east-1:000000000000:q{uuid[-1]}")  # fmt: skip

    async def body(w: World) -> None:
        await until(lambda: w.runner.idle() and len(w.pollers) == 3)
        assert [w.state(u) for u in ids] == [
            MappingState.ENABLED, MappingState.DISABLED, MappingState.ENABLED,
            MappingState.DISABLED, None, MappingState.ENABLED,
        ]  # fmt: skip
        assert {p.mapping.uuid for p in w.pollers} == {ids[0], ids[2], ids[5]}
        assert [store.rows[u].state for u in (ids[0], ids[1])] == [
            MappingState.ENABLED, MappingState.DISABLED,
        ]  # fmt: skip

    run(tmp_path, body, store=store)


def test_a_failing_factory_is_retried(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create()
        await w.settled(m.uuid, MappingState.ENABLED)
        assert len(w.pollers) == 1 and w.supervisor.health()["status"] == "ok"

    w = run(tmp_path, body, fail=2)
    assert w.fail == 0


def test_last_processing_result_comes_from_the_poller(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create()
        await w.settled(m.uuid, MappingState.ENABLED)
        assert "LastProcessingResult" not in w.svc.render(w.svc.get(m.uuid))
        w.pollers[0].stats.last_processing_result = "OK"
        assert w.svc.render(w.svc.get(m.uuid))["LastProcessingResult"] == "OK"
        await w.update(m.uuid, Enabled=False)
        await w.settled(m.uuid, MappingState.DISABLED)
        assert w.store.rows[m.uuid].last_processing_result == "OK"  # kept for the next start

    run(tmp_path, body)


def test_a_newer_user_write_wins_over_the_runner(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create()
        seen = w.svc.current(m.uuid)
        assert seen is not None
        await w.update(m.uuid, BatchSize=2)  # before the runner settles what it saw
        assert not await w.svc.settle(seen, MappingState.ENABLED)
        await w.settled(m.uuid, MappingState.ENABLED)
        assert w.svc.get(m.uuid).batch_size == 2

    run(tmp_path, body)


def test_close_stops_pollers_and_keeps_states(tmp_path: Path) -> None:
    box: dict[str, str] = {}

    async def body(w: World) -> None:
        m = await w.create()
        await w.settled(m.uuid, MappingState.ENABLED)
        box["uuid"] = m.uuid

    w = run(tmp_path, body)
    assert w.pollers[0].closed and w.store.rows[box["uuid"]].state == MappingState.ENABLED
    assert w.log[-1] == ("close", box["uuid"], 10)


def test_close_before_start_is_a_no_op(tmp_path: Path) -> None:
    w = World(tmp_path)
    asyncio.run(w.runner.close())


def test_a_poller_that_fails_to_close_is_still_stopped(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        m = await w.create()
        await w.settled(m.uuid, MappingState.ENABLED)

        async def broken_close() -> None:
            raise RuntimeError("checkpoint write failed")

        w.pollers[0].close = broken_close  # type: ignore[method-assign]
        await w.update(m.uuid, Enabled=False)
        await w.settled(m.uuid, MappingState.DISABLED)
        assert w.loops() == set()
        await w.update(m.uuid, Enabled=True)
        await w.settled(m.uuid, MappingState.ENABLED)
        assert len(w.pollers) == 2

    run(tmp_path, body)
