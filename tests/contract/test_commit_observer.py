"""The SQLite engine's ``on_commit`` observer (store latency for /metrics): one call per
successful write, by kind; none for reads or for a write that failed and rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovis.storage.errors import StorageError
from ovis.storage.sqlite.engine import Engine


def test_each_committed_write_is_observed_once(tmp_path: Path) -> None:
    engine = Engine(tmp_path / "t.db")
    seen: list[tuple[str, float]] = []
    engine.write("CREATE TABLE t (k TEXT PRIMARY KEY)")  # before observing: not counted
    engine.on_commit = lambda kind, s: seen.append((kind, s))
    engine.write("INSERT INTO t VALUES ('a')")
    with engine.transaction() as db:
        db.execute("INSERT INTO t VALUES ('b')")
        db.execute("INSERT INTO t VALUES ('c')")
    engine.read("SELECT * FROM t")
    with pytest.raises(StorageError), engine.transaction() as db:
        db.execute("INSERT INTO t VALUES ('d')")
        db.execute("INSERT INTO nowhere VALUES ('e')")
    with pytest.raises(StorageError):
        engine.write("INSERT INTO nowhere VALUES ('f')")
    assert [k for k, _ in seen] == ["statement", "transaction"]
    assert all(s >= 0 for _, s in seen)
    assert engine.read("SELECT k FROM t ORDER BY k") == [("a",), ("b",), ("c",)]
    engine.close()
