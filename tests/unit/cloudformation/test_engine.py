"""The stack engine over fake providers and a real SQLite store: concurrency as dependencies
allow, reverse-order deletes, replacement with cleanup, update rollback restoring properties,
and resuming from persisted state as after a kill -9."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from ovis.models.stack import Previous, Stack
from ovis.services.cloudformation.book import StackBook
from ovis.services.cloudformation.engine import Engine, Exports
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.storage.sqlite import SqliteStorage

SID = "arn:aws:cloudformation:us-east-1:000000000000:stack/s/1"


class Fake:
    """A resource type whose resources live in ``world`` (physical id -> properties)."""

    type_name: ClassVar[str] = "Test::Thing"
    create_only: ClassVar[frozenset[str]] = frozenset({"Kind"})
    attributes: ClassVar[frozenset[str]] = frozenset({"Size"})

    def __init__(self, delay: float = 0.0) -> None:
        self.world: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, str, float]] = []
        self.deleted: list[tuple[str | None, str]] = []
        self.delay = delay
        self.hang: set[str] = set()  # logical ids whose create never answers

    async def create(self, req: ResourceRequest) -> ResourceResult:
        self.log.append(("start", req.logical_id, time.monotonic()))
        if req.logical_id in self.hang:
            self.world[f"{req.logical_id}-{req.token}"] = dict(req.properties)
            await asyncio.Event().wait()
        await asyncio.sleep(self.delay)
        if req.properties.get("Fail"):
            raise ResourceFailed(f"{req.logical_id} was told to fail")
        pid = f"{req.logical_id}-{req.token}"
        self.world[pid] = dict(req.properties)
        self.log.append(("end", req.logical_id, time.monotonic()))
        return ResourceResult(pid, {"Size": len(req.properties)})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        if req.properties.get("Fail"):
            raise ResourceFailed("told to fail")
        assert req.physical_id is not None
        self.world[req.physical_id] = dict(req.properties)
        return ResourceResult(req.physical_id, {"Size": len(req.properties)})

    async def delete(self, req: ResourceRequest) -> None:
        self.deleted.append((req.physical_id, req.logical_id))
        pid = req.physical_id or f"{req.logical_id}-{req.token}"
        self.world.pop(pid, None)


def setup(tmp_path: Path, fake: Fake) -> tuple[SqliteStorage, StackBook, Engine]:
    storage = SqliteStorage(tmp_path / "ovis.db")
    book = StackBook(storage.stacks)
    book.load()
    return storage, book, Engine(book, lambda: {fake.type_name: fake}, Exports(book))


def stack(template: dict[str, Any], status: str = "CREATE_IN_PROGRESS") -> Stack:
    return Stack(SID, "s", "us-east-1", "000000000000", status, 1.0, template=template)


def things(**props: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": {k: {"Type": "Test::Thing", **v} for k, v in props.items()}}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_independent_resources_run_concurrently_dependents_after(tmp_path: Path) -> None:
    fake = Fake(delay=0.05)
    _, book, engine = setup(tmp_path, fake)
    tpl = things(
        A={"Properties": {"N": 1}},
        B={"Properties": {"N": 2}},
        C={"Properties": {"From": {"Fn::GetAtt": ["A", "Size"]}, "Ref": {"Ref": "B"}}},
    )

    async def go() -> None:
        await book.save(stack=stack(tpl))
        await engine.drive(SID)
        assert book.stacks[SID].status == "CREATE_COMPLETE"
        t["create"] = dict(((kind, lid), at) for kind, lid, at in fake.log)
        await engine.set_status(book.stacks[SID], "DELETE_IN_PROGRESS")
        await engine.drive(SID)

    t: dict[str, Any] = {}
    run(go())
    t = t["create"]
    assert t[("start", "B")] < t[("end", "A")]  # A and B side by side
    assert t[("start", "C")] >= max(t[("end", "A")], t[("end", "B")])
    c = book.resources[SID]["C"]
    assert c.properties == {"From": 1, "Ref": book.resources[SID]["B"].physical_id}
    assert book.stacks[SID].status == "DELETE_COMPLETE"
    order = [lid for _, lid in fake.deleted]
    assert order.index("C") < order.index("A") and order.index("C") < order.index("B")
    assert fake.world == {}


def test_replacement_then_cleanup_and_update_rollback(tmp_path: Path) -> None:
    fake = Fake()
    _, book, engine = setup(tmp_path, fake)

    async def go() -> None:
        await book.save(stack=stack(things(A={"Properties": {"Kind": "x", "V": 1}})))
        await engine.drive(SID)
        old = book.resources[SID]["A"].physical_id
        s = book.stacks[SID]
        new = things(A={"Properties": {"Kind": "y", "V": 1}})
        await book.save(stack=replace(s, status="UPDATE_IN_PROGRESS", template=new))
        await engine.drive(SID)
        assert book.stacks[SID].status == "UPDATE_COMPLETE"
        now = book.resources[SID]["A"]
        assert now.physical_id != old and old not in fake.world  # replaced, old cleaned up
        assert fake.world[now.physical_id or ""] == {"Kind": "y", "V": 1}
        # a failed update: V modified in place on A, B fails; A's V is restored
        s = book.stacks[SID]
        failing = things(
            A={"Properties": {"Kind": "y", "V": 2}},
            B={"DependsOn": "A", "Properties": {"Fail": True}},
        )
        prev = Previous(s.template_body, s.template, s.parameters, s.outputs, None, ())
        await book.save(
            stack=replace(s, status="UPDATE_IN_PROGRESS", template=failing, previous=prev)
        )
        await engine.drive(SID)
        assert book.stacks[SID].status == "UPDATE_ROLLBACK_COMPLETE"
        assert fake.world[now.physical_id or ""] == {"Kind": "y", "V": 1}
        assert set(book.resources[SID]) == {"A"}
        assert book.stacks[SID].template == new

    run(go())


def test_resume_after_crash_rolls_back_what_was_half_made(tmp_path: Path) -> None:
    fake = Fake()
    fake.hang = {"B"}
    storage, book, engine = setup(tmp_path, fake)

    async def crash() -> None:
        await book.save(stack=stack(things(A={}, B={"DependsOn": "A"})))
        task = asyncio.create_task(engine.drive(SID))
        while "B" not in {lid for _, lid, _ in fake.log}:
            await asyncio.sleep(0.01)
        task.cancel()  # the process dies: what is persisted is all there is

    run(crash())
    assert {r.status for r in book.resources[SID].values()} == {
        "CREATE_COMPLETE",
        "CREATE_IN_PROGRESS",
    }
    assert len(fake.world) == 2  # B was made though its create never answered
    storage.close()
    fake.hang = set()
    storage2, book2, engine2 = setup(tmp_path, fake)
    assert book2.stacks[SID].status == "CREATE_IN_PROGRESS"
    run(engine2.drive(SID, resumed=True))
    assert book2.stacks[SID].status == "ROLLBACK_COMPLETE"
    assert fake.world == {}  # B found by its persisted token
    assert (None, "B") in fake.deleted
    events = storage2.stacks.cfn_events(SID)
    assert [e.status for e in events if e.logical_id == "s"][:2] == [
        "ROLLBACK_COMPLETE",
        "ROLLBACK_IN_PROGRESS",
    ]
