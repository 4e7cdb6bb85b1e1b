"""CheckpointWriter: marks coalesce while a write is in flight; flush waits for durability."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from ovis.services.lambda_.esm.checkpoints import ShardCheckpoint
from ovis.services.lambda_.esm.stream_checkpoint_writer import CheckpointWriter
from tests.unit.services.esm.stream_fakes import MemoryCheckpoints


class SlowRepo(MemoryCheckpoints):
    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.batches: list[list[str]] = []

    def save(self, updates: Sequence[tuple[str, ShardCheckpoint]]) -> None:
        self.gate.wait(5)
        self.batches.append([c.position for _, c in updates])
        super().save(updates)


def test_marks_coalesce_and_flush_waits() -> None:
    async def main() -> None:
        repo = SlowRepo()
        repo.started.add("m")
        w = CheckpointWriter(repo, "m")
        task = asyncio.create_task(w.run())
        w.mark(ShardCheckpoint("s", "1"))
        await asyncio.sleep(0.05)  # the first write is in flight, blocked
        for i in range(2, 50):
            w.mark(ShardCheckpoint("s", str(i)))
        repo.gate.set()
        await asyncio.wait_for(w.flush(), 5)
        assert repo.batches == [["1"], ["49"]]
        assert repo.rows[("m", "s")].position == "49"
        task.cancel()
        w.mark(ShardCheckpoint("s", "50"))
        await w.write_pending()  # what close() does after the loop stopped
        assert repo.rows[("m", "s")].position == "50"

    asyncio.run(main())
