"""What the event source mapping package stores: mappings by UUID (and, with them, the tags of
the mapping's ARN, so that a create with Tags and a delete are each one write).

Contract (whatever the backend; as ``ovis.services.lambda_.repositories``): synchronous (call
through ``asyncio.to_thread``), thread-safe, durable on return, all-or-nothing. Errors are
``ovis.storage.errors`` types: ``esm_insert`` of a UUID that exists, or of a second mapping
of the same FunctionArn and EventSourceArn, raises ``ConflictError`` and stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ovis.models.event_source_mapping import EventSourceMapping


class MappingRepository(Protocol):
    def esm_mappings(self) -> list[EventSourceMapping]:
        """Every stored mapping, by UUID."""
        ...

    def esm_get(self, uuid: str) -> EventSourceMapping | None: ...

    def esm_insert(self, m: EventSourceMapping, arn: str, tags: Mapping[str, str]) -> None:
        """Store a new mapping and the tags of its ARN ``arn`` in one transaction."""
        ...

    def esm_put(self, m: EventSourceMapping) -> None:
        """Replace the stored mapping with ``m.uuid`` (a no-op if there is none: a mapping
        deleted meanwhile is not brought back)."""
        ...

    def esm_delete(self, uuid: str, arn: str) -> None:
        """Delete the mapping and every tag of its ARN (a no-op if it is gone)."""
        ...
