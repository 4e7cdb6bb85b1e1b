"""StreamService as the event source mappings see it (the ``StreamSource`` protocol), and the
use cases' guarantees, driven directly (no HTTP) over a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ovis.models.stream import StreamWrite
from ovis.services.kinesis import commands as cmd
from ovis.services.kinesis.catalog import now_ms
from ovis.services.kinesis.errors import InternalFailureException
from ovis.services.kinesis.streams import StreamService
from ovis.storage.sqlite import SqliteStorage

ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/s"


def _service(storage: SqliteStorage, store: Any = None) -> StreamService:
    return StreamService(store or storage.streams, storage.tags, "us-east-1", "000000000000", b"k")


def _put(svc: StreamService, *keys: str, stream: str = "s") -> Any:
    recs = tuple(cmd.RecordInput(k.encode(), k) for k in keys)
    return svc.records.put_records(cmd.PutRecords(stream, recs))


@pytest.fixture
def storage(tmp_path: Path) -> Any:
    s = SqliteStorage(tmp_path / "ovis.db")
    yield s
    s.close()


def test_the_service_satisfies_stream_source_for_mypy() -> None:
    from mypy import api

    here = Path(__file__).parent / "conformance.py"
    out, err, status = api.run(
        ["--strict", "--no-incremental", "--follow-imports=silent", str(here)]
    )
    assert status == 0, out + err


def test_records_read_in_order_after_a_position(storage: SqliteStorage) -> None:
    async def main() -> None:
        svc = _service(storage)
        await svc.start()
        await svc.admin.create_stream(cmd.CreateStream("s", 1))
        assert svc.stream_exists(ARN) and not svc.stream_exists(ARN + "x")
        (shard,) = await svc.shards(ARN)
        assert shard.parent_shard_id is None and not shard.closed
        assert await svc.position_latest(ARN, shard.shard_id) == "0"
        results = await _put(svc, "a", "b", "c")
        seqs = [r.sequence_number for r in results]
        assert [int(x) for x in seqs] == sorted(int(x) for x in seqs) and "0" not in seqs
        got = await svc.read(ARN, shard.shard_id, "0", 10, 1 << 20)
        assert [(r.sequence_number, r.data) for r in got] == list(
            zip(seqs, [b"a", b"b", b"c"], strict=True)
        )
        assert [r.data for r in await svc.read(ARN, shard.shard_id, seqs[0], 10, 1 << 20)] == [
            b"b",
            b"c",
        ]
        assert [r.data for r in await svc.read(ARN, shard.shard_id, "0", 2, 1 << 20)] == [
            b"a",
            b"b",
        ]
        # max_bytes stops before the limit, but at least one record comes
        assert [r.data for r in await svc.read(ARN, shard.shard_id, "0", 10, 1)] == [b"a"]
        assert await svc.position_latest(ARN, shard.shard_id) == seqs[-1]
        assert await svc.position_at(ARN, shard.shard_id, 0) == "0"
        assert await svc.position_at(ARN, shard.shard_id, now_ms() + 60_000) == seqs[-1]

    asyncio.run(main())


def test_wait_returns_on_a_put_and_times_out_for_a_missing_stream(storage: SqliteStorage) -> None:
    async def main() -> None:
        svc = _service(storage)
        await svc.start()
        await svc.admin.create_stream(cmd.CreateStream("s", 1))
        waiter = asyncio.create_task(svc.wait(ARN, 30))
        await asyncio.sleep(0)  # let it start waiting
        await _put(svc, "a")
        await asyncio.wait_for(waiter, 5)  # woken by the put, far before its 30 s timeout
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await svc.wait(ARN + "-missing", 0.05)
        assert loop.time() - t0 >= 0.04

    asyncio.run(main())


def test_split_closes_the_parent_and_new_records_go_to_children(storage: SqliteStorage) -> None:
    async def main() -> None:
        svc = _service(storage)
        await svc.start()
        await svc.admin.create_stream(cmd.CreateStream("s", 1))
        before = await _put(svc, *[f"k{i}" for i in range(20)])
        waiter = asyncio.create_task(svc.wait(ARN, 30))
        await asyncio.sleep(0)
        await svc.resharding.split_shard(cmd.SplitShard("s", "shardId-000000000000", str(2**127)))
        await asyncio.wait_for(waiter, 5)  # a reshard wakes waiters too
        parent, low, high = await svc.shards(ARN)
        assert parent.closed and parent.ending_sequence == before[-1].sequence_number
        assert (low.parent_shard_id, high.parent_shard_id) == (parent.shard_id, parent.shard_id)
        after = await _put(svc, *[f"k{i}" for i in range(20)])
        assert {r.shard_id for r in after} <= {low.shard_id, high.shard_id}
        assert all(int(r.sequence_number) > int(before[-1].sequence_number) for r in after)
        rest = await svc.read(ARN, parent.shard_id, before[9].sequence_number, 100, 1 << 20)
        assert [r.sequence_number for r in rest] == [r.sequence_number for r in before[10:]]

    asyncio.run(main())


def test_state_and_numbering_survive_a_restart_and_trimming(
    storage: SqliteStorage, tmp_path: Path
) -> None:
    async def main() -> None:
        svc = _service(storage)
        await svc.start()
        await svc.admin.create_stream(cmd.CreateStream("s", 2))
        first = await _put(svc, "a", "b", "c", "d")
        await svc.resharding.merge_shards(
            cmd.MergeShards("s", "shardId-000000000000", "shardId-000000000001")
        )
        # everything is older than 25 h from now: records and closed shards go
        gone = await svc.retention.trim(now_ms() + 25 * 3_600_000)
        assert gone == 4
        assert [s.shard_id for s in await svc.shards(ARN)] == ["shardId-000000000002"]
        again = _service(SqliteStorage(tmp_path / "ovis.db"))
        await again.start()
        (child,) = await again.shards(ARN)
        assert (child.parent_shard_id, child.adjacent_parent_shard_id) == (
            "shardId-000000000000",
            "shardId-000000000001",
        )
        late = await _put(again, "e")
        assert late[0].shard_id == child.shard_id
        assert int(late[0].sequence_number) > max(int(r.sequence_number) for r in first)
        # a trimmed open shard keeps counting: its numbers are never reused
        await again.retention.trim(now_ms() + 25 * 3_600_000)
        third = _service(SqliteStorage(tmp_path / "ovis.db"))
        await third.start()
        newer = await _put(third, "f")
        assert int(newer[0].sequence_number) > int(late[0].sequence_number)

    asyncio.run(main())


class CountingStore:
    """The real store, counting transactions and failing on demand."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.writes = 0
        self.fail = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def kinesis_write(self, batch: Sequence[StreamWrite]) -> None:
        self.writes += 1
        if self.fail:
            raise OSError("disk full")
        self.inner.kinesis_write(batch)


def test_concurrent_puts_share_commits_and_a_failed_write_acknowledges_nothing(
    storage: SqliteStorage,
) -> None:
    async def main() -> None:
        store = CountingStore(storage.streams)
        svc = _service(storage, store)
        await svc.start()
        await svc.admin.create_stream(cmd.CreateStream("s", 1))
        store.writes = 0
        await asyncio.gather(*(_put(svc, f"k{i}") for i in range(200)))
        assert store.writes < 200  # group commit: batches, not one fsync per put
        (shard,) = await svc.shards(ARN)
        assert len(await svc.read(ARN, shard.shard_id, "0", 1000, 1 << 30)) == 200
        latest = await svc.position_latest(ARN, shard.shard_id)
        store.fail = True
        with pytest.raises(InternalFailureException):
            await _put(svc, "lost")
        store.fail = False
        ok = await _put(svc, "kept")  # the failed record's number is burned, never reused
        assert int(ok[0].sequence_number) > int(latest) + 1
        got = await svc.read(ARN, shard.shard_id, latest, 10, 1 << 20)
        assert [r.data for r in got] == [b"kept"]

    asyncio.run(main())


def test_a_failed_reshard_leaves_the_stream_as_stored(storage: SqliteStorage) -> None:
    async def main() -> None:
        store = CountingStore(storage.streams)
        svc = _service(storage, store)
        await svc.start()
        await svc.admin.create_stream(cmd.CreateStream("s", 1))
        store.fail = True
        with pytest.raises(InternalFailureException):
            await svc.resharding.split_shard(cmd.SplitShard("s", "shardId-000000000000", "1000"))
        store.fail = False
        (shard,) = await svc.shards(ARN)
        assert shard.shard_id == "shardId-000000000000" and not shard.closed
        assert (await _put(svc, "a"))[0].shard_id == shard.shard_id
        await svc.resharding.split_shard(cmd.SplitShard("s", "shardId-000000000000", "1000"))
        # the failed split's child indexes (1, 2) may name records of a later batch: not reused
        assert [v.shard_id for v in await svc.shards(ARN)] == [
            "shardId-000000000000",
            "shardId-000000000003",
            "shardId-000000000004",
        ]

    asyncio.run(main())
