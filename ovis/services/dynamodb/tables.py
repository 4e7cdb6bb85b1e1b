"""Tables: CreateTable, DescribeTable, UpdateTable, DeleteTable, ListTables, tags and TTL.

The catalog keeps every table's definition in memory (loaded at start, written through the
store's ordered group commit) so an item request resolves its table and key schema with a
dict lookup. A table is described as AWS describes it; CreateTable answers CREATING and the
table is ACTIVE from the next DescribeTable on (nothing here takes time to provision).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ovis.models.dynamodb import DdbWrite, DropIndex, DropTable, PutTable, TableRow
from ovis.services.dynamodb.errors import (
    LimitExceededException,
    ResourceInUseException,
    ValidationException,
    invalid,
    not_found,
    table_not_found,
)
from ovis.services.dynamodb.repository import DynamoDbRepository, TagRepository
from ovis.storage.group_commit import GroupCommit

MAX_GSIS = 20
MAX_LSIS = 5
VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")


@dataclass(frozen=True)
class Index:
    """A secondary index: ``kind`` "GSI" or "LSI"; projection ALL, KEYS_ONLY or INCLUDE."""

    name: str
    kind: str
    hash_key: tuple[str, str]
    range_key: tuple[str, str] | None
    projection: str
    non_key: tuple[str, ...] = ()


@dataclass
class Table:
    name: str
    doc: dict[str, Any]
    created_ms: int
    hash_key: tuple[str, str] = ("", "S")
    range_key: tuple[str, str] | None = None
    indexes: dict[str, Index] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return str(self.doc["TableArn"])

    @property
    def stream_view(self) -> str | None:
        spec = self.doc.get("StreamSpecification") or {}
        return spec.get("StreamViewType") if spec.get("StreamEnabled") else None

    @property
    def stream_shard(self) -> str:
        return str(self.doc.get("_StreamShard", ""))

    @property
    def ttl_attribute(self) -> str | None:
        ttl = self.doc.get("_TimeToLive") or {}
        return ttl.get("AttributeName") if ttl.get("Enabled") else None

    def key_names(self) -> list[str]:
        return [self.hash_key[0]] + ([self.range_key[0]] if self.range_key else [])

    def reindex(self) -> None:
        types = {a["AttributeName"]: a["AttributeType"] for a in self.doc["AttributeDefinitions"]}
        h, r = _keys(self.doc["KeySchema"])
        self.hash_key = (h, types[h])
        self.range_key = (r, types[r]) if r else None
        self.indexes = {}
        for kind, member in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
            for ix in self.doc.get(member) or []:
                ih, ir = _keys(ix["KeySchema"])
                proj = ix.get("Projection") or {}
                self.indexes[ix["IndexName"]] = Index(
                    ix["IndexName"],
                    kind,
                    (ih, types[ih]),
                    (ir, types[ir]) if ir else None,
                    proj.get("ProjectionType", "ALL"),
                    tuple(proj.get("NonKeyAttributes") or ()),
                )


def _keys(schema: Sequence[dict[str, str]]) -> tuple[str, str | None]:
    if not schema or schema[0].get("KeyType") != "HASH":
        raise ValidationException(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
        )
    if len(schema) > 2:
        raise ValidationException("Invalid KeySchema: Too many KeySchemaElements")
    if len(schema) == 2 and schema[1].get("KeyType") != "RANGE":
        raise ValidationException(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
        )
    if len(schema) == 2 and schema[0]["AttributeName"] == schema[1]["AttributeName"]:
        raise ValidationException("Invalid KeySchema: Some index key attribute have no definition")
    return schema[0]["AttributeName"], schema[1]["AttributeName"] if len(schema) == 2 else None


def now_ms() -> int:
    return int(time.time() * 1000)


def _throughput(p: dict[str, Any], mode: str, where: str) -> dict[str, Any]:
    tp = p.get("ProvisionedThroughput")
    if mode == "PROVISIONED":
        if tp is None:
            raise invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when "
                "BillingMode is PROVISIONED"
            )
        return {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": tp["ReadCapacityUnits"],
            "WriteCapacityUnits": tp["WriteCapacityUnits"],
        }
    if tp is not None:
        raise invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode "
            f"is PAY_PER_REQUEST{where}"
        )
    return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}


class TableCatalog:
    def __init__(
        self, store: DynamoDbRepository, tags: TagRepository, region: str, account: str
    ) -> None:
        self.store = store
        self.tags = tags
        self.region = region
        self.account = account
        self.tables: dict[str, Table] = {}
        self._commit: GroupCommit[Sequence[DdbWrite]] = GroupCommit(store.ddb_write)

    async def write(self, unit: Sequence[DdbWrite]) -> None:
        """Commit one unit (durable on return), in order with every other write."""
        await self._commit.submit(unit)

    def current(self, t: Table) -> Table:
        """The catalog's table ``t`` now (UpdateTable may have replaced it with new indexes);
        ResourceNotFound if it was deleted meanwhile. Item writes call this with no await
        before queueing their commit, so a write lands before any later drop and carries
        the rows of every index made before it."""
        now = self.tables.get(t.name)
        if now is None or now.doc["TableId"] != t.doc["TableId"]:
            raise not_found()
        return now

    def load(self) -> None:
        for row in self.store.ddb_tables():
            t = Table(row.name, json.loads(row.doc), row.created_ms)
            t.reindex()
            self.tables[t.name] = t

    def get(self, name: str) -> Table:
        t = self.tables.get(name)
        if t is None:
            if name.startswith("arn:"):
                for cand in self.tables.values():
                    if cand.arn == name:
                        return cand
            raise table_not_found(name)
        return t

    def for_items(self, name: str) -> Table:
        """The table an item operation names (AWS words a missing one more briefly there)."""
        t = self.tables.get(name)
        if t is None:
            raise not_found()
        return t

    def by_arn(self, arn: str) -> Table:
        for t in self.tables.values():
            if t.arn == arn or arn.startswith(t.arn + "/"):
                return t
        raise ValidationException(
            f"Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            if not arn.startswith("arn:aws:dynamodb:")
            else f"Requested resource not found: ResourcArn: {arn} not found"
        )

    def _row(self, t: Table) -> TableRow:
        return TableRow(t.name, json.dumps(t.doc), t.created_ms)

    # ---- CreateTable ----------------------------------------------------------------------

    async def create(self, p: dict[str, Any]) -> Table:
        name = p["TableName"]
        if name in self.tables:
            raise ResourceInUseException(f"Table already exists: {name}")
        mode = p.get("BillingMode") or "PROVISIONED"
        defs = p["AttributeDefinitions"]
        declared = [a["AttributeName"] for a in defs]
        if len(set(declared)) != len(declared):
            raise invalid("Duplicate AttributeName in AttributeDefinitions")
        used: list[str] = [k["AttributeName"] for k in p["KeySchema"]]
        _keys(p["KeySchema"])
        gsis = p.get("GlobalSecondaryIndexes") or []
        lsis = p.get("LocalSecondaryIndexes") or []
        if len(gsis) > MAX_GSIS:
            raise LimitExceededException(
                f"GSI count exceeds the limit of {MAX_GSIS} global secondary indexes"
            )
        if len(lsis) > MAX_LSIS:
            raise invalid("Number of LocalSecondaryIndexes exceeds per-table limit of 5")
        names: set[str] = set()
        out_gsis, out_lsis = [], []
        table_hash = p["KeySchema"][0]["AttributeName"]
        for ix in gsis + lsis:
            if ix["IndexName"] in names:
                raise invalid(f"Duplicate index name: {ix['IndexName']}")
            names.add(ix["IndexName"])
            _keys(ix["KeySchema"])
            used += [k["AttributeName"] for k in ix["KeySchema"]]
        for ix in lsis:
            if len(p["KeySchema"]) < 2:
                raise invalid(
                    "Table KeySchema does not have a range key, which is required when "
                    "specifying a LocalSecondaryIndex"
                )
            if ix["KeySchema"][0]["AttributeName"] != table_hash:
                raise invalid(
                    "Index KeySchema does not have the same leading hash key as table "
                    f"KeySchema for index: {ix['IndexName']}. index hash key: "
                    f"{ix['KeySchema'][0]['AttributeName']}, table hash key: {table_hash}"
                )
        missing = sorted(set(used) - set(declared))
        if missing:
            raise invalid(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: "
                f"[{', '.join(missing)}], AttributeDefinitions: [{', '.join(declared)}]"
            )
        if set(declared) - set(used):
            raise invalid(
                "Number of attributes in KeySchema does not exactly match number of attributes "
                "defined in AttributeDefinitions"
            )
        arn = f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"
        created = now_ms()
        for ix in gsis:
            out_gsis.append(self._index_doc(ix, arn, mode, gsi=True))
        for ix in lsis:
            out_lsis.append(self._index_doc(ix, arn, mode, gsi=False))
        doc: dict[str, Any] = {
            "TableName": name,
            "TableArn": arn,
            "TableId": str(uuid.uuid4()),
            "KeySchema": p["KeySchema"],
            "AttributeDefinitions": defs,
            "TableStatus": "ACTIVE",
            "CreationDateTime": created / 1000,
            "ProvisionedThroughput": _throughput(p, mode, ""),
            "DeletionProtectionEnabled": bool(p.get("DeletionProtectionEnabled")),
        }
        if mode == "PAY_PER_REQUEST":
            doc["BillingModeSummary"] = {
                "BillingMode": "PAY_PER_REQUEST",
                "LastUpdateToPayPerRequestDateTime": created / 1000,
            }
        if p.get("TableClass"):
            doc["TableClassSummary"] = {"TableClass": p["TableClass"]}
        if out_gsis:
            doc["GlobalSecondaryIndexes"] = out_gsis
        if out_lsis:
            doc["LocalSecondaryIndexes"] = out_lsis
        t = Table(name, doc, created)
        self._set_stream(t, p.get("StreamSpecification"))
        t.reindex()
        await self.write([PutTable(self._row(t))])
        self.tables[name] = t
        if p.get("Tags"):
            self.tags.put_tags(arn, {x["Key"]: x["Value"] for x in p["Tags"]})
        return t

    def _index_doc(self, ix: dict[str, Any], arn: str, mode: str, gsi: bool) -> dict[str, Any]:
        proj = ix.get("Projection") or {}
        if proj.get("ProjectionType") == "INCLUDE" and not proj.get("NonKeyAttributes"):
            raise invalid("NonKeyAttributes must not be empty when ProjectionType is INCLUDE")
        if proj.get("ProjectionType") != "INCLUDE" and proj.get("NonKeyAttributes"):
            raise invalid(
                "ProjectionType is " + str(proj.get("ProjectionType")) + ", but NonKeyAttributes "
                "is specified"
            )
        out: dict[str, Any] = {
            "IndexName": ix["IndexName"],
            "KeySchema": ix["KeySchema"],
            "Projection": proj,
            "IndexArn": f"{arn}/index/{ix['IndexName']}",
        }
        if gsi:
            out["IndexStatus"] = "ACTIVE"
            out["ProvisionedThroughput"] = _throughput(ix, mode, " for index")
        return out

    def _set_stream(self, t: Table, spec: dict[str, Any] | None) -> None:
        if spec is None:
            return
        if spec.get("StreamEnabled"):
            view = spec.get("StreamViewType")
            if view not in VIEW_TYPES:
                raise ValidationException(
                    "One or more parameter values were invalid: You must specify a "
                    "StreamViewType when enabling a stream"
                )
            if t.stream_view is not None:
                raise ValidationException(f"Table already has an enabled stream: {t.arn}")
            label = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{now_ms() % 1000:03d}"
            t.doc["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
            t.doc["LatestStreamLabel"] = label
            t.doc["LatestStreamArn"] = f"{t.arn}/stream/{label}"
            t.doc["_StreamShard"] = f"shardId-{now_ms():020d}-{uuid.uuid4().hex[:8]}"
        else:
            if t.stream_view is None:
                raise ValidationException(f"Table already has no enabled stream: {t.arn}")
            t.doc["StreamSpecification"] = {"StreamEnabled": False}

    # ---- DescribeTable / ListTables -------------------------------------------------------

    def describe(self, t: Table, status: str | None = None) -> dict[str, Any]:
        count, size = self.store.ddb_stats(t.name)
        out = {k: v for k, v in t.doc.items() if not k.startswith("_")}
        out["ItemCount"], out["TableSizeBytes"] = count, size
        if status is not None:
            out["TableStatus"] = status
        for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if member in out:
                ixs = []
                for ix in out[member]:
                    c, s = self.store.ddb_index_stats(t.name, ix["IndexName"])
                    ixs.append({**ix, "ItemCount": c, "IndexSizeBytes": s})
                out[member] = ixs
        if out.get("StreamSpecification", {}).get("StreamEnabled") is False:
            del out["StreamSpecification"]
        return out

    def list(self, start: str | None, limit: int) -> tuple[list[str], str | None]:
        names = sorted(n for n in self.tables if start is None or n > start)
        page = names[:limit]
        return page, page[-1] if len(names) > limit else None

    # ---- UpdateTable / DeleteTable --------------------------------------------------------

    async def update(self, p: dict[str, Any]) -> Table:
        t = self.get(p["TableName"])
        doc = json.loads(json.dumps(t.doc))
        draft = Table(t.name, doc, t.created_ms)
        units: list[DdbWrite] = []
        if "AttributeDefinitions" in p:
            have = {a["AttributeName"]: a for a in doc["AttributeDefinitions"]}
            for a in p["AttributeDefinitions"]:
                have[a["AttributeName"]] = a
            doc["AttributeDefinitions"] = list(have.values())
        if p.get("BillingMode"):
            mode = p["BillingMode"]
            if mode == "PAY_PER_REQUEST":
                doc["BillingModeSummary"] = {
                    "BillingMode": mode,
                    "LastUpdateToPayPerRequestDateTime": now_ms() / 1000,
                }
                doc["ProvisionedThroughput"] = _throughput({}, mode, "")
            else:
                doc.pop("BillingModeSummary", None)
        if p.get("ProvisionedThroughput"):
            doc["ProvisionedThroughput"] = _throughput(p, "PROVISIONED", "")
        if "DeletionProtectionEnabled" in p:
            doc["DeletionProtectionEnabled"] = bool(p["DeletionProtectionEnabled"])
        if "StreamSpecification" in p:
            self._set_stream(draft, p["StreamSpecification"])
        new_indexes: list[str] = []
        mode = (doc.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        for u in p.get("GlobalSecondaryIndexUpdates") or []:
            gsis = doc.setdefault("GlobalSecondaryIndexes", [])
            if "Create" in u:
                c = u["Create"]
                if any(g["IndexName"] == c["IndexName"] for g in gsis) or any(
                    x["IndexName"] == c["IndexName"] for x in doc.get("LocalSecondaryIndexes", [])
                ):
                    raise ValidationException(
                        f"Attempting to create an index which already exists: {c['IndexName']}"
                    )
                if len(gsis) >= MAX_GSIS:
                    raise LimitExceededException(
                        f"GSI count exceeds the limit of {MAX_GSIS} global secondary indexes"
                    )
                _keys(c["KeySchema"])
                declared = {a["AttributeName"] for a in doc["AttributeDefinitions"]}
                missing = [
                    k["AttributeName"] for k in c["KeySchema"] if k["AttributeName"] not in declared
                ]
                if missing:
                    raise invalid(
                        "Some index key attributes are not defined in AttributeDefinitions. "
                        f"Keys: [{', '.join(missing)}], AttributeDefinitions: "
                        f"[{', '.join(sorted(declared))}]"
                    )
                gsis.append(self._index_doc(c, t.arn, mode, gsi=True))
                new_indexes.append(c["IndexName"])
            elif "Delete" in u:
                n = u["Delete"]["IndexName"]
                if not any(g["IndexName"] == n for g in gsis):
                    raise _no_index(n)
                doc["GlobalSecondaryIndexes"] = [g for g in gsis if g["IndexName"] != n]
                units.append(DropIndex(t.name, n))
            elif "Update" in u:
                n = u["Update"]["IndexName"]
                for g in gsis:
                    if g["IndexName"] == n:
                        g["ProvisionedThroughput"] = _throughput(
                            u["Update"], "PROVISIONED", " for index"
                        )
                        break
                else:
                    raise _no_index(n)
            if not doc.get("GlobalSecondaryIndexes"):
                doc.pop("GlobalSecondaryIndexes", None)
        draft.reindex()
        units.insert(0, PutTable(self._row(draft)))
        # In the catalog before it is queued: a write queued after it builds the new
        # indexes' rows, one queued before commits first and is seen by the backfill.
        self.tables[t.name] = draft
        try:
            await self.write(units)
        except BaseException:
            self.tables[t.name] = t
            raise
        draft.doc["_new_indexes"] = new_indexes  # the item service backfills them
        return draft

    async def delete(self, name: str) -> Table:
        t = self.get(name)
        if t.doc.get("DeletionProtectionEnabled"):
            raise ValidationException(
                "Resource cannot be deleted as it is currently protected against deletion. "
                "Disable deletion protection first."
            )
        # Gone from the catalog first: item writes check it right before they queue their
        # commit (``current``), so none lands after the drop and outlives the table.
        self.tables.pop(name, None)
        try:
            await self.write([DropTable(name)])
        except BaseException:
            self.tables[name] = t
            raise
        self.tags.delete_tags(t.arn)
        return t

    async def save(self, t: Table) -> None:
        await self.write([PutTable(self._row(t))])


def _no_index(index: str) -> ValidationException:
    return ValidationException(f"Attempting to delete an index which does not exist: {index}")
