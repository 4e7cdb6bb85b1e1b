"""Stream mappings' checkpoints (the ``CheckpointRepository`` of
``ovis.services.lambda_.esm.checkpoints``): one row per (mapping, shard), plus the row saying
the mapping's starting points are decided.

Contract: synchronous, thread-safe, durable on return; ``start`` and ``save`` are one
transaction each; a saved position never moves back; saves for a mapping without a start
row (deleted, or never started) are ignored.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from ovis.models.stream_checkpoint import ShardCheckpoint
from ovis.storage.sqlite.engine import Engine, Row

# A position moves forward only: positions are canonical decimal strings, so a longer one is
# larger and equal lengths compare as text. The same position may be saved again with a new
# finished flag or window state.
_UPSERT = (
    "INSERT INTO stream_checkpoints (mapping, shard, position, finished, window)"
    " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM stream_mapping_starts WHERE mapping = ?)"
    " ON CONFLICT (mapping, shard) DO UPDATE SET"
    " position = excluded.position, finished = excluded.finished, window = excluded.window"
    " WHERE length(excluded.position) > length(position)"
    " OR (length(excluded.position) = length(position) AND excluded.position >= position)"
)


def _row(mapping: str, c: ShardCheckpoint) -> tuple[object, ...]:
    return (mapping, c.shard_id, c.position, int(c.finished), c.window, mapping)


def _checkpoint(row: Row) -> ShardCheckpoint:
    return ShardCheckpoint(row[0], row[1], bool(row[2]), row[3])


class SqliteStreamCheckpoints:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self, mapping_uuid: str) -> dict[str, ShardCheckpoint] | None:
        with self._engine.transaction() as db:  # one snapshot of the start row and the rows
            started = db.execute(
                "SELECT 1 FROM stream_mapping_starts WHERE mapping = ?", (mapping_uuid,)
            ).fetchone()
            if started is None:
                return None
            rows = db.execute(
                "SELECT shard, position, finished, window FROM stream_checkpoints"
                " WHERE mapping = ?",
                (mapping_uuid,),
            ).fetchall()
        return {r[0]: _checkpoint(r) for r in rows}

    def start(
        self, mapping_uuid: str, initial: Sequence[ShardCheckpoint]
    ) -> dict[str, ShardCheckpoint]:
        with self._engine.transaction() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO stream_mapping_starts (mapping, started_ms) VALUES (?, ?)",
                (mapping_uuid, int(time.time() * 1000)),
            ).rowcount
            if inserted:
                db.executemany(
                    _UPSERT,
                    [_row(mapping_uuid, c) for c in initial],
                )
            rows = db.execute(
                "SELECT shard, position, finished, window FROM stream_checkpoints"
                " WHERE mapping = ?",
                (mapping_uuid,),
            ).fetchall()
        return {r[0]: _checkpoint(r) for r in rows}

    def save(self, updates: Sequence[tuple[str, ShardCheckpoint]]) -> None:
        if not updates:
            return
        with self._engine.transaction() as db:
            db.executemany(
                _UPSERT,
                [_row(m, c) for m, c in updates],
            )

    def delete(self, mapping_uuid: str) -> None:
        with self._engine.transaction() as db:
            db.execute("DELETE FROM stream_checkpoints WHERE mapping = ?", (mapping_uuid,))
            db.execute("DELETE FROM stream_mapping_starts WHERE mapping = ?", (mapping_uuid,))

    def mapping_ids(self) -> list[str]:
        return [r[0] for r in self._engine.read("SELECT mapping FROM stream_mapping_starts")]
