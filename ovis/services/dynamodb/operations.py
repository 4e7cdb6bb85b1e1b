"""The DynamoDB operations: one handler per operation, ``(ctx, params) -> output members``.
Requests arrive decoded and validated against the botocore model by the JSON 1.0 codec
(required members, lengths, enums; blobs as bytes); the handlers check attribute values,
parse the expressions (all of a request's before anything changes), build the typed commands
and shape the outputs. Operations of the model this table lacks answer "not supported"."""

from __future__ import annotations

import asyncio
from typing import Any

from ovis.services.context import Handler, RequestContext
from ovis.services.dynamodb.commands import Query, Read, Scan, Write
from ovis.services.dynamodb.condition import Cond, parse_condition
from ovis.services.dynamodb.errors import ValidationException
from ovis.services.dynamodb.expressions import Path, Placeholders
from ovis.services.dynamodb.items import ItemService
from ovis.services.dynamodb.key_condition import parse_key_condition
from ovis.services.dynamodb.projection import parse_projection
from ovis.services.dynamodb.tables import Table, TableCatalog
from ovis.services.dynamodb.update import parse_update
from ovis.services.dynamodb.values import Item, check_item

MAX_BATCH_GET = 100
MAX_TRANSACT = 100


def _legacy(p: dict[str, Any], *members: str) -> None:
    for m in members:
        if p.get(m):
            raise ValidationException(
                f"The legacy parameter {m} is not supported by this server; use the "
                "corresponding expression parameter"
            )


def _return_values(p: dict[str, Any], allowed: tuple[str, ...]) -> str:
    rv = p.get("ReturnValues") or "NONE"
    if rv not in allowed:
        raise ValidationException("Return values set to invalid value")
    return str(rv)


class DynamoDbApi:
    def __init__(self, catalog: TableCatalog, items: ItemService) -> None:
        self.catalog = catalog
        self.items = items
        self.handlers: dict[str, Handler] = {
            "CreateTable": self.create_table,
            "DescribeTable": self.describe_table,
            "UpdateTable": self.update_table,
            "DeleteTable": self.delete_table,
            "ListTables": self.list_tables,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsOfResource": self.list_tags_of_resource,
            "UpdateTimeToLive": self.update_time_to_live,
            "DescribeTimeToLive": self.describe_time_to_live,
            "DescribeEndpoints": self.describe_endpoints,
            "DescribeLimits": self.describe_limits,
            "PutItem": self.put_item,
            "GetItem": self.get_item,
            "UpdateItem": self.update_item,
            "DeleteItem": self.delete_item,
            "Query": self.query,
            "Scan": self.scan,
            "BatchGetItem": self.batch_get_item,
            "BatchWriteItem": self.batch_write_item,
            "TransactGetItems": self.transact_get_items,
            "TransactWriteItems": self.transact_write_items,
        }

    # ---- tables ---------------------------------------------------------------------------

    async def _describe(self, t: Table, status: str | None = None) -> dict[str, Any]:
        # Counting a table's items is a store read: off the event loop.
        return await asyncio.to_thread(self.catalog.describe, t, status)

    async def create_table(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        t = await self.catalog.create(p)
        return {"TableDescription": await self._describe(t, "CREATING")}

    async def describe_table(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"Table": await self._describe(self.catalog.get(p["TableName"]))}

    async def update_table(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        t = await self.catalog.update(p)
        created = t.doc.pop("_new_indexes", [])
        if created:
            await self.items.backfill(t, created)
        return {"TableDescription": await self._describe(t)}

    async def delete_table(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.get(p["TableName"])
        desc = await self._describe(t, "DELETING")
        await self.catalog.delete(t.name)
        return {"TableDescription": desc}

    async def list_tables(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        names, last = self.catalog.list(p.get("ExclusiveStartTableName"), p.get("Limit") or 100)
        out: dict[str, Any] = {"TableNames": names}
        if last is not None:
            out["LastEvaluatedTableName"] = last
        return out

    async def tag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.by_arn(p["ResourceArn"])
        self.catalog.tags.put_tags(t.arn, {x["Key"]: x["Value"] for x in p["Tags"]})
        return {}

    async def untag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.by_arn(p["ResourceArn"])
        self.catalog.tags.delete_tags(t.arn, p["TagKeys"])
        return {}

    async def list_tags_of_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.by_arn(p["ResourceArn"])
        tags = self.catalog.tags.get_tags(t.arn)
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}

    async def update_time_to_live(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.get(p["TableName"])
        spec = p["TimeToLiveSpecification"]
        have = t.doc.get("_TimeToLive") or {}
        if bool(have.get("Enabled")) == bool(spec["Enabled"]):
            raise ValidationException(
                "TimeToLive is already enabled"
                if spec["Enabled"]
                else "TimeToLive is already disabled"
            )
        if not spec["Enabled"] and have.get("AttributeName") != spec["AttributeName"]:
            raise ValidationException(
                "TimeToLive attribute name mismatch: the attribute name in the request does "
                "not match the current one"
            )
        t.doc["_TimeToLive"] = {"Enabled": spec["Enabled"], "AttributeName": spec["AttributeName"]}
        await self.catalog.save(t)
        return {"TimeToLiveSpecification": spec}

    async def describe_time_to_live(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        t = self.catalog.get(p["TableName"])
        have = t.doc.get("_TimeToLive") or {}
        if have.get("Enabled"):
            desc = {"TimeToLiveStatus": "ENABLED", "AttributeName": have["AttributeName"]}
        else:
            desc = {"TimeToLiveStatus": "DISABLED"}
        return {"TimeToLiveDescription": desc}

    async def describe_endpoints(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"Endpoints": [{"Address": "localhost", "CachePeriodInMinutes": 1440}]}

    async def describe_limits(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000,
        }

    # ---- building commands ----------------------------------------------------------------

    def _key(self, t: Table, key: Any) -> Item:
        return self.items.key_of(t, check_item(key))

    @staticmethod
    def _condition(
        p: dict[str, Any], ph: Placeholders, member: str = "ConditionExpression"
    ) -> Cond | None:
        text = p.get(member)
        return None if text is None else parse_condition(text, ph, member)

    @staticmethod
    def _projection(p: dict[str, Any], ph: Placeholders) -> list[Path] | None:
        text = p.get("ProjectionExpression")
        return None if text is None else parse_projection(text, ph)

    def _put(self, p: dict[str, Any], rv: str) -> Write:
        _legacy(p, "Expected", "ConditionalOperator")
        t = self.catalog.for_items(p["TableName"])
        item = check_item(p["Item"])
        self.items.check_item(t, item)
        ph = Placeholders.of(p)
        cond = self._condition(p, ph)
        ph.check_unused()
        key = {k: item[k] for k in t.key_names()}
        return Write(
            "Put",
            t.name,
            key,
            item=item,
            condition=cond,
            return_values=rv,
            return_on_failure=p.get("ReturnValuesOnConditionCheckFailure") or "NONE",
        )

    def _delete(self, p: dict[str, Any], rv: str, kind: str = "Delete") -> Write:
        _legacy(p, "Expected", "ConditionalOperator")
        t = self.catalog.for_items(p["TableName"])
        key = self._key(t, p["Key"])
        ph = Placeholders.of(p)
        cond = self._condition(p, ph)
        if kind == "ConditionCheck" and cond is None:
            raise ValidationException("ConditionExpression is required for ConditionCheck")
        ph.check_unused()
        return Write(
            kind,
            t.name,
            key,
            condition=cond,
            return_values=rv,
            return_on_failure=p.get("ReturnValuesOnConditionCheckFailure") or "NONE",
        )

    def _update(self, p: dict[str, Any], rv: str) -> Write:
        _legacy(p, "Expected", "ConditionalOperator", "AttributeUpdates")
        t = self.catalog.for_items(p["TableName"])
        key = self._key(t, p["Key"])
        ph = Placeholders.of(p)
        actions = parse_update(p["UpdateExpression"], ph) if p.get("UpdateExpression") else []
        for a in actions:
            if str(a.path[0]) in t.key_names():
                raise ValidationException(
                    "One or more parameter values were invalid: Cannot update attribute "
                    f"{a.path[0]}. This attribute is part of the key"
                )
        cond = self._condition(p, ph)
        ph.check_unused()
        return Write(
            "Update",
            t.name,
            key,
            actions=tuple(actions),
            condition=cond,
            return_values=rv,
            return_on_failure=p.get("ReturnValuesOnConditionCheckFailure") or "NONE",
        )

    # ---- items ----------------------------------------------------------------------------

    async def put_item(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return await self.items.write(self._put(p, _return_values(p, ("NONE", "ALL_OLD"))))

    async def delete_item(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return await self.items.write(self._delete(p, _return_values(p, ("NONE", "ALL_OLD"))))

    async def update_item(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        rv = _return_values(p, ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"))
        return await self.items.write(self._update(p, rv))

    def _read(self, table: str, key: Any, p: dict[str, Any]) -> Read:
        _legacy(p, "AttributesToGet")
        t = self.catalog.for_items(table)
        ph = Placeholders.of(p)
        proj = self._projection(p, ph)
        ph.check_unused()
        return Read(t.name, self._key(t, key), proj)

    async def get_item(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        item = await self.items.get(self._read(p["TableName"], p["Key"], p))
        return {} if item is None else {"Item": item}

    def _select(self, p: dict[str, Any]) -> bool:
        select = p.get("Select")
        if select == "COUNT" and p.get("ProjectionExpression"):
            raise ValidationException(
                "Can not use both expression and non-expression parameters in the same "
                "request: Non-expression parameters: {Select} Expression parameters: "
                "{ProjectionExpression}"
            )
        return select == "COUNT"

    @staticmethod
    def _page_out(page: Any, count_only: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"Count": page.count, "ScannedCount": page.scanned}
        if not count_only:
            out["Items"] = page.items
        if page.last_key is not None:
            out["LastEvaluatedKey"] = page.last_key
        return out

    def _start(self, p: dict[str, Any]) -> Item | None:
        start = p.get("ExclusiveStartKey")
        return None if start is None else check_item(start)

    def _consistent(self, t: Table, p: dict[str, Any]) -> None:
        name = p.get("IndexName")
        ix = t.indexes.get(name) if name else None
        if p.get("ConsistentRead") and ix is not None and ix.kind == "GSI":
            raise ValidationException(
                "Consistent reads are not supported on global secondary indexes"
            )

    async def query(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        _legacy(p, "KeyConditions", "QueryFilter", "AttributesToGet", "ConditionalOperator")
        t = self.catalog.for_items(p["TableName"])
        ix = self.items._index(t, p.get("IndexName"))
        self._consistent(t, p)
        if not p.get("KeyConditionExpression"):
            raise ValidationException(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified "
                "in the request."
            )
        ph = Placeholders.of(p)
        h, r = (ix.hash_key, ix.range_key) if ix else (t.hash_key, t.range_key)
        key = parse_key_condition(p["KeyConditionExpression"], ph, h, r)
        filt = self._condition(p, ph, "FilterExpression")
        proj = self._projection(p, ph)
        ph.check_unused()
        count_only = self._select(p)
        page = await self.items.query(
            Query(
                t.name,
                p.get("IndexName"),
                key,
                filt,
                proj,
                p.get("ScanIndexForward", True) is not False,
                p.get("Limit"),
                self._start(p),
                count_only,
            )
        )
        return self._page_out(page, count_only)

    async def scan(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        _legacy(p, "ScanFilter", "AttributesToGet", "ConditionalOperator")
        t = self.catalog.for_items(p["TableName"])
        self.items._index(t, p.get("IndexName"))
        self._consistent(t, p)
        seg, total = p.get("Segment"), p.get("TotalSegments")
        if (seg is None) != (total is None):
            missing = "TotalSegments" if total is None else "Segment"
            present = "Segment" if total is None else "TotalSegments"
            raise ValidationException(
                f"The {missing} parameter is required but was not present in the request when "
                f"{present} parameter is present"
            )
        if seg is not None and total is not None and seg >= total:
            raise ValidationException(
                f"The Segment parameter is zero-based and must be less than parameter "
                f"TotalSegments: Segment: {seg} is out of bounds of TotalSegments: {total}"
            )
        ph = Placeholders.of(p)
        filt = self._condition(p, ph, "FilterExpression")
        proj = self._projection(p, ph)
        ph.check_unused()
        count_only = self._select(p)
        page = await self.items.scan(
            Scan(
                t.name,
                p.get("IndexName"),
                filt,
                proj,
                p.get("Limit"),
                self._start(p),
                seg or 0,
                total or 1,
                count_only,
            )
        )
        return self._page_out(page, count_only)

    async def batch_get_item(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        reads: list[tuple[str, Read]] = []
        for table, req in p["RequestItems"].items():
            seen: set[str] = set()
            for key in req["Keys"]:
                r = self._read(table, key, req)
                marker = repr(sorted(r.key.items()))
                if marker in seen:
                    raise ValidationException("Provided list of item keys contains duplicates")
                seen.add(marker)
                reads.append((r.table, r))
        if len(reads) > MAX_BATCH_GET:
            raise ValidationException("Too many items requested for the BatchGetItem call")
        out: dict[str, list[Item]] = {name: [] for name, _ in reads}
        for name, r in reads:
            item = await self.items.get(r)
            if item is not None:
                out[name].append(item)
        return {"Responses": out, "UnprocessedKeys": {}}

    async def batch_write_item(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        writes: list[Write] = []
        for table, reqs in p["RequestItems"].items():
            for req in reqs:
                if "PutRequest" in req and "DeleteRequest" not in req:
                    writes.append(self._put({"TableName": table, **req["PutRequest"]}, "NONE"))
                elif "DeleteRequest" in req and "PutRequest" not in req:
                    writes.append(
                        self._delete({"TableName": table, **req["DeleteRequest"]}, "NONE")
                    )
                else:
                    raise ValidationException(
                        "1 validation error detected: WriteRequest must contain exactly "
                        "one of PutRequest or DeleteRequest"
                    )
        if len(writes) > 25:
            raise ValidationException("Too many items requested for the BatchWriteItem call")
        await self.items.batch_write(writes)
        return {"UnprocessedItems": {}}

    async def transact_get_items(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        reads = [
            self._read(x["Get"]["TableName"], x["Get"]["Key"], x["Get"]) for x in p["TransactItems"]
        ]
        out = []
        for r in reads:
            item = await self.items.get(r)
            out.append({} if item is None else {"Item": item})
        return {"Responses": out}

    async def transact_write_items(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        writes: list[Write] = []
        for x in p["TransactItems"]:
            kinds = [k for k in ("ConditionCheck", "Put", "Delete", "Update") if k in x]
            if len(kinds) != 1:
                raise ValidationException(
                    "TransactItems can only contain one of Check, Put, Update or Delete"
                )
            kind = kinds[0]
            body = x[kind]
            if kind == "Put":
                writes.append(self._put(body, "NONE"))
            elif kind == "Update":
                writes.append(self._update(body, "NONE"))
            else:
                writes.append(self._delete(body, "NONE", kind))
        await self.items.transact(writes)
        return {}
