"""The DynamoDB repository's contract (``ovis.services.dynamodb.repository``): units commit
together and in order, rows come back in key order for Query and Scan, change records are
numbered in write order and trimmed by time, TTL candidates are found by their Number."""

from __future__ import annotations

import pytest

from ovis.models.dynamodb import (
    AppendChange,
    DeleteRow,
    DropIndex,
    DropTable,
    ItemRow,
    PutRow,
    PutTable,
    TableRow,
)
from ovis.services.dynamodb.repository import DynamoDbRepository
from ovis.storage.errors import StorageError
from tests.contract.conftest import Backend


def repo_of(backend: Backend) -> DynamoDbRepository:
    repo: DynamoDbRepository = backend.open().dynamodb  # type: ignore[attr-defined]
    return repo


def row(hk: bytes, rk: bytes, item: str = "{}", index: str = "", pk: bytes = b"") -> ItemRow:
    return ItemRow(index, hk, rk, pk, hk[0] % 7, item, len(item))


def test_units_commit_in_order_and_are_seen_by_another_connection(backend: Backend) -> None:
    r = repo_of(backend)
    r.ddb_write([[PutTable(TableRow("t", '{"TableName": "t"}', 1))]])
    r.ddb_write(
        [
            [PutRow("t", row(b"a", b"1", '{"v": 1}')), AppendChange("t", "s", 10, "one")],
            [PutRow("t", row(b"a", b"1", '{"v": 2}')), AppendChange("t", "s", 11, "two")],
            [PutRow("t", row(b"a", b"2")), PutRow("t", row(b"x", b"", index="g", pk=b"a2"))],
        ]
    )
    other = repo_of(backend)
    assert [t.name for t in other.ddb_tables()] == ["t"]
    got = other.ddb_get("t", "", b"a", b"1", b"")
    assert got is not None and got.item == '{"v": 2}'
    changes = other.ddb_changes("t", "s", 0, 10)
    assert [c.record for c in changes] == ["one", "two"]
    assert changes[0].seq < changes[1].seq
    assert [c.record for c in other.ddb_changes("t", "s", changes[0].seq, 10)] == ["two"]
    assert other.ddb_stats("t") == (2, len('{"v": 2}') + 2)
    assert other.ddb_index_stats("t", "g")[0] == 1


def test_a_failing_unit_rolls_back_its_whole_batch(backend: Backend) -> None:
    r = repo_of(backend)
    r.ddb_write([[PutTable(TableRow("t", "{}", 1))]])
    bad = ItemRow("", b"a", b"1", b"", 0, None, 0)  # type: ignore[arg-type]  # NOT NULL
    with pytest.raises(StorageError):
        r.ddb_write(
            [[PutRow("t", row(b"b", b"1")), AppendChange("t", "s", 1, "x")], [PutRow("t", bad)]]
        )
    assert r.ddb_get("t", "", b"b", b"1", b"") is None
    assert r.ddb_changes("t", "s", 0, 10) == []


def test_query_and_scan_ranges(backend: Backend) -> None:
    r = repo_of(backend)
    rows = [row(b"h", bytes([i])) for i in range(10)] + [row(b"z", b"\x01")]
    r.ddb_write([[PutRow("t", x) for x in rows]])
    q = r.ddb_query("t", "", b"h", (b"\x02", True), (b"\x06", False), True, None, 100)
    assert [x.rk for x in q] == [bytes([i]) for i in (2, 3, 4, 5)]
    q = r.ddb_query("t", "", b"h", (b"\x02", False), None, False, (b"\x08", b""), 3)
    assert [x.rk for x in q] == [bytes([i]) for i in (7, 6, 5)]
    everything = r.ddb_scan("t", "", (0, 7), None, 100)
    assert len(everything) == 11
    first = r.ddb_scan("t", "", (0, 7), None, 4)
    last = first[-1]
    rest = r.ddb_scan("t", "", (0, 7), (last.bucket, last.hk, last.rk, last.pk), 100)
    assert [x.rk for x in first + rest] == [x.rk for x in everything]
    r.ddb_write([[DeleteRow("t", "", b"h", b"\x00", b""), DropIndex("t", "none")]])
    assert len(r.ddb_scan("t", "", (0, 7), None, 100)) == 10


def test_ttl_candidates_trim_and_drop(backend: Backend) -> None:
    r = repo_of(backend)
    r.ddb_write(
        [
            [
                PutRow("t", row(b"a", b"", '{"exp": {"N": "100"}}')),
                PutRow("t", row(b"b", b"", '{"exp": {"N": "300"}}')),
                PutRow("t", row(b"c", b"", '{"exp": {"S": "100"}}')),
                PutRow("t", row(b"d", b"", '{"my \\"odd\\" name": {"N": "5"}}')),
                AppendChange("t", "s", 100, "old"),
                AppendChange("t", "s", 200, "new"),
            ]
        ]
    )
    assert [x.hk for x in r.ddb_expired("t", "exp", 0, 200, 10)] == [b"a"]
    assert [x.hk for x in r.ddb_expired("t", 'my "odd" name', 0, 200, 10)] == [b"d"]
    assert r.ddb_trim_changes(150) == 1
    assert [c.record for c in r.ddb_changes("t", "s", 0, 10)] == ["new"]
    r.ddb_write([[DropTable("t")]])
    assert r.ddb_scan("t", "", (0, 7), None, 10) == []
    assert r.ddb_tables() == []
    # a deleted table's stream stays readable until retention trims it
    assert [c.record for c in r.ddb_changes("t", "s", 0, 10)] == ["new"]
