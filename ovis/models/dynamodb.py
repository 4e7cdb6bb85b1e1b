"""What the DynamoDB-compatible tables store (``ovis.services.dynamodb``): shared by the
service's repository protocol and the storage backends (storage may not import services).

Items are stored as rows of one index: the table itself is index ``""``, each secondary index
its own name. A row's key is (table, index, hk, rk, pk): ``hk`` and ``rk`` are the sortable
byte encodings of the index's hash and range key values (``b""`` without a range key), ``pk``
the base table's primary key (``b""`` for the table's own rows), so one item appears once per
index it is projected into and Query is an index range scan. ``bucket`` (0..4095, from the
hash key) splits Scan into segments. ``item`` is the item's JSON (binary values base64).
"""

from __future__ import annotations

from dataclasses import dataclass

BUCKETS = 4096  # Scan's Segment/TotalSegments split this range of hash-key buckets


@dataclass(frozen=True)
class TableRow:
    """A table's definition as the service describes it (a JSON document) and when made."""

    name: str
    doc: str
    created_ms: int


@dataclass(frozen=True)
class ItemRow:
    index: str
    hk: bytes
    rk: bytes
    pk: bytes
    bucket: int
    item: str
    size: int


@dataclass(frozen=True)
class PutTable:
    table: TableRow


@dataclass(frozen=True)
class DropTable:
    name: str


@dataclass(frozen=True)
class DropIndex:
    table: str
    index: str


@dataclass(frozen=True)
class PutRow:
    table: str
    row: ItemRow


@dataclass(frozen=True)
class DeleteRow:
    table: str
    index: str
    hk: bytes
    rk: bytes
    pk: bytes


@dataclass(frozen=True)
class AppendChange:
    """A stream record of a table's change (its JSON, without SequenceNumber: the store
    numbers records in write order, one increasing sequence per table and shard)."""

    table: str
    shard: str
    created_ms: int
    record: str


@dataclass(frozen=True)
class ChangeRecord:
    table: str
    shard: str
    seq: int
    created_ms: int
    record: str


DdbWrite = PutTable | DropTable | DropIndex | PutRow | DeleteRow | AppendChange
