"""SQLite schema versions: a data directory written before versioned migrations (the baseline
DDL in data/schema_v1_baseline.sql, copied from the last unversioned ``ovis/storage/sqlite.py``)
upgrades in place; pending migrations run in order, each atomically; a newer database is
refused untouched."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from ovis.models.alias import Alias
from ovis.storage.errors import SchemaVersionError
from ovis.storage.sqlite import SqliteStorage
from ovis.storage.sqlite.engine import Engine
from ovis.storage.sqlite.migrate import migrate
from ovis.storage.sqlite.migrations import MIGRATIONS
from ovis.storage.sqlite.migrations.base import Migration
from tests.contract import values

BASELINE = (Path(__file__).parent / "data" / "schema_v1_baseline.sql").read_text()
ALL = [m.version for m in MIGRATIONS]
LATEST = ALL[-1]
HOPS = "    hops INTEGER NOT NULL DEFAULT 0\n"


@contextlib.contextmanager
def _raw(path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(str(path), isolation_level=None)
    try:
        yield db
    finally:
        db.close()


def _legacy_database(path: Path, schema: str = BASELINE) -> None:
    """A database as the unversioned code wrote it: a function, an alias, an async event, a
    queue and a message."""
    fn = values.function("f")
    alias = Alias("f", "live", "$LATEST", "rev")
    with _raw(path) as db:
        db.executescript(schema)
        db.execute(
            "INSERT INTO functions (name, version, config) VALUES (?, ?, ?)",
            ("f", "$LATEST", json.dumps(fn.to_json())),
        )
        db.execute(
            "INSERT INTO aliases (function, name, data) VALUES (?, ?, ?)",
            ("f", "live", json.dumps(alias.to_json())),
        )
        db.execute(
            "INSERT INTO async_events (id, function, qualifier, payload, received_ms) "
            "VALUES ('e1', 'f', '$LATEST', ?, 1000)",
            (b'{"x": 1}',),
        )
        db.execute(
            "INSERT INTO sqs_queues (name, attributes, created_s, modified_s) "
            "VALUES ('q', '{\"VisibilityTimeout\": \"30\"}', 100, 100)"
        )
        db.execute(
            "INSERT INTO sqs_messages (queue, message_id, body, attributes, system, sent_ms, "
            "visible_ms) VALUES ('q', 'm1', 'hello', '{}', '{}', 1000, 1000)"
        )


def _versions(path: Path) -> list[int]:
    with _raw(path) as db:
        return [int(r[0]) for r in db.execute("SELECT version FROM schema_version ORDER BY 1")]


def _schema(path: Path) -> set[tuple[str, str]]:
    with _raw(path) as db:
        rows = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' AND name != 'schema_version'"
        )
        return {(r[0], " ".join(r[1].split())) for r in rows}


def test_a_database_from_before_versioning_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "ovis.db"
    _legacy_database(path)
    s = SqliteStorage(path)
    try:
        assert s.schema_version == LATEST
        assert s.functions.list_functions() == [values.function("f")]
        assert s.functions.list_aliases() == [Alias("f", "live", "$LATEST", "rev").to_json()]
        (e,) = s.async_events.due_async(10**15, 10)
        assert (e.event_id, e.payload, e.received_ms, e.hops) == ("e1", b'{"x": 1}', 1000, 0)
        (m,) = s.queues.sqs_receive("q", 2000, 10, 30_000, "n", False).messages
        assert (m.message_id, m.body) == ("m1", "hello")
        assert [r.name for r in s.queues.sqs_queues()] == ["q"]
    finally:
        s.close()
    assert _versions(path) == ALL
    SqliteStorage(path).close()  # reopening applies nothing more
    assert _versions(path) == ALL


def test_migration_1_is_the_baseline_schema_exactly(tmp_path: Path) -> None:
    fresh, legacy = tmp_path / "fresh.db", tmp_path / "legacy.db"
    engine = Engine(fresh)
    try:
        migrate(engine, MIGRATIONS[:1])
    finally:
        engine.close()
    with _raw(legacy) as db:
        db.executescript(BASELINE)
    assert _schema(fresh) == _schema(legacy)
    assert len(_schema(fresh)) == 27


def test_an_upgraded_database_equals_a_fresh_one(tmp_path: Path) -> None:
    fresh, legacy = tmp_path / "fresh.db", tmp_path / "legacy.db"
    SqliteStorage(fresh).close()
    _legacy_database(legacy)
    SqliteStorage(legacy).close()
    assert _schema(fresh) == _schema(legacy)


def test_a_database_from_before_recursion_detection_gains_the_hops_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ovis.db"
    assert HOPS in BASELINE
    old = BASELINE.replace(HOPS, "").replace(
        "not_before_ms INTEGER NOT NULL DEFAULT 0,\n", "not_before_ms INTEGER NOT NULL DEFAULT 0\n"
    )
    _legacy_database(path, old)
    s = SqliteStorage(path)
    try:
        assert [e.hops for e in s.async_events.due_async(10**15, 10)] == [0]
        s.async_events.enqueue_async(values.event("e2", hops=4))
        assert [e.hops for e in s.async_events.due_async(10**15, 10)] == [0, 4]
    finally:
        s.close()


def test_a_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "ovis.db"
    s = SqliteStorage(path)
    s.functions.put_function(values.function())
    s.close()
    with _raw(path) as db:
        db.execute("INSERT INTO schema_version VALUES (99, 'from the future', 0)")
    with pytest.raises(SchemaVersionError, match="99"):
        SqliteStorage(path)
    assert _versions(path) == [*ALL, 99]
    with _raw(path) as db:
        assert db.execute("SELECT COUNT(*) FROM functions").fetchone() == (1,)


def _create(table: str, version: int) -> Migration:
    def upgrade(db: sqlite3.Connection) -> None:
        db.execute(f"CREATE TABLE {table} (x)")

    return Migration(version, f"create {table}", upgrade)


def test_pending_migrations_run_in_order_each_atomically(tmp_path: Path) -> None:
    path = tmp_path / "ovis.db"
    SqliteStorage(path).close()  # at the latest version
    n = LATEST

    def fill(db: sqlite3.Connection) -> None:  # needs migration n+1's table
        db.execute("INSERT INTO extra VALUES (3)")

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("the last migration fails")

    steps = (*MIGRATIONS, _create("extra", n + 1), Migration(n + 2, "fill extra", fill))
    engine = Engine(path)
    try:
        assert migrate(engine, steps) == n + 2
        with pytest.raises(RuntimeError, match="the last migration"):
            migrate(engine, (*steps, Migration(n + 3, "broken", broken)))
        assert migrate(engine, steps) == n + 2  # nothing of the broken migration stayed
    finally:
        engine.close()
    assert _versions(path) == [*ALL, n + 1, n + 2]
    with _raw(path) as db:
        assert db.execute("SELECT x FROM extra").fetchall() == [(3,)]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "half_done" not in tables


def test_migration_2_indexes_async_results_by_function(tmp_path: Path) -> None:
    path = tmp_path / "ovis.db"
    _legacy_database(path)
    SqliteStorage(path).close()
    with _raw(path) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM async_results WHERE function = ? "
            "ORDER BY finished_ms",
            ("f",),
        ).fetchall()
    assert any("async_results_function" in row[-1] for row in plan)
