"""What the DynamoDB service stores: table definitions, item rows per index, change records.

Contract (whatever the backend): synchronous, thread-safe, durable on return. ``ddb_write``
applies a batch of units (each the rows and stream record of one request) in order in ONE
transaction. Item rows are keyed (table, index, hk, rk, pk) with byte keys whose order is
DynamoDB's: ``ddb_query`` is a range scan of one hash key, ``ddb_scan`` walks hash buckets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from ovis.models.dynamodb import ChangeRecord, DdbWrite, ItemRow, TableRow


class DynamoDbRepository(Protocol):
    def ddb_tables(self) -> list[TableRow]: ...

    def ddb_write(self, units: Sequence[Sequence[DdbWrite]]) -> None:
        """Apply every unit in order, all in one transaction. DropTable removes the table and
        its item rows, not its change records (retention trims those)."""
        ...

    def ddb_get(
        self, table: str, index: str, hk: bytes, rk: bytes, pk: bytes
    ) -> ItemRow | None: ...

    def ddb_query(
        self,
        table: str,
        index: str,
        hk: bytes,
        low: tuple[bytes, bool] | None,
        high: tuple[bytes, bool] | None,
        forward: bool,
        after: tuple[bytes, bytes] | None,
        limit: int,
    ) -> list[ItemRow]:
        """Rows of one hash key with ``low`` <= rk <= ``high`` (the flag: inclusive), in rk
        order (descending unless ``forward``), strictly after ``after`` = (rk, pk)."""
        ...

    def ddb_scan(
        self,
        table: str,
        index: str,
        buckets: tuple[int, int],
        after: tuple[int, bytes, bytes, bytes] | None,
        limit: int,
    ) -> list[ItemRow]:
        """Rows whose bucket is in [lo, hi), ordered (bucket, hk, rk, pk), after ``after``."""
        ...

    def ddb_expired(
        self, table: str, attribute: str, low_s: float, high_s: float, limit: int
    ) -> list[ItemRow]:
        """Up to ``limit`` of the table's items whose ``attribute`` is a Number between
        ``low_s`` and ``high_s`` (TTL: due, and not more than five years past)."""
        ...

    def ddb_stats(self, table: str) -> tuple[int, int]:
        """(item count, total size in bytes) of a table."""
        ...

    def ddb_index_stats(self, table: str, index: str) -> tuple[int, int]: ...

    def ddb_changes(self, table: str, shard: str, after_seq: int, limit: int) -> list[ChangeRecord]:
        """A shard's change records numbered above ``after_seq``, in write order."""
        ...

    def ddb_trim_changes(self, before_ms: int) -> int:
        """Delete change records written before ``before_ms``; how many went."""
        ...


class TagRepository(Protocol):
    def get_tags(self, arn: str) -> dict[str, str]: ...
    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...
    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None: ...
