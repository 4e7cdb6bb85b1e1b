"""Items: single writes with conditions, reads, Query, Scan, batches and transactions, each
table's secondary indexes kept in step in the same transaction as the write.

Contract: a write reads the current item, checks its condition and commits under the lock of
its key (one of ``LOCKS`` striped locks, taken in index order when a request has several
keys), so conditional writes racing on one item are serialized and exactly one of N
"attribute_not_exists" puts wins. The write's rows in every index and its stream record
commit in one transaction (durable on return, group-committed with concurrent writes).
Reads are strongly consistent (ConsistentRead is accepted, reads never lag).
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator, Iterable, Sequence
from decimal import Decimal
from typing import Any

from ovis.models.dynamodb import BUCKETS, DdbWrite, DeleteRow, ItemRow, PutRow
from ovis.services.dynamodb import changes
from ovis.services.dynamodb.commands import Page, Query, Read, Scan, Write
from ovis.services.dynamodb.condition import evaluate
from ovis.services.dynamodb.errors import (
    ResourceNotFoundException,
    TransactionCanceledException,
    ValidationException,
    condition_failed,
    invalid,
)
from ovis.services.dynamodb.projection import project
from ovis.services.dynamodb.tables import Index, Table, TableCatalog, now_ms
from ovis.services.dynamodb.update import apply
from ovis.services.dynamodb.values import (
    Item,
    Value,
    bucket_of,
    check_size,
    dumps,
    item_size,
    join_keys,
    key_bytes,
    loads,
    ordered,
    type_of,
    wire_item,
)

LOCKS = 512
PAGE_BYTES = 1024 * 1024  # a Query or Scan page stops after 1 MB of evaluated items
FIVE_YEARS_S = 5 * 365 * 86400


def _key_error() -> ValidationException:
    return ValidationException("The provided key element does not match the schema")


class ItemService:
    def __init__(self, catalog: TableCatalog) -> None:
        self.catalog = catalog
        self.store = catalog.store
        self.region = catalog.region
        self._locks = [asyncio.Lock() for _ in range(LOCKS)]

    # ---- keys and rows --------------------------------------------------------------------

    def key_of(self, t: Table, key: Item) -> Item:
        """``key`` checked against the table's key schema (exactly its key attributes)."""
        names = t.key_names()
        if set(key) != set(names):
            raise _key_error()
        for n, want in [t.hash_key, *([t.range_key] if t.range_key else [])]:
            if type_of(key[n]) != want:
                raise _key_error()
            self._non_empty(key[n], n)
        return {n: key[n] for n in names}

    @staticmethod
    def _non_empty(v: Value, name: str) -> None:
        t = type_of(v)
        if t in ("S", "B") and len(v[t]) == 0:
            raise ValidationException(
                "One or more parameter values are not valid. The AttributeValue for a key "
                f"attribute cannot contain an empty {'string' if t == 'S' else 'binary'} "
                f"value. Key: {name}"
            )

    def check_item(self, t: Table, item: Item) -> None:
        """A whole item: its key attributes present and typed, its index keys typed."""
        for n, want in [t.hash_key, *([t.range_key] if t.range_key else [])]:
            if n not in item:
                raise invalid(f"Missing the key {n} in the item")
            if type_of(item[n]) != want:
                raise invalid(
                    f"Type mismatch for key {n} expected: {want} actual: {type_of(item[n])}"
                )
            self._non_empty(item[n], n)
        for ix in t.indexes.values():
            for n, want in [ix.hash_key, *([ix.range_key] if ix.range_key else [])]:
                if n in item and type_of(item[n]) != want:
                    raise invalid(
                        f"Type mismatch for Index Key {n} Expected: {want} Actual: "
                        f"{type_of(item[n])} IndexName: {ix.name}"
                    )
                if n in item:
                    self._non_empty(item[n], n)
        check_size(item)

    def _base(self, t: Table, key: Item) -> tuple[bytes, bytes]:
        hk = key_bytes(key[t.hash_key[0]])
        rk = key_bytes(key[t.range_key[0]]) if t.range_key else b""
        return hk, rk

    def _projected(self, t: Table, ix: Index, item: Item) -> Item:
        if ix.projection == "ALL":
            return item
        keep = (
            set(t.key_names()) | {ix.hash_key[0]} | ({ix.range_key[0]} if ix.range_key else set())
        )
        keep |= set(ix.non_key)
        return {k: v for k, v in item.items() if k in keep}

    def rows(self, t: Table, item: Item) -> list[ItemRow]:
        """The item's rows: the table's own, then one per index whose keys it has."""
        hk, rk = self._base(t, item)
        out = [ItemRow("", hk, rk, b"", bucket_of(hk), dumps(item), item_size(item))]
        pk = join_keys(hk, rk)
        for ix in t.indexes.values():
            if ix.hash_key[0] not in item or (ix.range_key and ix.range_key[0] not in item):
                continue
            ihk = key_bytes(item[ix.hash_key[0]])
            irk = key_bytes(item[ix.range_key[0]]) if ix.range_key else b""
            proj = self._projected(t, ix, item)
            out.append(ItemRow(ix.name, ihk, irk, pk, bucket_of(ihk), dumps(proj), item_size(proj)))
        return out

    def unit(
        self, t: Table, old: Item | None, new: Item | None, ttl: bool = False
    ) -> list[DdbWrite]:
        """The writes that take the item from ``old`` to ``new`` (None: absent)."""
        out: list[DdbWrite] = []
        keep = {(r.index, r.hk, r.rk, r.pk) for r in self.rows(t, new)} if new else set()
        if old is not None:
            for r in self.rows(t, old):
                if (r.index, r.hk, r.rk, r.pk) not in keep:
                    out.append(DeleteRow(t.name, r.index, r.hk, r.rk, r.pk))
        if new is not None:
            out += [PutRow(t.name, r) for r in self.rows(t, new)]
        rec = changes.change(t, self.region, old, new, ttl)
        if rec is not None:
            out.append(rec)
        return out

    async def commit(
        self, changes: Sequence[tuple[Table, Item | None, Item | None]], ttl: bool = False
    ) -> None:
        """Commit item changes (old -> new) in one unit, rows built for each table as the
        catalog has it at the moment of queueing (no await in between)."""
        unit: list[DdbWrite] = []
        for t, old, new in changes:
            unit += self.unit(self.catalog.current(t), old, new, ttl)
        if unit:
            await self.catalog.write(unit)

    async def _read(self, t: Table, key: Item) -> Item | None:
        hk, rk = self._base(t, key)
        row = await asyncio.to_thread(self.store.ddb_get, t.name, "", hk, rk, b"")
        return loads(row.item) if row is not None else None

    @contextlib.asynccontextmanager
    async def locked(self, keys: Iterable[tuple[str, bytes, bytes]]) -> AsyncIterator[None]:
        idx = sorted(
            {zlib.crc32(t.encode() + b"\x00" + hk + b"\x00" + rk) % LOCKS for t, hk, rk in keys}
        )
        async with contextlib.AsyncExitStack() as stack:
            for i in idx:
                await stack.enter_async_context(self._locks[i])
            yield

    # ---- single writes --------------------------------------------------------------------

    def _new_item(self, t: Table, w: Write, old: Item | None) -> Item | None:
        if w.kind == "Put":
            assert w.item is not None
            return w.item
        if w.kind == "Delete":
            return None
        if w.kind == "ConditionCheck":
            return old
        base = old if old is not None else dict(w.key)
        new = apply(list(w.actions or ()), base)
        for k in t.key_names():
            if k not in new or not _same(new[k], w.key[k]):
                raise invalid(f"Cannot update attribute {k}. This attribute is part of the key")
        self.check_item(t, new)
        return new

    async def write(self, w: Write) -> dict[str, Any]:
        """PutItem, UpdateItem or DeleteItem: the output members (Attributes)."""
        t = self.catalog.for_items(w.table)
        hk, rk = self._base(t, w.key)
        async with self.locked([(t.name, hk, rk)]):
            old = await self._read(t, w.key)
            if w.condition is not None and not evaluate(w.condition, old or {}):
                raise condition_failed(
                    wire_item(old) if old is not None and w.return_on_failure == "ALL_OLD" else None
                )
            new = self._new_item(t, w, old)
            if old is not None or new is not None:
                await self.commit([(t, old, new)])
        return _returned(w, old, new)

    async def get(self, r: Read) -> Item | None:
        t = self.catalog.for_items(r.table)
        item = await self._read(t, r.key)
        return None if item is None else project(item, r.projection)

    # ---- Query and Scan -------------------------------------------------------------------

    def _index(self, t: Table, name: str | None) -> Index | None:
        if name is None:
            return None
        ix = t.indexes.get(name)
        if ix is None:
            raise ValidationException(f"The table does not have the specified index: {name}")
        return ix

    def _schema(self, t: Table, ix: Index | None) -> tuple[tuple[str, str], tuple[str, str] | None]:
        return (ix.hash_key, ix.range_key) if ix is not None else (t.hash_key, t.range_key)

    def _start(self, t: Table, ix: Index | None, start: Item) -> tuple[bytes, bytes, bytes]:
        """(hk, rk, pk) of an ExclusiveStartKey in the index's order."""
        h, r = self._schema(t, ix)
        names = set(t.key_names()) | {h[0]} | ({r[0]} if r else set())
        bad = ValidationException(
            "The provided starting key is invalid: The provided key element does not match "
            "the schema"
        )
        if set(start) != names:
            raise bad
        try:
            bhk, brk = self._base(t, start)
            hk = key_bytes(start[h[0]])
            rk = key_bytes(start[r[0]]) if r else b""
        except (KeyError, TypeError) as e:
            raise bad from e
        return hk, rk, (b"" if ix is None else join_keys(bhk, brk))

    def _last_key(self, t: Table, ix: Index | None, item: Item) -> Item:
        h, r = self._schema(t, ix)
        names = t.key_names() + [h[0]] + ([r[0]] if r else [])
        return {n: item[n] for n in dict.fromkeys(names)}

    async def query(self, q: Query) -> Page:
        t = self.catalog.for_items(q.table)
        ix = self._index(t, q.index)
        hk = key_bytes(q.key.hash_value)
        low: tuple[bytes, bool] | None = None
        high: tuple[bytes, bool] | None = None
        vals = q.key.range_values
        op = q.key.range_op
        if op is not None:
            e = [key_bytes(v) for v in vals]
            if op == "=":
                low, high = (e[0], True), (e[0], True)
            elif op == "<":
                high = (e[0], False)
            elif op == "<=":
                high = (e[0], True)
            elif op == ">":
                low = (e[0], False)
            elif op == ">=":
                low = (e[0], True)
            elif op == "BETWEEN":
                if (ordered(vals[0], vals[1]) or 0) > 0:
                    raise ValidationException(
                        "Invalid KeyConditionExpression: The BETWEEN operator requires upper "
                        "bound to be greater than or equal to lower bound; lower bound operand: "
                        f"AttributeValue: {{{_show(vals[0])}}}, upper bound operand: "
                        f"AttributeValue: {{{_show(vals[1])}}}"
                    )
                low, high = (e[0], True), (e[1], True)
            elif op == "begins_with":
                low = (e[0], True)
                succ = _successor(e[0])
                high = (succ, False) if succ is not None else None
        after: tuple[bytes, bytes] | None = None
        if q.start is not None:
            _, srk, spk = self._start(t, ix, q.start)
            after = (srk, spk)

        def fetch(after: tuple[bytes, bytes] | None, n: int) -> list[ItemRow]:
            return self.store.ddb_query(
                t.name, ix.name if ix else "", hk, low, high, q.forward, after, n
            )

        def cursor(row: ItemRow) -> tuple[bytes, bytes]:
            return (row.rk, row.pk)

        return await self._page(
            t, ix, fetch, cursor, after, q.filter, q.projection, q.limit, q.count_only
        )

    async def scan(self, s: Scan) -> Page:
        t = self.catalog.for_items(s.table)
        ix = self._index(t, s.index)
        lo = -(-s.segment * BUCKETS // s.total_segments)
        hi = -(-(s.segment + 1) * BUCKETS // s.total_segments)
        after: tuple[int, bytes, bytes, bytes] | None = None
        if s.start is not None:
            hk, rk, pk = self._start(t, ix, s.start)
            after = (bucket_of(hk), hk, rk, pk)

        def fetch(after: Any, n: int) -> list[ItemRow]:
            return self.store.ddb_scan(t.name, ix.name if ix else "", (lo, hi), after, n)

        def cursor(row: ItemRow) -> tuple[int, bytes, bytes, bytes]:
            return (row.bucket, row.hk, row.rk, row.pk)

        return await self._page(
            t, ix, fetch, cursor, after, s.filter, s.projection, s.limit, s.count_only
        )

    async def _page(
        self,
        t: Table,
        ix: Index | None,
        fetch: Any,
        cursor: Any,
        after: Any,
        filt: Any,
        projection: Any,
        limit: int | None,
        count_only: bool,
    ) -> Page:
        items: list[Item] = []
        count = scanned = size = 0
        last: Item | None = None
        while True:
            want = 200 if limit is None else min(200, limit - scanned)
            rows: list[ItemRow] = await asyncio.to_thread(fetch, after, want)
            for row in rows:
                item = loads(row.item)
                scanned += 1
                size += row.size
                after = cursor(row)
                if filt is None or evaluate(filt, item):
                    count += 1
                    if not count_only:
                        items.append(project(item, projection))
                if (limit is not None and scanned >= limit) or size >= PAGE_BYTES:
                    last = self._last_key(t, ix, item)
                    return Page(items, count, scanned, last)
            if len(rows) < want:
                return Page(items, count, scanned, None)

    # ---- batches and transactions ---------------------------------------------------------

    async def batch_write(self, writes: Sequence[Write]) -> None:
        """BatchWriteItem: every put and delete applied (no conditions), one transaction."""
        await self._apply_all(writes, check=False)

    async def transact(self, writes: Sequence[Write]) -> None:
        """TransactWriteItems: every condition holds and all apply, or nothing changes."""
        await self._apply_all(writes, check=True)

    async def _apply_all(self, writes: Sequence[Write], check: bool) -> None:
        tables = [self.catalog.for_items(w.table) for w in writes]
        keys = [(t.name, *self._base(t, w.key)) for t, w in zip(tables, writes, strict=True)]
        if len(set(keys)) != len(keys):
            raise ValidationException(
                "Transaction request cannot include multiple operations on one item"
                if check
                else "Provided list of item keys contains duplicates"
            )
        async with self.locked(keys):
            olds = [await self._read(t, w.key) for t, w in zip(tables, writes, strict=True)]
            if check:
                reasons: list[dict[str, Any]] = []
                for w, old in zip(writes, olds, strict=True):
                    if w.condition is not None and not evaluate(w.condition, old or {}):
                        reason: dict[str, Any] = {
                            "Code": "ConditionalCheckFailed",
                            "Message": "The conditional request failed",
                        }
                        if w.return_on_failure == "ALL_OLD" and old is not None:
                            reason["Item"] = wire_item(old)
                        reasons.append(reason)
                    else:
                        reasons.append({"Code": "None"})
                if any(x["Code"] != "None" for x in reasons):
                    codes = ", ".join(x["Code"] for x in reasons)
                    raise TransactionCanceledException(
                        "Transaction cancelled, please refer cancellation reasons for specific "
                        f"reasons [{codes}]",
                        CancellationReasons=reasons,
                    )
            changes = []
            for t, w, old in zip(tables, writes, olds, strict=True):
                new = self._new_item(t, w, old)
                if w.kind != "ConditionCheck" and (old is not None or new is not None):
                    changes.append((t, old, new))
            await self.commit(changes)

    # ---- index backfill and TTL -------------------------------------------------------------

    async def backfill(self, t: Table, names: Sequence[str]) -> None:
        """Rows for indexes created on a table with items (UpdateTable's GSI Create). Each
        item is re-read under its key's lock, so a write racing the backfill never leaves a
        stale index row; a page's items share one group commit."""
        after: Any = None
        while True:
            rows = await asyncio.to_thread(
                self.store.ddb_scan, t.name, "", (0, BUCKETS), after, 500
            )
            keys = []
            for row in rows:
                after = (row.bucket, row.hk, row.rk, row.pk)
                item = loads(row.item)
                keys.append({k: item[k] for k in t.key_names()})
            try:
                await asyncio.gather(*(self._backfill_one(t, k, names) for k in keys))
            except ResourceNotFoundException:
                return  # the table was deleted meanwhile
            if len(rows) < 500:
                return

    async def _backfill_one(self, t: Table, key: Item, names: Sequence[str]) -> None:
        async with self.locked([(t.name, *self._base(t, key))]):
            item = await self._read(t, key)
            if item is None:
                return
            now = self.catalog.current(t)
            unit: list[DdbWrite] = [
                PutRow(t.name, r) for r in self.rows(now, item) if r.index in names
            ]
            if unit:
                await self.catalog.write(unit)

    async def expire(self, now_s: float | None = None) -> int:
        """Delete every item whose TTL attribute is due (a REMOVE record by the service)."""
        now_s = now_ms() / 1000 if now_s is None else now_s
        gone = 0
        for t in list(self.catalog.tables.values()):
            attr = t.ttl_attribute
            if attr is None:
                continue
            while True:
                rows = await asyncio.to_thread(
                    self.store.ddb_expired, t.name, attr, now_s - FIVE_YEARS_S, now_s, 500
                )
                done = 0
                for row in rows:
                    item = loads(row.item)
                    if _due(item.get(attr), now_s):
                        try:
                            done += await self._expire_one(t, item, attr, now_s)
                        except ResourceNotFoundException:
                            return gone  # the table was deleted meanwhile: next step

                gone += done
                if len(rows) < 500 or done == 0:
                    break
        return gone

    async def _expire_one(self, t: Table, item: Item, attr: str, now_s: float) -> int:
        key = {k: item[k] for k in t.key_names()}
        async with self.locked([(t.name, *self._base(t, key))]):
            current = await self._read(t, key)
            if current is None or not _due(current.get(attr), now_s):
                return 0
            await self.commit([(t, current, None)], ttl=True)
            return 1


def _due(v: Value | None, now_s: float) -> bool:
    if v is None or type_of(v) != "N":
        return False
    at = Decimal(v["N"])
    return now_s - FIVE_YEARS_S <= at <= Decimal(str(now_s))


def _same(a: Value, b: Value) -> bool:
    return ordered(a, b) == 0


def _show(v: Value) -> str:
    t = type_of(v)
    return f"{t}:{v[t]}"


def _successor(prefix: bytes) -> bytes | None:
    """The least byte string greater than every string starting with ``prefix``."""
    p = prefix.rstrip(b"\xff")
    if not p:
        return None
    return p[:-1] + bytes([p[-1] + 1])


def _returned(w: Write, old: Item | None, new: Item | None) -> dict[str, Any]:
    rv = w.return_values
    if rv == "ALL_OLD" and old is not None:
        return {"Attributes": old}
    if rv == "ALL_NEW" and new is not None:
        return {"Attributes": new}
    if rv in ("UPDATED_OLD", "UPDATED_NEW"):
        # Only the paths the actions wrote, nested as they are (AWS's UPDATED_* answer).
        src = old if rv == "UPDATED_OLD" else new
        if src is None:
            return {}
        got = project(src, [a.path for a in w.actions or ()])
        return {"Attributes": got} if got else {}
    return {}
