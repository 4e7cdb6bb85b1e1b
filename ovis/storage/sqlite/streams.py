"""Kinesis-compatible streams (ovis.services.kinesis): streams, shards and records.

Contract: synchronous, thread-safe, durable on return. ``kinesis_write`` applies its batch in
order in one transaction (the service's group commit: many puts, one fsync). Records are keyed
(stream, shard, n), so reads "after n" are index range scans; hash keys are stored as decimal
text (128-bit values do not fit SQLite integers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ovis.models.stream import (
    AppendRecords,
    DataRecord,
    DropStream,
    PutStream,
    ShardRecord,
    StreamRecord,
    StreamState,
    StreamWrite,
)
from ovis.storage.sqlite.engine import Engine

_SHARD_COLS = (
    "stream, idx, start_hash, end_hash, created_ms, parent, adjacent_parent, end_n, closed_ms"
)


def _shard(r: tuple[Any, ...]) -> ShardRecord:
    return ShardRecord(r[0], r[1], int(r[2]), int(r[3]), r[4], r[5], r[6], r[7], r[8])


class SqliteStreams:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def kinesis_streams(self) -> list[StreamState]:
        streams = self._engine.read(
            "SELECT name, created_ms, retention_hours, mode, next_index, encryption, key_id, "
            "metrics, max_record_kib FROM kinesis_streams ORDER BY name"
        )
        shards: dict[str, list[ShardRecord]] = {}
        for r in self._engine.read(
            f"SELECT {_SHARD_COLS} FROM kinesis_shards ORDER BY stream, idx"
        ):
            shards.setdefault(r[0], []).append(_shard(r))
        out = []
        for r in streams:
            rec = StreamRecord(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(json.loads(r[7])), r[8]
            )
            own = shards.get(rec.name, [])
            out.append(StreamState(rec, tuple(own), {s.index: self._last_n(s) for s in own}))
        return out

    def _last_n(self, shard: ShardRecord) -> int:
        """The shard's highest record number ever: trimmed records' numbers are not reused."""
        rows = self._engine.read(
            "SELECT (SELECT MAX(n) FROM kinesis_records WHERE stream = ? AND shard = ?), "
            "trimmed_n FROM kinesis_shards WHERE stream = ? AND idx = ?",
            (shard.stream, shard.index, shard.stream, shard.index),
        )
        stored, trimmed = rows[0] if rows else (None, 0)
        return max(stored or 0, trimmed or 0, shard.end_n or 0)

    def kinesis_write(self, batch: Sequence[StreamWrite]) -> None:
        with self._engine.transaction() as db:
            for w in batch:
                if isinstance(w, AppendRecords):
                    db.executemany(
                        "INSERT INTO kinesis_records (stream, shard, n, partition_key, data, "
                        "arrival_ms, explicit_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [
                            (
                                r.stream,
                                r.shard,
                                r.n,
                                r.partition_key,
                                r.data,
                                r.arrival_ms,
                                r.explicit_hash,
                            )
                            for r in w.records
                        ],
                    )
                elif isinstance(w, PutStream):
                    s = w.stream
                    db.execute(
                        "INSERT OR REPLACE INTO kinesis_streams (name, created_ms, "
                        "retention_hours, mode, next_index, encryption, key_id, metrics, "
                        "max_record_kib) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            s.name,
                            s.created_ms,
                            s.retention_hours,
                            s.mode,
                            s.next_index,
                            s.encryption,
                            s.key_id,
                            json.dumps(list(s.metrics)),
                            s.max_record_kib,
                        ),
                    )
                    db.executemany(
                        f"INSERT INTO kinesis_shards ({_SHARD_COLS}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (stream, idx) DO UPDATE "
                        "SET end_n = excluded.end_n, closed_ms = excluded.closed_ms",
                        [
                            (
                                h.stream,
                                h.index,
                                str(h.start_hash),
                                str(h.end_hash),
                                h.created_ms,
                                h.parent,
                                h.adjacent_parent,
                                h.end_n,
                                h.closed_ms,
                            )
                            for h in w.shards
                        ],
                    )
                elif isinstance(w, DropStream):
                    db.execute("DELETE FROM kinesis_records WHERE stream = ?", (w.name,))
                    db.execute("DELETE FROM kinesis_shards WHERE stream = ?", (w.name,))
                    db.execute("DELETE FROM kinesis_streams WHERE name = ?", (w.name,))

    def kinesis_read(
        self, stream: str, shard: int, after_n: int, limit: int, max_bytes: int
    ) -> list[DataRecord]:
        # Sizes first (length() reads no blob content), so a read never loads more than
        # max_bytes (plus one record) of data however large ``limit`` is.
        sizes = self._engine.read(
            "SELECT n, length(data) FROM kinesis_records WHERE stream = ? AND shard = ? AND n > ? "
            "ORDER BY n LIMIT ?",
            (stream, shard, after_n, limit),
        )
        if not sizes:
            return []
        last, total = sizes[0][0], 0
        for n, size in sizes:
            total += size
            if total > max_bytes and n != sizes[0][0]:
                break
            last = n
        rows = self._engine.read(
            "SELECT n, partition_key, data, arrival_ms, explicit_hash FROM kinesis_records "
            "WHERE stream = ? AND shard = ? AND n > ? AND n <= ? ORDER BY n",
            (stream, shard, after_n, last),
        )
        return [DataRecord(stream, shard, r[0], r[1], bytes(r[2]), r[3], r[4]) for r in rows]

    def kinesis_first_at(self, stream: str, shard: int, arrival_ms: int) -> int | None:
        rows = self._engine.read(
            "SELECT MIN(n) FROM kinesis_records WHERE stream = ? AND shard = ? AND arrival_ms >= ?",
            (stream, shard, arrival_ms),
        )
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def kinesis_trim(self, cutoffs: dict[str, int]) -> int:
        gone = 0
        for stream, cutoff in cutoffs.items():
            with self._engine.transaction() as db:
                shards = [
                    r[0]
                    for r in db.execute(
                        "SELECT idx FROM kinesis_shards WHERE stream = ?", (stream,)
                    ).fetchall()
                ]
                for idx in shards:
                    # Remember the highest number trimmed: numbers must never be reused.
                    db.execute(
                        "UPDATE kinesis_shards SET trimmed_n = MAX(trimmed_n, COALESCE((SELECT "
                        "MAX(n) FROM kinesis_records WHERE stream = ? AND shard = ? AND "
                        "arrival_ms < ?), 0)) WHERE stream = ? AND idx = ?",
                        (stream, idx, cutoff, stream, idx),
                    )
                    gone += db.execute(
                        "DELETE FROM kinesis_records WHERE stream = ? AND shard = ? "
                        "AND arrival_ms < ?",
                        (stream, idx, cutoff),
                    ).rowcount
                db.execute(
                    "DELETE FROM kinesis_shards WHERE stream = ? AND closed_ms IS NOT NULL "
                    "AND closed_ms < ?",
                    (stream, cutoff),
                )
        return gone
