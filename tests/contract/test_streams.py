"""Stream storage (ovis.services.kinesis.repository.StreamRepository), for every backend."""

from __future__ import annotations

import pytest

from ovis.models.stream import (
    AppendRecords,
    DataRecord,
    DropStream,
    PutStream,
    ShardRecord,
    StreamRecord,
)
from ovis.storage.errors import StorageError
from tests.contract.conftest import Backend, Storage

HASH_MAX = 2**128 - 1


def _stream(storage: Storage, name: str = "s") -> tuple[StreamRecord, ShardRecord]:
    rec = StreamRecord(name, 1000, 24, "PROVISIONED", 1)
    shard = ShardRecord(name, 0, 0, HASH_MAX, 1000)
    storage.streams.kinesis_write([PutStream(rec, (shard,))])
    return rec, shard


def _rec(n: int, arrival: int = 0, stream: str = "s", shard: int = 0) -> DataRecord:
    return DataRecord(stream, shard, n, f"pk{n}", b"x" * n, arrival or n)


def test_a_batch_is_committed_in_order_and_seen_by_another_connection(
    storage: Storage, backend: Backend
) -> None:
    rec, shard = _stream(storage)
    storage.streams.kinesis_write([AppendRecords((_rec(1), _rec(2))), AppendRecords((_rec(3),))])
    (state,) = backend.open().streams.kinesis_streams()
    assert state.stream == rec and state.shards == (shard,) and state.last_n == {0: 3}
    got = backend.open().streams.kinesis_read("s", 0, 1, 10, 1 << 20)
    assert [(r.n, r.partition_key, r.data) for r in got] == [(2, "pk2", b"xx"), (3, "pk3", b"xxx")]


def test_a_failing_batch_writes_nothing(storage: Storage) -> None:
    _stream(storage)
    with pytest.raises(StorageError):  # the same record number twice breaks the key
        storage.streams.kinesis_write([AppendRecords((_rec(1),)), AppendRecords((_rec(1),))])
    assert storage.streams.kinesis_read("s", 0, 0, 10, 1 << 20) == []


def test_reads_stop_at_the_limit_and_the_byte_budget_but_return_one(storage: Storage) -> None:
    _stream(storage)
    storage.streams.kinesis_write([AppendRecords(tuple(_rec(n) for n in range(1, 6)))])
    assert [r.n for r in storage.streams.kinesis_read("s", 0, 0, 2, 1 << 20)] == [1, 2]
    assert [r.n for r in storage.streams.kinesis_read("s", 0, 0, 10, 6)] == [1, 2, 3]
    assert [r.n for r in storage.streams.kinesis_read("s", 0, 3, 10, 1)] == [4]


def test_first_record_at_a_time(storage: Storage) -> None:
    _stream(storage)
    storage.streams.kinesis_write([AppendRecords((_rec(1, 10), _rec(2, 20), _rec(3, 30)))])
    assert storage.streams.kinesis_first_at("s", 0, 15) == 2
    assert storage.streams.kinesis_first_at("s", 0, 20) == 2
    assert storage.streams.kinesis_first_at("s", 0, 31) is None


def test_trim_drops_old_records_and_closed_shards_but_keeps_the_count(
    storage: Storage, backend: Backend
) -> None:
    rec, _ = _stream(storage)
    closed = ShardRecord("s", 0, 0, HASH_MAX, 1000, end_n=2, closed_ms=50)
    child = ShardRecord("s", 1, 0, HASH_MAX, 50, parent=0)
    storage.streams.kinesis_write(
        [
            AppendRecords((_rec(1, 10), _rec(2, 20))),
            PutStream(rec, (closed, child)),
            AppendRecords((_rec(1, 60, shard=1), _rec(2, 70, shard=1))),
        ]
    )
    assert storage.streams.kinesis_trim({"s": 65}) == 3
    (state,) = backend.open().streams.kinesis_streams()
    assert [s.index for s in state.shards] == [1]
    assert state.last_n == {1: 2}
    assert storage.streams.kinesis_trim({"s": 100}) == 1
    (state,) = backend.open().streams.kinesis_streams()
    assert state.last_n == {1: 2}  # trimmed numbers are not given out again


def test_drop_removes_the_stream_its_shards_and_records(storage: Storage) -> None:
    _stream(storage)
    _stream(storage, "other")
    storage.streams.kinesis_write([AppendRecords((_rec(1),)), DropStream("s")])
    assert [s.stream.name for s in storage.streams.kinesis_streams()] == ["other"]
    assert storage.streams.kinesis_read("s", 0, 0, 10, 1 << 20) == []
