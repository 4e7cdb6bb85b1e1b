"""CheckpointRepository: where a stream mapping has got to in each shard, durably.

A checkpoint is a position ("after sequence number N"; "0" before every record) per
(mapping, shard): every record of the shard up to it is done (processed, filtered out, or
given up on and sent to OnFailure). It also carries whether a closed shard was read to its
end (its children may start) and the open tumbling window's state (JSON), which must survive
a restart with the position it belongs to.

Contract (every backend; synchronous, thread-safe, durable on return):
- ``load(mapping)`` is None until ``start`` stored the mapping's starting points; afterwards
  the stored checkpoints by shard id (a shard without one starts at its beginning: a child of
  a reshard, or a shard the stream gained later).
- ``start(mapping, initial)`` stores the starting points of the mapping's first start in one
  transaction, unless the mapping already started: it returns what is stored either way (so a
  LATEST or AT_TIMESTAMP start is decided once, and a restart neither skips nor re-reads).
- ``save(updates)`` writes many checkpoints (of any mappings) in one transaction. A position
  never moves back (an update below the stored position is ignored); an update for a mapping
  that has no starting point (never started, or deleted) is ignored, so a poller closing after
  its mapping's deletion cannot bring its checkpoints back.
- ``delete(mapping)`` removes the mapping's starting point and checkpoints (idempotent).
- ``mapping_ids()`` lists the mappings that have a starting point (to prune those whose
  mapping is gone: a kill -9 between a deletion's steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ovis.models.stream_checkpoint import ShardCheckpoint, seq_key

__all__ = ["CheckpointRepository", "ShardCheckpoint", "seq_key"]


class CheckpointRepository(Protocol):
    def load(self, mapping_uuid: str) -> dict[str, ShardCheckpoint] | None: ...

    def start(
        self, mapping_uuid: str, initial: Sequence[ShardCheckpoint]
    ) -> dict[str, ShardCheckpoint]: ...

    def save(self, updates: Sequence[tuple[str, ShardCheckpoint]]) -> None: ...

    def delete(self, mapping_uuid: str) -> None: ...

    def mapping_ids(self) -> list[str]: ...
