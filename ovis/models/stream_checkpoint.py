"""ShardCheckpoint: how far a stream event source mapping got in one shard (the value the
``CheckpointRepository`` of ``ovis.services.lambda_.esm.checkpoints`` stores).

A position is "after sequence number N" ("0": before every record); every record of the shard
up to it is done (processed, filtered out, or given up on). Positions are canonical decimal
strings: ``seq_key`` orders them (by length, then digits) without converting 56-digit numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShardCheckpoint:
    shard_id: str
    position: str  # after this sequence number; "0": before every record
    finished: bool = False  # a closed shard read to its end and checkpointed
    window: str | None = None  # the open tumbling window: {"start_ms", "state"} as JSON


def seq_key(position: str) -> tuple[int, str]:
    """Order of positions (decimal strings without leading zeros): by length, then digits."""
    return (len(position), position)
