"""Migration 3: Kinesis-compatible streams (``ovis.services.kinesis``).

``kinesis_streams`` (metadata), ``kinesis_shards`` (hash ranges as decimal text: they do not
fit SQLite's 64-bit integers) and ``kinesis_records``, keyed by (stream, shard, n) so a poller's
read "after n" is an index range; a second index by arrival time serves AT_TIMESTAMP iterators
and retention trimming. New tables only: no existing data changes.
"""

from __future__ import annotations

import sqlite3

VERSION = 3


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS kinesis_streams (name TEXT PRIMARY KEY, created_ms INTEGER "
        "NOT NULL, retention_hours INTEGER NOT NULL, mode TEXT NOT NULL, next_index INTEGER NOT "
        "NULL, encryption TEXT NOT NULL, key_id TEXT, metrics TEXT NOT NULL, max_record_kib "
        "INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS kinesis_shards (stream TEXT NOT NULL, idx INTEGER NOT NULL, "
        "start_hash TEXT NOT NULL, end_hash TEXT NOT NULL, created_ms INTEGER NOT NULL, "
        "parent INTEGER, adjacent_parent INTEGER, end_n INTEGER, closed_ms INTEGER, "
        "trimmed_n INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (stream, idx))"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS kinesis_records (stream TEXT NOT NULL, shard INTEGER NOT "
        "NULL, n INTEGER NOT NULL, partition_key TEXT NOT NULL, data BLOB NOT NULL, arrival_ms "
        "INTEGER NOT NULL, explicit_hash TEXT, PRIMARY KEY (stream, shard, n)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS kinesis_records_arrival "
        "ON kinesis_records (stream, shard, arrival_ms)"
    )
