"""DynamoDB-compatible tables (ovis.services.dynamodb): definitions, item rows, change records.

Contract: synchronous, thread-safe, durable on return. ``ddb_write`` applies its units in order
in ONE transaction (the service's group commit: many writes, one fsync); a unit's rows and its
stream record commit together, so an acknowledged write's change record is never lost.
Dropping a table keeps its change records (AWS keeps a deleted table's stream readable for
24 hours): retention trims them.
Item rows are keyed (tbl, idx, hk, rk, pk) with sortable byte keys: a Query is a range scan.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ovis.models.dynamodb import (
    AppendChange,
    ChangeRecord,
    DdbWrite,
    DeleteRow,
    DropIndex,
    DropTable,
    ItemRow,
    PutRow,
    PutTable,
    TableRow,
)
from ovis.storage.sqlite.engine import Engine, Row

_COLS = "idx, hk, rk, pk, bucket, item, size"


def _row(r: Row) -> ItemRow:
    return ItemRow(r[0], bytes(r[1]), bytes(r[2]), bytes(r[3]), r[4], r[5], r[6])


class SqliteDynamoDb:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def ddb_tables(self) -> list[TableRow]:
        rows = self._engine.read("SELECT name, doc, created_ms FROM ddb_tables ORDER BY name")
        return [TableRow(r[0], r[1], r[2]) for r in rows]

    def ddb_write(self, units: Sequence[Sequence[DdbWrite]]) -> None:
        with self._engine.transaction() as db:
            for unit in units:
                for w in unit:
                    if isinstance(w, PutRow):
                        r = w.row
                        db.execute(
                            f"INSERT OR REPLACE INTO ddb_items (tbl, {_COLS}) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (w.table, r.index, r.hk, r.rk, r.pk, r.bucket, r.item, r.size),
                        )
                    elif isinstance(w, DeleteRow):
                        db.execute(
                            "DELETE FROM ddb_items WHERE tbl = ? AND idx = ? AND hk = ? "
                            "AND rk = ? AND pk = ?",
                            (w.table, w.index, w.hk, w.rk, w.pk),
                        )
                    elif isinstance(w, AppendChange):
                        db.execute(
                            "INSERT INTO ddb_stream_records (tbl, shard, created_ms, record) "
                            "VALUES (?, ?, ?, ?)",
                            (w.table, w.shard, w.created_ms, w.record),
                        )
                    elif isinstance(w, PutTable):
                        t = w.table
                        db.execute(
                            "INSERT OR REPLACE INTO ddb_tables (name, doc, created_ms) "
                            "VALUES (?, ?, ?)",
                            (t.name, t.doc, t.created_ms),
                        )
                    elif isinstance(w, DropIndex):
                        db.execute(
                            "DELETE FROM ddb_items WHERE tbl = ? AND idx = ?", (w.table, w.index)
                        )
                    elif isinstance(w, DropTable):
                        db.execute("DELETE FROM ddb_items WHERE tbl = ?", (w.name,))
                        db.execute("DELETE FROM ddb_tables WHERE name = ?", (w.name,))

    def ddb_get(self, table: str, index: str, hk: bytes, rk: bytes, pk: bytes) -> ItemRow | None:
        rows = self._engine.read(
            f"SELECT {_COLS} FROM ddb_items WHERE tbl = ? AND idx = ? AND hk = ? AND rk = ? "
            "AND pk = ?",
            (table, index, hk, rk, pk),
        )
        return _row(rows[0]) if rows else None

    def ddb_query(
        self,
        table: str,
        index: str,
        hk: bytes,
        low: tuple[bytes, bool] | None,
        high: tuple[bytes, bool] | None,
        forward: bool,
        after: tuple[bytes, bytes] | None,
        limit: int,
    ) -> list[ItemRow]:
        sql = f"SELECT {_COLS} FROM ddb_items WHERE tbl = ? AND idx = ? AND hk = ?"
        args: list[object] = [table, index, hk]
        if low is not None:
            sql += " AND rk >= ?" if low[1] else " AND rk > ?"
            args.append(low[0])
        if high is not None:
            sql += " AND rk <= ?" if high[1] else " AND rk < ?"
            args.append(high[0])
        if after is not None:
            sql += " AND (rk, pk) > (?, ?)" if forward else " AND (rk, pk) < (?, ?)"
            args += list(after)
        order = "" if forward else " DESC"
        sql += f" ORDER BY rk{order}, pk{order} LIMIT ?"
        args.append(limit)
        return [_row(r) for r in self._engine.read(sql, args)]

    def ddb_scan(
        self,
        table: str,
        index: str,
        buckets: tuple[int, int],
        after: tuple[int, bytes, bytes, bytes] | None,
        limit: int,
    ) -> list[ItemRow]:
        sql = (
            f"SELECT {_COLS} FROM ddb_items INDEXED BY ddb_items_scan WHERE tbl = ? AND idx = ? "
            "AND bucket >= ? AND bucket < ?"
        )
        args: list[object] = [table, index, *buckets]
        if after is not None:
            sql += " AND (bucket, hk, rk, pk) > (?, ?, ?, ?)"
            args += list(after)
        sql += " ORDER BY bucket, hk, rk, pk LIMIT ?"
        args.append(limit)
        return [_row(r) for r in self._engine.read(sql, args)]

    def ddb_expired(
        self, table: str, attribute: str, low_s: float, high_s: float, limit: int
    ) -> list[ItemRow]:
        # The TTL attribute is a Number: compared in SQLite as a REAL (to-the-second
        # precision is all TTL needs). SQLite's JSON paths cannot quote a '"': such a name
        # is matched here instead.
        if '"' in attribute:
            found = []
            for r in self._engine.read(
                f"SELECT {_COLS} FROM ddb_items WHERE tbl = ? AND idx = ''", (table,)
            ):
                v = json.loads(r[5]).get(attribute) or {}
                try:
                    due = "N" in v and low_s <= float(v["N"]) <= high_s
                except ValueError:
                    due = False
                if due:
                    found.append(_row(r))
            return found[:limit]
        rows = self._engine.read(
            f"SELECT {_COLS} FROM ddb_items WHERE tbl = ? AND idx = '' AND "
            "CAST(json_extract(item, ?) AS REAL) BETWEEN ? AND ? LIMIT ?",
            (table, '$."' + attribute + '".N', low_s, high_s, limit),
        )
        return [_row(r) for r in rows]

    def ddb_stats(self, table: str) -> tuple[int, int]:
        rows = self._engine.read(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_items WHERE tbl = ? AND idx = ''",
            (table,),
        )
        return int(rows[0][0]), int(rows[0][1])

    def ddb_index_stats(self, table: str, index: str) -> tuple[int, int]:
        rows = self._engine.read(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_items WHERE tbl = ? AND idx = ?",
            (table, index),
        )
        return int(rows[0][0]), int(rows[0][1])

    def ddb_changes(self, table: str, shard: str, after_seq: int, limit: int) -> list[ChangeRecord]:
        rows = self._engine.read(
            "SELECT seq, created_ms, record FROM ddb_stream_records WHERE tbl = ? AND shard = ? "
            "AND seq > ? ORDER BY seq LIMIT ?",
            (table, shard, after_seq, limit),
        )
        return [ChangeRecord(table, shard, r[0], r[1], r[2]) for r in rows]

    def ddb_trim_changes(self, before_ms: int) -> int:
        return self._engine.write(
            "DELETE FROM ddb_stream_records WHERE created_ms < ?", (before_ms,)
        )
