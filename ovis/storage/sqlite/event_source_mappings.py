"""Event source mappings by UUID (``MappingRepository``), and the tags of their ARNs.

Contract: synchronous, thread-safe, durable on return, one transaction per write. A mapping
is stored whole as JSON; ``esm_insert`` raises ``ConflictError`` (and stores nothing, tags
included) for a UUID that exists or a second mapping of one FunctionArn and EventSourceArn.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from ovis.models.event_source_mapping import EventSourceMapping, MappingState
from ovis.storage.sqlite.engine import Engine

_TUPLES = ("filter_patterns", "function_response_types", "metrics")


def encode(m: EventSourceMapping) -> str:
    return json.dumps(dataclasses.asdict(m), sort_keys=True)


def decode(text: str) -> EventSourceMapping:
    data: dict[str, Any] = json.loads(text)
    known = {f.name for f in dataclasses.fields(EventSourceMapping)}
    data = {k: v for k, v in data.items() if k in known}  # a field dropped by a later version
    data["state"] = MappingState(data["state"])
    for name in _TUPLES:
        if name in data:
            data[name] = tuple(data[name])
    return EventSourceMapping(**data)


class SqliteEventSourceMappings:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def esm_mappings(self) -> list[EventSourceMapping]:
        rows = self._engine.read("SELECT data FROM event_source_mappings ORDER BY uuid")
        return [decode(r[0]) for r in rows]

    def esm_get(self, uuid: str) -> EventSourceMapping | None:
        rows = self._engine.read("SELECT data FROM event_source_mappings WHERE uuid = ?", (uuid,))
        return decode(rows[0][0]) if rows else None

    def esm_insert(self, m: EventSourceMapping, arn: str, tags: Mapping[str, str]) -> None:
        with self._engine.transaction() as db:
            db.execute(
                "INSERT INTO event_source_mappings (uuid, function_arn, event_source_arn, data)"
                " VALUES (?, ?, ?, ?)",
                (m.uuid, m.function_arn, m.event_source_arn, encode(m)),
            )
            db.executemany(
                "INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)",
                [(arn, k, v) for k, v in tags.items()],
            )

    def esm_put(self, m: EventSourceMapping) -> None:
        self._engine.write(
            "UPDATE event_source_mappings SET function_arn = ?, event_source_arn = ?, data = ?"
            " WHERE uuid = ?",
            (m.function_arn, m.event_source_arn, encode(m), m.uuid),
        )

    def esm_delete(self, uuid: str, arn: str) -> None:
        with self._engine.transaction() as db:
            db.execute("DELETE FROM event_source_mappings WHERE uuid = ?", (uuid,))
            db.execute("DELETE FROM tags WHERE arn = ?", (arn,))
