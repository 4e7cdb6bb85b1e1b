"""The SQLite connection every repository shares, and the only way to write through it.

One connection to one file in WAL mode with ``synchronous=FULL`` (a committed row, e.g. an
accepted async event, survives power loss), in autocommit mode, guarded by one lock: methods
may be called from any thread, one statement or transaction runs at a time.

Contract:
- ``read``/``write`` run one statement; a single-statement write is committed on return.
- ``transaction()`` is the only multi-statement write: BEGIN IMMEDIATE, COMMIT on success,
  ROLLBACK on any exception (then re-raised). Nothing is ever left half-written, and a failed
  write never leaves the connection inside a transaction (which would wedge every later write
  and silently stop committing single statements).
- Driver errors come out as ``ovis.storage.errors`` types: a broken constraint is a
  ``ConflictError``, anything else a ``StorageError``.
- After ``close()`` (idempotent) every method raises ``StorageClosedError``.
- Not reentrant: a repository method never calls another one while holding a transaction.
- ``on_commit`` (None: off), when set, is called with ``("statement" | "transaction",
  seconds)`` after each successful write, under the lock (so calls never overlap): the time
  the write held the connection, its fsync included, lock wait excluded. It must be cheap and
  must not raise or call the engine.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ovis.storage.errors import ConflictError, StorageClosedError, StorageError

Row = tuple[Any, ...]


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """Driver exceptions as storage errors (callers must not depend on sqlite3)."""
    try:
        yield
    except sqlite3.IntegrityError as e:
        raise ConflictError(str(e)) from e
    except sqlite3.Error as e:
        raise StorageError(str(e)) from e


class Engine:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
        except BaseException:
            db.close()
            raise
        self._db: sqlite3.Connection | None = db
        self.on_commit: Callable[[str, float], None] | None = None  # store latency (/metrics)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StorageClosedError("store is closed")
        return self._db

    def read(self, sql: str, params: Iterable[object] = ()) -> list[Row]:
        with self._lock, _translated():
            rows: list[Row] = self._conn().execute(sql, tuple(params)).fetchall()
            return rows

    def write(self, sql: str, params: Iterable[object] = ()) -> int:
        """Run one statement, committed on return; returns how many rows it changed."""
        with self._lock, _translated():
            started = time.perf_counter()
            changed = self._conn().execute(sql, tuple(params)).rowcount
            if self.on_commit is not None:
                self.on_commit("statement", time.perf_counter() - started)
            return changed

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and one write transaction for the ``with`` body; commit when it ends,
        roll back (and re-raise, as a storage error) if it raises."""
        with self._lock, _translated():
            db = self._conn()
            started = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
                if self.on_commit is not None:
                    self.on_commit("transaction", time.perf_counter() - started)
            except BaseException:
                # SQLite may already have rolled back (e.g. on SQLITE_FULL); ROLLBACK then fails.
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def put_or_delete(
        self, table: str, key: Mapping[str, object], values: Mapping[str, object] | None
    ) -> None:
        """Upsert the row of ``table`` with primary ``key``, or delete it when ``values`` is
        None. Table and column names come from the repositories, never from a request."""
        where = " AND ".join(f"{col} = ?" for col in key)
        if values is None:
            self.write(f"DELETE FROM {table} WHERE {where}", key.values())
            return
        row = {**key, **values}
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.write(f"INSERT OR REPLACE INTO {table} ({cols}) VALUES ({marks})", row.values())

    def close(self) -> None:
        """Close the connection (idempotent); every later call raises StorageClosedError."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
