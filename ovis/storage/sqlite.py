"""SQLite implementation of the Store protocol (the embedded default)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from ovis.models.function import FunctionConfig
from ovis.models.layer import LayerVersion
from ovis.storage.store import AsyncEvent, LogEvent

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
    not_before_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS async_events_due ON async_events (not_before_ms);
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
        if requested is None:
            self._write(
                "DELETE FROM provisioned_concurrency WHERE function = ? AND qualifier = ?",
                (function, qualifier),
            )
        else:
            self._write(
                "INSERT OR REPLACE INTO provisioned_concurrency "
                "(function, qualifier, requested, last_modified) VALUES (?, ?, ?, ?)",
                (function, qualifier, requested, last_modified),
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
        if reserved is None:
            self._write("DELETE FROM function_concurrency WHERE name = ?", (name,))
        else:
            self._write(
                "INSERT OR REPLACE INTO function_concurrency (name, reserved) VALUES (?, ?)",
                (name, reserved),
            )

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
        self._write(
            "INSERT INTO async_events (id, function, qualifier, payload, received_ms, attempts, "
            "not_before_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.event_id,
                event.function,
                event.qualifier,
                event.payload,
                event.received_ms,
                event.attempts,
                event.not_before_ms,
            ),
        )

    def due_async(self, now_ms: int, limit: int) -> list[AsyncEvent]:
        rows = self._read(
            "SELECT id, function, qualifier, payload, received_ms, attempts, not_before_ms "
            "FROM async_events WHERE not_before_ms <= ? ORDER BY received_ms LIMIT ?",
            (now_ms, limit),
        )
        return [AsyncEvent(r[0], r[1], r[2], bytes(r[3]), r[4], r[5], r[6]) for r in rows]

    def finish_async(self, event_id: str) -> None:
        self._write("DELETE FROM async_events WHERE id = ?", (event_id,))

    def retry_async(self, event_id: str, attempts: int, not_before_ms: int) -> None:
        self._write(
            "UPDATE async_events SET attempts = ?, not_before_ms = ? WHERE id = ?",
            (attempts, not_before_ms, event_id),
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
        key = (namespace, resource_id, dimension, name)
        if data is None:
            self._write(
                "DELETE FROM scaling_policies WHERE namespace = ? AND resource_id = ? "
                "AND dimension = ? AND name = ?",
                key,
            )
        else:
            self._write(
                "INSERT OR REPLACE INTO scaling_policies "
                "(namespace, resource_id, dimension, name, data) VALUES (?, ?, ?, ?, ?)",
                (*key, json.dumps(data)),
            )
