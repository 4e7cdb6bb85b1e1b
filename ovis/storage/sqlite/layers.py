"""Layer versions and their resource policies.

Contract: synchronous, thread-safe, durable on return. Versions are numbered per layer from 1
and never reused: the per-layer counter survives the deletion of every version, and a publish
that fails stores nothing and does not advance it. Deleting a version only flags it (its row
stays, so ``get_layer_version`` still answers with ``deleted=True``) and drops its policy.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ovis.models.layer import LayerVersion
from ovis.storage.sqlite.engine import Engine

_COLUMNS = (
    "name, version, digest, code_sha256, code_size, unzipped_size, description, created, "
    "compatible_runtimes, compatible_architectures, license_info, deleted"
)


def _tuple(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(json.loads(text))


def _json(t: tuple[str, ...] | None) -> str | None:
    return None if t is None else json.dumps(list(t))


def _layer_version(r: tuple[Any, ...]) -> LayerVersion:
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


class SqliteLayers:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def publish_layer_version(self, v: LayerVersion) -> LayerVersion:
        """Store ``v`` under the layer's next version number (``v.version`` is ignored)."""
        with self._engine.transaction() as db:
            db.execute(
                "INSERT INTO layers (name, last_version) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET last_version = last_version + 1",
                (v.name,),
            )
            (n,) = db.execute(
                "SELECT last_version FROM layers WHERE name = ?", (v.name,)
            ).fetchone()
            db.execute(
                f"INSERT INTO layer_versions ({_COLUMNS}) "
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
        return dataclasses.replace(v, version=int(n), deleted=False)

    def get_layer_version(self, name: str, version: int) -> LayerVersion | None:
        """The version, deleted or not (check ``.deleted``)."""
        rows = self._engine.read(
            f"SELECT {_COLUMNS} FROM layer_versions WHERE name = ? AND version = ?",
            (name, version),
        )
        return _layer_version(rows[0]) if rows else None

    def list_layer_versions(self, name: str | None = None) -> list[LayerVersion]:
        """Live (not deleted) versions of one layer, or of every layer: by name, newest first."""
        sql = f"SELECT {_COLUMNS} FROM layer_versions WHERE deleted = 0"
        params: tuple[object, ...] = ()
        if name is not None:
            sql += " AND name = ?"
            params = (name,)
        rows = self._engine.read(sql + " ORDER BY name, version DESC", params)
        return [_layer_version(r) for r in rows]

    def delete_layer_version(self, name: str, version: int) -> None:
        """Hide the version (its row stays, flagged) and drop its policy; missing is a no-op."""
        with self._engine.transaction() as db:
            db.execute(
                "UPDATE layer_versions SET deleted = 1 WHERE name = ? AND version = ?",
                (name, version),
            )
            db.execute("DELETE FROM layer_policies WHERE name = ? AND version = ?", (name, version))

    def get_layer_policy(self, name: str, version: int) -> tuple[list[dict[str, Any]], str] | None:
        """(statements in insertion order, revision id), or None without a policy."""
        rows = self._engine.read(
            "SELECT statements, revision_id FROM layer_policies WHERE name = ? AND version = ?",
            (name, version),
        )
        return (json.loads(rows[0][0]), rows[0][1]) if rows else None

    def put_layer_policy(
        self, name: str, version: int, statements: list[dict[str, Any]], revision_id: str
    ) -> None:
        """Replace the version's policy; no statements removes it."""
        values = (
            {"statements": json.dumps(statements), "revision_id": revision_id}
            if statements
            else None
        )
        self._engine.put_or_delete("layer_policies", {"name": name, "version": version}, values)
