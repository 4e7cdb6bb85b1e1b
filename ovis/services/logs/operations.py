"""A subset of the CloudWatch Logs API (JSON 1.1, ``X-Amz-Target: Logs_20140328.*``) over the
function logs Ovis keeps, so ``aws logs tail``/``filter-log-events`` and ``ovis logs`` work.

Handlers read the request document as sent (the codec does not validate Logs input): each
checks the members it uses, with the Logs service's error codes."""

from __future__ import annotations

from typing import Any

from ovis.errors import ApiError
from ovis.logs.repository import LogRepository
from ovis.services.context import Handler, RequestContext
from ovis.services.logs.commands import FOREVER_MS, EventQuery
from ovis.services.logs.events import LogEvents

MAX_LIMIT = 10000


class LogsResourceNotFound(ApiError):
    code, status = "ResourceNotFoundException", 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


class LogsInvalidParameter(ApiError):
    code, status = "InvalidParameterException", 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


class LogsApi:
    """The operation table: each handler checks the members it reads (in the order the Logs
    service reports them), builds a command and renders the use case's answer."""

    def __init__(self, store: LogRepository) -> None:
        self.logs = LogEvents(store)
        self.handlers: dict[str, Handler] = {
            "FilterLogEvents": self.filter_log_events,
            "GetLogEvents": self.get_log_events,
            "DescribeLogGroups": self.describe_log_groups,
            "DescribeLogStreams": self.describe_log_streams,
            "DeleteLogGroup": self.delete_log_group,
        }

    async def _group(self, p: dict[str, Any]) -> str:
        group = p.get("logGroupName") or p.get("logGroupIdentifier")
        if not isinstance(group, str) or not group:
            raise LogsInvalidParameter("logGroupName is required.")
        group = group.rsplit(":log-group:", 1)[-1].removesuffix(":*")
        if not await self.logs.exists(group):
            raise LogsResourceNotFound("The specified log group does not exist.")
        return group

    @staticmethod
    def _limit(p: dict[str, Any]) -> int:
        limit = p.get("limit", MAX_LIMIT)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise LogsInvalidParameter(f"limit must be between 1 and {MAX_LIMIT}.")
        return limit

    @staticmethod
    def _token(p: dict[str, Any], key: str = "nextToken") -> int:
        token = p.get(key)
        if token is None:
            return 0
        try:
            return int(str(token).rsplit("/", 1)[-1])
        except ValueError:
            raise LogsInvalidParameter("The specified nextToken is invalid.") from None

    async def filter_log_events(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        q = EventQuery(
            group=await self._group(p),
            limit=self._limit(p),
            after_id=self._token(p),
            start_ms=int(p.get("startTime") or 0),
            end_ms=int(p.get("endTime") or FOREVER_MS),
            streams=frozenset(p.get("logStreamNames") or ()),
            stream_prefix=p.get("logStreamNamePrefix") or "",
            pattern=(p.get("filterPattern") or "").strip().strip('"'),
        )
        page = await self.logs.query(q)
        out: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": stream,
                    "timestamp": ts,
                    "message": message,
                    "ingestionTime": ingested,
                    "eventId": str(event_id),
                }
                for stream, ts, message, ingested, event_id in page.events
            ],
            "searchedLogStreams": [],
        }
        if page.more:
            out["nextToken"] = f"f/{page.last_id}"
        return out

    async def get_log_events(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(p)
        stream = p.get("logStreamName")
        q = EventQuery(
            group=group,
            limit=self._limit(p),
            after_id=self._token(p),
            start_ms=int(p.get("startTime") or 0),
            end_ms=int(p.get("endTime") or FOREVER_MS),
            streams=frozenset([stream]) if isinstance(stream, str) else frozenset([""]),
        )
        page = await self.logs.query(q)
        return {
            "events": [
                {"timestamp": ts, "message": message, "ingestionTime": ingested}
                for _stream, ts, message, ingested, _id in page.events
            ],
            "nextForwardToken": f"f/{page.last_id}",
            "nextBackwardToken": f"b/{q.after_id}",
        }

    async def describe_log_groups(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        prefix = p.get("logGroupNamePrefix") or ""
        return {
            "logGroups": [
                {
                    "logGroupName": g,
                    "creationTime": created,
                    "storedBytes": 0,
                    "arn": f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{g}:*",
                }
                for g, created in await self.logs.groups()
                if g.startswith(prefix)
            ]
        }

    async def describe_log_streams(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(p)
        prefix = p.get("logStreamNamePrefix") or ""
        return {
            "logStreams": [
                {
                    "logStreamName": s,
                    "creationTime": first,
                    "firstEventTimestamp": first,
                    "lastEventTimestamp": last,
                    "lastIngestionTime": last,
                }
                for s, first, last in await self.logs.streams(group, prefix)
            ]
        }

    async def delete_log_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.logs.delete_group(await self._group(p))
        return {}
