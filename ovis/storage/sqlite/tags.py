"""Tags keyed by resource ARN (functions, layers' owners, queues, ...).

Contract: synchronous, thread-safe, durable on return; ``put_tags`` adds or overwrites keys
all-or-nothing; deleting missing keys is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable

from ovis.storage.sqlite.engine import Engine


class SqliteTags:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_tags(self, arn: str) -> dict[str, str]:
        rows = self._engine.read("SELECT key, value FROM tags WHERE arn = ? ORDER BY key", (arn,))
        return {str(r[0]): str(r[1]) for r in rows}

    def put_tags(self, arn: str, tags: dict[str, str]) -> None:
        with self._engine.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)",
                [(arn, k, v) for k, v in tags.items()],
            )

    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None:
        """Delete the given keys, or every tag of ``arn`` when ``keys`` is None."""
        if keys is None:
            self._engine.write("DELETE FROM tags WHERE arn = ?", (arn,))
            return
        with self._engine.transaction() as db:
            db.executemany("DELETE FROM tags WHERE arn = ? AND key = ?", [(arn, k) for k in keys])
