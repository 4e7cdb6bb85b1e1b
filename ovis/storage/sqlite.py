"""SQLite implementation of the Store protocol (the embedded default)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ovis.models.function import FunctionConfig
from ovis.models.layer import LayerVersion
from ovis.storage.store import (
    AsyncEvent,
    AsyncResult,
    LedgerEntry,
    LogEvent,
    QueueMessage,
    QueueReceive,
    QueueRecord,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS log_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    grp TEXT NOT NULL,
    stream TEXT NOT NULL,
    ts INTEGER NOT NULL,
    ingested INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_grp_ts ON log_events (grp, ts, id);
CREATE TABLE IF NOT EXISTS async_events (
    id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    payload BLOB NOT NULL,
    received_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before_ms INTEGER NOT NULL DEFAULT 0,
    hops INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS async_events_due ON async_events (not_before_ms);
CREATE TABLE IF NOT EXISTS async_results (
    event_id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    outcome TEXT NOT NULL,
    condition TEXT NOT NULL,
    destination TEXT,
    record TEXT NOT NULL,
    finished_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS async_ledger (
    entry_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    function TEXT NOT NULL,
    kind TEXT NOT NULL,
    destination TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS event_invoke_configs (
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (function, qualifier)
);
CREATE TABLE IF NOT EXISTS recursion_configs (
    function TEXT PRIMARY KEY,
    mode TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS version_counters (
    name TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS aliases (
    function TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (function, name)
);
CREATE TABLE IF NOT EXISTS provisioned_concurrency (
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    requested INTEGER NOT NULL,
    last_modified TEXT NOT NULL,
    PRIMARY KEY (function, qualifier)
);
CREATE TABLE IF NOT EXISTS function_concurrency (
    name TEXT PRIMARY KEY,
    reserved INTEGER NOT NULL
);
-- layers: the per-layer version counter survives the deletion of every version
CREATE TABLE IF NOT EXISTS layers (
    name TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS layer_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    digest TEXT NOT NULL,
    code_sha256 TEXT NOT NULL,
    code_size INTEGER NOT NULL,
    unzipped_size INTEGER NOT NULL,
    description TEXT NOT NULL,
    created TEXT NOT NULL,
    compatible_runtimes TEXT,
    compatible_architectures TEXT,
    license_info TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS layer_policies (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    statements TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
-- Application Auto Scaling: targets and policies as the JSON of their API shapes
CREATE TABLE IF NOT EXISTS scalable_targets (
    namespace TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (namespace, resource_id, dimension)
);
CREATE TABLE IF NOT EXISTS scaling_policies (
    namespace TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (namespace, resource_id, dimension, name)
);
-- SQS-compatible queues (ovis.services.sqs); a queue's tags live in the tags table under its ARN
CREATE TABLE IF NOT EXISTS sqs_queues (
    name TEXT PRIMARY KEY,
    attributes TEXT NOT NULL,
    created_s INTEGER NOT NULL,
    modified_s INTEGER NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sqs_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL,
    system TEXT NOT NULL,
    sent_ms INTEGER NOT NULL,
    visible_ms INTEGER NOT NULL,
    group_id TEXT NOT NULL DEFAULT '',
    dedup_id TEXT NOT NULL DEFAULT '',
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_receive_ms INTEGER NOT NULL DEFAULT 0,
    receipt TEXT NOT NULL DEFAULT '',
    sequence INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sqs_messages_visible ON sqs_messages (queue, visible_ms, id);
CREATE INDEX IF NOT EXISTS sqs_messages_group ON sqs_messages (queue, group_id, id);
CREATE INDEX IF NOT EXISTS sqs_messages_sent ON sqs_messages (queue, sent_ms);
-- FIFO deduplication keys, kept for the 5-minute window even after their message is gone
CREATE TABLE IF NOT EXISTS sqs_dedup (
    queue TEXT NOT NULL,
    key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    until_ms INTEGER NOT NULL,
    PRIMARY KEY (queue, key)
);
-- function URLs and function resource policies, per (function, qualifier); qualifier '' is the
-- unqualified function
CREATE TABLE IF NOT EXISTS function_urls (
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (function, qualifier)
);
CREATE TABLE IF NOT EXISTS function_policies (
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    statements TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    PRIMARY KEY (function, qualifier)
);
"""


class SqliteStore:
    """Store on one SQLite file in WAL mode; one connection guarded by a lock (thread-safe)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db: sqlite3.Connection | None = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None
        )
        self._lock = threading.Lock()
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed row (an accepted async event) survives power loss, not just kill -9.
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
        columns = {r[1] for r in db.execute("PRAGMA table_info(async_events)")}
        if "hops" not in columns:  # data dirs from before recursion detection
            db.execute("ALTER TABLE async_events ADD COLUMN hops INTEGER NOT NULL DEFAULT 0")

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("store is closed")
        return self._db

    def _write(self, sql: str, params: Iterable[object] = ()) -> None:
        with self._lock:
            self._conn().execute(sql, tuple(params))

    def _read(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self._conn().execute(sql, tuple(params)).fetchall()

    def _put_or_delete(
        self, table: str, key: Mapping[str, object], values: Mapping[str, object] | None
    ) -> None:
        """Upsert the row of ``table`` with primary ``key``, or delete it when ``values`` is
        None. Table and column names come from this module, never from a request."""
        where = " AND ".join(f"{col} = ?" for col in key)
        if values is None:
            self._write(f"DELETE FROM {table} WHERE {where}", key.values())
            return
        row = {**key, **values}
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self._write(f"INSERT OR REPLACE INTO {table} ({cols}) VALUES ({marks})", row.values())

    # functions
    def put_function(self, cfg: FunctionConfig) -> None:
        self._write(
            "INSERT OR REPLACE INTO functions (name, version, config) VALUES (?, ?, ?)",
            (cfg.name, cfg.version, json.dumps(cfg.to_json())),
        )

    def get_function(self, name: str, version: str) -> FunctionConfig | None:
        rows = self._read(
            "SELECT config FROM functions WHERE name = ? AND version = ?", (name, version)
        )
        return FunctionConfig.from_json(json.loads(rows[0][0])) if rows else None

    def list_functions(self) -> list[FunctionConfig]:
        rows = self._read("SELECT config FROM functions ORDER BY name, version")
        return [FunctionConfig.from_json(json.loads(r[0])) for r in rows]

    def delete_function(self, name: str) -> None:
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            db.execute("DELETE FROM functions WHERE name = ?", (name,))
            db.execute("DELETE FROM function_concurrency WHERE name = ?", (name,))
            db.execute("DELETE FROM version_counters WHERE name = ?", (name,))
            db.execute("DELETE FROM aliases WHERE function = ?", (name,))
            db.execute("DELETE FROM provisioned_concurrency WHERE function = ?", (name,))
            db.execute("DELETE FROM event_invoke_configs WHERE function = ?", (name,))
            db.execute("DELETE FROM recursion_configs WHERE function = ?", (name,))
            db.execute("DELETE FROM function_urls WHERE function = ?", (name,))
            db.execute("DELETE FROM function_policies WHERE function = ?", (name,))
            db.execute("COMMIT")

    def delete_version(self, name: str, version: str) -> None:
        self._write("DELETE FROM functions WHERE name = ? AND version = ?", (name, version))

    def publish_version(self, cfg: FunctionConfig) -> None:
        """Store a new version and advance the function's counter, atomically."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            db.execute(
                "INSERT INTO functions (name, version, config) VALUES (?, ?, ?)",
                (cfg.name, cfg.version, json.dumps(cfg.to_json())),
            )
            db.execute(
                "INSERT OR REPLACE INTO version_counters (name, last_version) VALUES (?, ?)",
                (cfg.name, int(cfg.version)),
            )
            db.execute("COMMIT")

    def last_version(self, name: str) -> int:
        rows = self._read("SELECT last_version FROM version_counters WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    # provisioned concurrency
    def provisioned_configs(self) -> list[tuple[str, str, int, str]]:
        rows = self._read(
            "SELECT function, qualifier, requested, last_modified FROM provisioned_concurrency"
        )
        return [(r[0], r[1], int(r[2]), r[3]) for r in rows]

    def put_provisioned(
        self, function: str, qualifier: str, requested: int | None, last_modified: str = ""
    ) -> None:
        values = (
            None if requested is None else {"requested": requested, "last_modified": last_modified}
        )
        self._put_or_delete(
            "provisioned_concurrency", {"function": function, "qualifier": qualifier}, values
        )

    # aliases
    def put_alias(self, function: str, name: str, data: dict[str, object]) -> None:
        self._write(
            "INSERT OR REPLACE INTO aliases (function, name, data) VALUES (?, ?, ?)",
            (function, name, json.dumps(data)),
        )

    def delete_alias(self, function: str, name: str) -> None:
        self._write("DELETE FROM aliases WHERE function = ? AND name = ?", (function, name))

    def list_aliases(self) -> list[dict[str, object]]:
        return [json.loads(r[0]) for r in self._read("SELECT data FROM aliases")]

    # reserved concurrency
    def reserved_concurrency(self) -> dict[str, int]:
        return dict(self._read("SELECT name, reserved FROM function_concurrency"))

    def put_reserved_concurrency(self, name: str, reserved: int | None) -> None:
        values = None if reserved is None else {"reserved": reserved}
        self._put_or_delete("function_concurrency", {"name": name}, values)

    # tags
    def get_tags(self, arn: str) -> dict[str, str]:
        return dict(self._read("SELECT key, value FROM tags WHERE arn = ? ORDER BY key", (arn,)))

    def put_tags(self, arn: str, tags: dict[str, str]) -> None:
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            db.executemany(
                "INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)",
                [(arn, k, v) for k, v in tags.items()],
            )
            db.execute("COMMIT")

    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None:
        with self._lock:
            db = self._conn()
            if keys is None:
                db.execute("DELETE FROM tags WHERE arn = ?", (arn,))
            else:
                db.execute("BEGIN")
                db.executemany(
                    "DELETE FROM tags WHERE arn = ? AND key = ?", [(arn, k) for k in keys]
                )
                db.execute("COMMIT")

    # logs
    def append_logs(self, events: Iterable[LogEvent]) -> None:
        rows = [(e.group, e.stream, e.timestamp, e.ingestion_time, e.message) for e in events]
        if not rows:
            return
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO log_events (grp, stream, ts, ingested, message) VALUES (?,?,?,?,?)",
                rows,
            )
            db.execute("COMMIT")

    def filter_logs(
        self, group: str, start_ms: int, end_ms: int, after_id: int, limit: int
    ) -> list[LogEvent]:
        rows = self._read(
            "SELECT id, stream, ts, ingested, message FROM log_events "
            "WHERE grp = ? AND ts >= ? AND ts <= ? AND id > ? ORDER BY id LIMIT ?",
            (group, start_ms, end_ms, after_id, limit),
        )
        return [LogEvent(group, r[1], r[2], r[4], r[0], r[3]) for r in rows]

    def log_groups(self) -> list[tuple[str, int]]:
        rows = self._read("SELECT grp, MIN(ingested) FROM log_events GROUP BY grp ORDER BY grp")
        return [(r[0], r[1]) for r in rows]

    def log_streams(self, group: str) -> list[tuple[str, int, int]]:
        rows = self._read(
            "SELECT stream, MIN(ts), MAX(ts) FROM log_events WHERE grp = ? "
            "GROUP BY stream ORDER BY stream",
            (group,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def delete_log_group(self, group: str) -> None:
        self._write("DELETE FROM log_events WHERE grp = ?", (group,))

    # async events
    def enqueue_async(self, event: AsyncEvent) -> None:
        self.enqueue_async_many([event])

    def enqueue_async_many(self, events: list[AsyncEvent]) -> None:
        """Commit several events in one transaction (one fsync): group commit for accepts."""
        rows = [
            (
                e.event_id,
                e.function,
                e.qualifier,
                e.payload,
                e.received_ms,
                e.attempts,
                e.not_before_ms,
                e.hops,
            )
            for e in events
        ]
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO async_events (id, function, qualifier, payload, received_ms, "
                "attempts, not_before_ms, hops) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.execute("COMMIT")

    def due_async(self, now_ms: int, limit: int) -> list[AsyncEvent]:
        rows = self._read(
            "SELECT id, function, qualifier, payload, received_ms, attempts, not_before_ms, hops "
            "FROM async_events WHERE not_before_ms <= ? ORDER BY not_before_ms, received_ms "
            "LIMIT ?",
            (now_ms, limit),
        )
        return [AsyncEvent(r[0], r[1], r[2], bytes(r[3]), r[4], r[5], r[6], r[7]) for r in rows]

    def pending_async(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM async_events")[0][0])

    def finish_async(
        self, event_id: str, result: AsyncResult | None = None, ledger: LedgerEntry | None = None
    ) -> None:
        """Move an event to its terminal place in one transaction."""
        self.finish_async_many([(event_id, result, ledger)])

    def finish_async_many(
        self, items: list[tuple[str, AsyncResult | None, LedgerEntry | None]]
    ) -> None:
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            for event_id, result, ledger in items:
                db.execute("DELETE FROM async_events WHERE id = ?", (event_id,))
                if result is not None:
                    db.execute(
                        "INSERT OR REPLACE INTO async_results (event_id, function, outcome, "
                        "condition, destination, record, finished_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            result.event_id,
                            result.function,
                            result.outcome,
                            result.condition,
                            result.destination,
                            result.record,
                            result.finished_ms,
                        ),
                    )
                if ledger is not None:
                    self._ledger_insert(db, ledger)
            db.execute("COMMIT")

    def retry_async(self, event_id: str, attempts: int, not_before_ms: int) -> None:
        self._write(
            "UPDATE async_events SET attempts = ?, not_before_ms = ? WHERE id = ?",
            (attempts, not_before_ms, event_id),
        )

    def async_results(self, function: str | None = None) -> list[AsyncResult]:
        sql = (
            "SELECT event_id, function, outcome, condition, destination, record, finished_ms "
            "FROM async_results"
        )
        rows = (
            self._read(sql + " WHERE function = ? ORDER BY finished_ms", (function,))
            if function
            else self._read(sql + " ORDER BY finished_ms")
        )
        return [AsyncResult(*r) for r in rows]

    # the undeliverable ledger
    @staticmethod
    def _ledger_insert(db: sqlite3.Connection, e: LedgerEntry) -> None:
        db.execute(
            "INSERT OR REPLACE INTO async_ledger (entry_id, event_id, function, kind, "
            "destination, body, attributes, error, attempts, next_attempt_ms, created_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.entry_id,
                e.event_id,
                e.function,
                e.kind,
                e.destination,
                e.body,
                e.attributes,
                e.error,
                e.attempts,
                e.next_attempt_ms,
                e.created_ms,
            ),
        )

    def ledger(self, due_ms: int | None = None) -> list[LedgerEntry]:
        sql = (
            "SELECT entry_id, event_id, function, kind, destination, body, attributes, error, "
            "attempts, next_attempt_ms, created_ms FROM async_ledger"
        )
        rows = (
            self._read(sql + " WHERE next_attempt_ms <= ? ORDER BY created_ms", (due_ms,))
            if due_ms is not None
            else self._read(sql + " ORDER BY created_ms")
        )
        return [LedgerEntry(*r) for r in rows]

    def ledger_update(self, entry_id: str, attempts: int, next_attempt_ms: int, error: str) -> None:
        self._write(
            "UPDATE async_ledger SET attempts = ?, next_attempt_ms = ?, error = ? "
            "WHERE entry_id = ?",
            (attempts, next_attempt_ms, error, entry_id),
        )

    def ledger_delivered(self, entry_id: str, result: AsyncResult) -> None:
        """A ledger entry finally reached its destination: it becomes a normal result."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            db.execute("DELETE FROM async_ledger WHERE entry_id = ?", (entry_id,))
            db.execute(
                "INSERT OR REPLACE INTO async_results (event_id, function, outcome, condition, "
                "destination, record, finished_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    result.event_id,
                    result.function,
                    result.outcome,
                    result.condition,
                    result.destination,
                    result.record,
                    result.finished_ms,
                ),
            )
            db.execute("COMMIT")

    # event invoke and recursion configs
    def event_invoke_configs(self) -> list[tuple[str, str, dict[str, object]]]:
        rows = self._read("SELECT function, qualifier, data FROM event_invoke_configs")
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    def put_event_invoke_config(
        self, function: str, qualifier: str, data: dict[str, object] | None
    ) -> None:
        values = None if data is None else {"data": json.dumps(data)}
        self._put_or_delete(
            "event_invoke_configs", {"function": function, "qualifier": qualifier}, values
        )

    def recursion_configs(self) -> dict[str, str]:
        return dict(self._read("SELECT function, mode FROM recursion_configs"))

    def put_recursion_config(self, function: str, mode: str) -> None:
        self._write(
            "INSERT OR REPLACE INTO recursion_configs (function, mode) VALUES (?, ?)",
            (function, mode),
        )

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # layers
    _LAYER_COLUMNS = (
        "name, version, digest, code_sha256, code_size, unzipped_size, description, created, "
        "compatible_runtimes, compatible_architectures, license_info, deleted"
    )

    @staticmethod
    def _layer_version(r: tuple) -> LayerVersion:
        def _tuple(text: str | None) -> tuple[str, ...] | None:
            return None if text is None else tuple(json.loads(text))

        return LayerVersion(
            name=r[0],
            version=r[1],
            digest=r[2],
            code_sha256=r[3],
            code_size=r[4],
            unzipped_size=r[5],
            description=r[6],
            created=r[7],
            compatible_runtimes=_tuple(r[8]),
            compatible_architectures=_tuple(r[9]),
            license_info=r[10],
            deleted=bool(r[11]),
        )

    def publish_layer_version(self, v: LayerVersion) -> LayerVersion:
        """Store ``v`` under the layer's next version number (``v.version`` is ignored)."""

        def _json(t: tuple[str, ...] | None) -> str | None:
            return None if t is None else json.dumps(list(t))

        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT INTO layers (name, last_version) VALUES (?, 1) "
                    "ON CONFLICT (name) DO UPDATE SET last_version = last_version + 1",
                    (v.name,),
                )
                (n,) = db.execute(
                    "SELECT last_version FROM layers WHERE name = ?", (v.name,)
                ).fetchone()
                db.execute(
                    f"INSERT INTO layer_versions ({self._LAYER_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    (
                        v.name,
                        n,
                        v.digest,
                        v.code_sha256,
                        v.code_size,
                        v.unzipped_size,
                        v.description,
                        v.created,
                        _json(v.compatible_runtimes),
                        _json(v.compatible_architectures),
                        v.license_info,
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return LayerVersion(**{**v.__dict__, "version": int(n), "deleted": False})

    def get_layer_version(self, name: str, version: int) -> LayerVersion | None:
        """The version, deleted or not (check ``.deleted``)."""
        rows = self._read(
            f"SELECT {self._LAYER_COLUMNS} FROM layer_versions WHERE name = ? AND version = ?",
            (name, version),
        )
        return self._layer_version(rows[0]) if rows else None

    def list_layer_versions(self, name: str | None = None) -> list[LayerVersion]:
        """Live (not deleted) versions of one layer, or of every layer: by name, newest first."""
        sql = f"SELECT {self._LAYER_COLUMNS} FROM layer_versions WHERE deleted = 0"
        params: tuple[object, ...] = ()
        if name is not None:
            sql += " AND name = ?"
            params = (name,)
        rows = self._read(sql + " ORDER BY name, version DESC", params)
        return [self._layer_version(r) for r in rows]

    def delete_layer_version(self, name: str, version: int) -> None:
        """Hide the version (its row stays, flagged) and drop its policy; missing is a no-op."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            db.execute(
                "UPDATE layer_versions SET deleted = 1 WHERE name = ? AND version = ?",
                (name, version),
            )
            db.execute("DELETE FROM layer_policies WHERE name = ? AND version = ?", (name, version))
            db.execute("COMMIT")

    def get_layer_policy(self, name: str, version: int) -> tuple[list[dict], str] | None:
        """(statements in insertion order, revision id), or None without a policy."""
        rows = self._read(
            "SELECT statements, revision_id FROM layer_policies WHERE name = ? AND version = ?",
            (name, version),
        )
        return (json.loads(rows[0][0]), rows[0][1]) if rows else None

    def put_layer_policy(
        self, name: str, version: int, statements: list[dict], revision_id: str
    ) -> None:
        """Replace the version's policy; no statements removes it."""
        if not statements:
            self._write(
                "DELETE FROM layer_policies WHERE name = ? AND version = ?", (name, version)
            )
            return
        self._write(
            "INSERT OR REPLACE INTO layer_policies (name, version, statements, revision_id) "
            "VALUES (?, ?, ?, ?)",
            (name, version, json.dumps(statements), revision_id),
        )

    # application auto scaling
    def scalable_targets(self) -> list[dict[str, object]]:
        return [json.loads(r[0]) for r in self._read("SELECT data FROM scalable_targets")]

    def put_scalable_target(
        self, namespace: str, resource_id: str, dimension: str, data: dict[str, object] | None
    ) -> None:
        """Store the target; None deregisters it and deletes its policies, atomically."""
        key = (namespace, resource_id, dimension)
        if data is not None:
            self._write(
                "INSERT OR REPLACE INTO scalable_targets "
                "(namespace, resource_id, dimension, data) VALUES (?, ?, ?, ?)",
                (*key, json.dumps(data)),
            )
            return
        with self._lock:
            db = self._conn()
            db.execute("BEGIN")
            where = "WHERE namespace = ? AND resource_id = ? AND dimension = ?"
            db.execute(f"DELETE FROM scaling_policies {where}", key)
            db.execute(f"DELETE FROM scalable_targets {where}", key)
            db.execute("COMMIT")

    def scaling_policies(self) -> list[dict[str, object]]:
        return [json.loads(r[0]) for r in self._read("SELECT data FROM scaling_policies")]

    def put_scaling_policy(
        self,
        namespace: str,
        resource_id: str,
        dimension: str,
        name: str,
        data: dict[str, object] | None,
    ) -> None:
        """Store the policy; None deletes it."""
        key = {
            "namespace": namespace,
            "resource_id": resource_id,
            "dimension": dimension,
            "name": name,
        }
        self._put_or_delete(
            "scaling_policies", key, None if data is None else {"data": json.dumps(data)}
        )

    # SQS-compatible queues (ovis.services.sqs)
    _SQS_COLUMNS = (
        "id, queue, message_id, body, attributes, system, sent_ms, visible_ms, group_id, "
        "dedup_id, receive_count, first_receive_ms, receipt, sequence"
    )
    # Standard queues: any visible message, oldest visibility first (best-effort order).
    _SQS_READY = (
        f"SELECT {_SQS_COLUMNS} FROM sqs_messages WHERE queue = ? AND visible_ms <= ? "
        "ORDER BY visible_ms, id LIMIT ?"
    )
    # FIFO queues: in arrival order, a message whose group has nothing in flight and nothing
    # earlier still hidden (delayed, or in flight: a group delivers one batch at a time).
    _SQS_READY_FIFO = (
        f"SELECT {_SQS_COLUMNS} FROM sqs_messages AS m WHERE m.queue = ? AND m.visible_ms <= ? "
        "AND NOT EXISTS (SELECT 1 FROM sqs_messages AS b WHERE b.queue = m.queue "
        "AND b.group_id = m.group_id AND b.visible_ms > ? AND (b.id < m.id OR b.receipt != '')) "
        "ORDER BY m.id LIMIT ?"
    )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _sqs_message(r: tuple) -> QueueMessage:
        return QueueMessage(
            queue=r[1],
            message_id=r[2],
            body=r[3],
            attributes=r[4],
            system=r[5],
            sent_ms=r[6],
            visible_ms=r[7],
            group_id=r[8],
            dedup_id=r[9],
            row=r[0],
            receive_count=r[10],
            first_receive_ms=r[11],
            receipt=r[12],
            sequence=r[13],
        )

    def sqs_queues(self) -> list[QueueRecord]:
        rows = self._read(
            "SELECT name, attributes, created_s, modified_s FROM sqs_queues ORDER BY name"
        )
        return [QueueRecord(r[0], json.loads(r[1]), r[2], r[3]) for r in rows]

    def sqs_put_queue(self, queue: QueueRecord) -> None:
        """Create the queue or replace its attributes (its FIFO sequence counter is kept)."""
        self._write(
            "INSERT INTO sqs_queues (name, attributes, created_s, modified_s) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET attributes = excluded.attributes, "
            "modified_s = excluded.modified_s",
            (queue.name, json.dumps(queue.attributes), queue.created_s, queue.modified_s),
        )

    def sqs_delete_queue(self, name: str) -> None:
        """The queue, its messages and its deduplication keys (tags: ``delete_tags``)."""
        with self._transaction() as db:
            db.execute("DELETE FROM sqs_messages WHERE queue = ?", (name,))
            db.execute("DELETE FROM sqs_dedup WHERE queue = ?", (name,))
            db.execute("DELETE FROM sqs_queues WHERE name = ?", (name,))

    def sqs_send(
        self, queue: str, messages: list[QueueMessage], dedup_keys: list[str], dedup_until_ms: int
    ) -> list[tuple[str, int]] | None:
        """Store ``messages`` in order; None (and nothing stored) if the queue is gone.

        A message with a deduplication key (FIFO) gets the queue's next sequence number, unless
        the key was seen before ``sent_ms`` within its window: then it is not stored and the
        original's (message id, sequence) is returned in its place. Others get sequence 0.
        """
        out: list[tuple[str, int]] = []
        with self._transaction() as db:
            row = db.execute("SELECT sequence FROM sqs_queues WHERE name = ?", (queue,)).fetchone()
            if row is None:
                return None
            sequence = int(row[0])
            for m, key in zip(messages, dedup_keys, strict=True):
                seq = 0
                if key:
                    dup = db.execute(
                        "SELECT message_id, sequence FROM sqs_dedup "
                        "WHERE queue = ? AND key = ? AND until_ms > ?",
                        (queue, key, m.sent_ms),
                    ).fetchone()
                    if dup is not None:
                        out.append((dup[0], int(dup[1])))
                        continue
                    sequence += 1
                    seq = sequence
                    db.execute(
                        "INSERT OR REPLACE INTO sqs_dedup (queue, key, message_id, sequence, "
                        "until_ms) VALUES (?, ?, ?, ?, ?)",
                        (queue, key, m.message_id, seq, dedup_until_ms),
                    )
                db.execute(
                    "INSERT INTO sqs_messages (queue, message_id, body, attributes, system, "
                    "sent_ms, visible_ms, group_id, dedup_id, sequence) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        queue,
                        m.message_id,
                        m.body,
                        m.attributes,
                        m.system,
                        m.sent_ms,
                        m.visible_ms,
                        m.group_id,
                        m.dedup_id,
                        seq,
                    ),
                )
                out.append((m.message_id, seq))
            db.execute("UPDATE sqs_queues SET sequence = ? WHERE name = ?", (sequence, queue))
        return out

    def sqs_receive(
        self,
        queue: str,
        now_ms: int,
        limit: int,
        visible_ms: int,
        nonce: str,
        fifo: bool,
        max_receives: int = 0,
        dead_letter: str = "",
        dead_letter_system: str = "",
    ) -> QueueReceive:
        """Take up to ``limit`` ready messages and mark them in flight until ``now_ms +
        visible_ms`` under receipt ``nonce``, in one transaction. With ``max_receives``, a
        message already received that many times moves to the ``dead_letter`` queue instead
        (receive count kept, ``dead_letter_system`` merged into its system attributes)."""
        delivered: list[QueueMessage] = []
        taken: set[int] = set()
        moved = 0
        with self._transaction() as db:
            dlq = db.execute("SELECT 1 FROM sqs_queues WHERE name = ?", (dead_letter,))
            if dlq.fetchone() is None or dead_letter == queue:
                dead_letter = ""  # a policy naming a deleted queue moves nothing
            while len(delivered) < limit:
                want = limit - len(delivered) + len(taken)
                if fifo:
                    rows = db.execute(self._SQS_READY_FIFO, (queue, now_ms, now_ms, want))
                else:
                    rows = db.execute(self._SQS_READY, (queue, now_ms, want))
                moved_now = 0
                for r in rows.fetchall():
                    m = self._sqs_message(r)
                    if m.row in taken or len(delivered) >= limit:
                        continue
                    if dead_letter and max_receives and m.receive_count >= max_receives:
                        system = {
                            **json.loads(m.system or "{}"),
                            **json.loads(dead_letter_system or "{}"),
                        }
                        db.execute(
                            "UPDATE sqs_messages SET queue = ?, visible_ms = ?, receipt = '', "
                            "system = ? WHERE id = ?",
                            (dead_letter, now_ms, json.dumps(system), m.row),
                        )
                        moved_now += 1
                        continue
                    first = m.first_receive_ms or now_ms
                    until = now_ms + visible_ms
                    db.execute(
                        "UPDATE sqs_messages SET receive_count = receive_count + 1, "
                        "first_receive_ms = ?, receipt = ?, visible_ms = ? WHERE id = ?",
                        (first, nonce, until, m.row),
                    )
                    taken.add(m.row)
                    delivered.append(
                        dataclasses.replace(
                            m,
                            receive_count=m.receive_count + 1,
                            first_receive_ms=first,
                            receipt=nonce,
                            visible_ms=until,
                        )
                    )
                moved += moved_now
                if not moved_now:
                    break
            (nxt,) = db.execute(
                "SELECT MIN(visible_ms) FROM sqs_messages WHERE queue = ? AND visible_ms > ?",
                (queue, now_ms),
            ).fetchone()
        return QueueReceive(delivered, moved, None if nxt is None else int(nxt))

    def sqs_delete_messages(self, queue: str, handles: list[tuple[int, str]]) -> list[bool]:
        """Delete each (row, receipt nonce) that is still the message's latest receipt."""
        out: list[bool] = []
        with self._transaction() as db:
            for row, nonce in handles:
                cur = db.execute(
                    "DELETE FROM sqs_messages WHERE id = ? AND queue = ? AND receipt = ? "
                    "AND receipt != ''",
                    (row, queue, nonce),
                )
                out.append(cur.rowcount > 0)
        return out

    def sqs_change_visibility(
        self, queue: str, changes: list[tuple[int, str, int]], now_ms: int
    ) -> list[str]:
        """Set each (row, receipt nonce)'s next visibility; per change "ok", "invalid" (gone or
        received again since) or "not_inflight" (its visibility timeout already ran out)."""
        out: list[str] = []
        with self._transaction() as db:
            for row, nonce, until in changes:
                r = db.execute(
                    "SELECT receipt, visible_ms FROM sqs_messages WHERE id = ? AND queue = ?",
                    (row, queue),
                ).fetchone()
                if r is None or not nonce or r[0] != nonce:
                    out.append("invalid")
                elif r[1] <= now_ms:
                    out.append("not_inflight")
                else:
                    db.execute("UPDATE sqs_messages SET visible_ms = ? WHERE id = ?", (until, row))
                    out.append("ok")
        return out

    def sqs_purge(self, queue: str) -> None:
        self._write("DELETE FROM sqs_messages WHERE queue = ?", (queue,))

    def sqs_counts(self, queue: str, now_ms: int) -> tuple[int, int, int]:
        """(visible, in flight, delayed) messages of the queue."""
        (r,) = self._read(
            "SELECT COALESCE(SUM(visible_ms <= ?), 0), "
            "COALESCE(SUM(visible_ms > ? AND receipt != ''), 0), "
            "COALESCE(SUM(visible_ms > ? AND receipt = ''), 0) FROM sqs_messages WHERE queue = ?",
            (now_ms, now_ms, now_ms, queue),
        )
        return int(r[0]), int(r[1]), int(r[2])

    def sqs_expire(self, cutoffs: dict[str, int], now_ms: int) -> int:
        """Delete messages sent before their queue's cutoff and deduplication keys past their
        window; returns how many messages went."""
        n = 0
        with self._transaction() as db:
            for queue, cutoff in cutoffs.items():
                n += db.execute(
                    "DELETE FROM sqs_messages WHERE queue = ? AND sent_ms < ?", (queue, cutoff)
                ).rowcount
            db.execute("DELETE FROM sqs_dedup WHERE until_ms <= ?", (now_ms,))
        return n

    # function URLs and resource policies
    def function_url_configs(self) -> list[dict[str, object]]:
        return [json.loads(r[0]) for r in self._read("SELECT data FROM function_urls")]

    def put_function_url_config(
        self, function: str, qualifier: str, data: dict[str, object] | None
    ) -> None:
        """Store a function URL's configuration; None deletes it."""
        values = None if data is None else {"data": json.dumps(data)}
        self._put_or_delete("function_urls", {"function": function, "qualifier": qualifier}, values)

    def function_policies(self) -> list[tuple[str, str, list[dict], str]]:
        rows = self._read(
            "SELECT function, qualifier, statements, revision_id FROM function_policies"
        )
        return [(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    def put_function_policy(
        self, function: str, qualifier: str, statements: list[dict], revision_id: str
    ) -> None:
        """Replace the policy of (function, qualifier); no statements removes it."""
        values = (
            {"statements": json.dumps(statements), "revision_id": revision_id}
            if statements
            else None
        )
        self._put_or_delete(
            "function_policies", {"function": function, "qualifier": qualifier}, values
        )
