"""Migration 19: DynamoDB-compatible tables (``ovis.services.dynamodb``).

``ddb_tables`` (each table's definition as JSON), ``ddb_items`` (one row per item per index it
is in, keyed (tbl, idx, hk, rk, pk) with sortable byte keys, so Query is a range scan of the
primary key; ``ddb_items_scan`` orders a Scan by hash bucket for Segment/TotalSegments) and
``ddb_stream_records`` (each table's change records, numbered in write order by ``seq``,
indexed by (tbl, shard, seq) for readers and by time for the 24-hour retention). (Version 18
is left to a migration developed alongside this one.) New tables only.
"""

from __future__ import annotations

import sqlite3

VERSION = 19


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS ddb_tables (name TEXT PRIMARY KEY, doc TEXT NOT NULL, "
        "created_ms INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS ddb_items (tbl TEXT NOT NULL, idx TEXT NOT NULL, "
        "hk BLOB NOT NULL, rk BLOB NOT NULL, pk BLOB NOT NULL, bucket INTEGER NOT NULL, "
        "item TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (tbl, idx, hk, rk, pk)) "
        "WITHOUT ROWID"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS ddb_items_scan ON ddb_items (tbl, idx, bucket, hk, rk, pk)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS ddb_stream_records (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
        "tbl TEXT NOT NULL, shard TEXT NOT NULL, created_ms INTEGER NOT NULL, "
        "record TEXT NOT NULL)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS ddb_stream_records_shard ON ddb_stream_records "
        "(tbl, shard, seq)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS ddb_stream_records_time ON ddb_stream_records (created_ms)"
    )
