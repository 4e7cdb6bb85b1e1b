"""A subset of the CloudWatch Logs API (JSON 1.1, ``X-Amz-Target: Logs_20140328.*``) over the
function logs Ovis keeps, so ``aws logs tail``/``filter-log-events`` and ``ovis logs`` work.

Handlers read the request document as sent (the codec does not validate Logs input): each
checks the members it uses, with the Logs service's error codes."""

from __future__ import annotations

import asyncio
from typing import Any

from ovis.errors import ApiError
from ovis.logs.repository import LogRepository
from ovis.services.context import Handler, RequestContext

MAX_LIMIT = 10000
FOREVER_MS = 2**62


class LogsResourceNotFound(ApiError):
    code, status = "ResourceNotFoundException", 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


class LogsInvalidParameter(ApiError):
    code, status = "InvalidParameterException", 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


class LogsApi:
    def __init__(self, store: LogRepository) -> None:
        self.store = store
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
        groups = {g for g, _ in await asyncio.to_thread(self.store.log_groups)}
        if group not in groups:
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
        group = await self._group(p)
        limit = self._limit(p)
        after = self._token(p)
        start = int(p.get("startTime") or 0)
        end = int(p.get("endTime") or FOREVER_MS)
        streams = set(p.get("logStreamNames") or ())
        prefix = p.get("logStreamNamePrefix")
        pattern = (p.get("filterPattern") or "").strip().strip('"')
        events: list[dict[str, Any]] = []
        last_id = after
        while len(events) < limit:
            batch = await asyncio.to_thread(
                self.store.filter_logs, group, start, end, last_id, 1000
            )
            if not batch:
                break
            for e in batch:
                last_id = e.event_id
                if streams and e.stream not in streams:
                    continue
                if prefix and not e.stream.startswith(prefix):
                    continue
                if pattern and pattern not in e.message:
                    continue
                events.append(
                    {
                        "logStreamName": e.stream,
                        "timestamp": e.timestamp,
                        "message": e.message,
                        "ingestionTime": e.ingestion_time,
                        "eventId": str(e.event_id),
                    }
                )
                if len(events) >= limit:
                    break
        out: dict[str, Any] = {"events": events, "searchedLogStreams": []}
        if len(events) >= limit:
            out["nextToken"] = f"f/{last_id}"
        return out

    async def get_log_events(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(p)
        stream = p.get("logStreamName")
        limit = self._limit(p)
        after = self._token(p)
        start = int(p.get("startTime") or 0)
        end = int(p.get("endTime") or FOREVER_MS)
        events: list[dict[str, Any]] = []
        last_id = after
        while len(events) < limit:
            batch = await asyncio.to_thread(
                self.store.filter_logs, group, start, end, last_id, 1000
            )
            if not batch:
                break
            for e in batch:
                last_id = e.event_id
                if e.stream == stream:
                    events.append(
                        {
                            "timestamp": e.timestamp,
                            "message": e.message,
                            "ingestionTime": e.ingestion_time,
                        }
                    )
                    if len(events) >= limit:
                        break
        return {
            "events": events,
            "nextForwardToken": f"f/{last_id}",
            "nextBackwardToken": f"b/{after}",
        }

    async def describe_log_groups(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        prefix = p.get("logGroupNamePrefix") or ""
        groups = await asyncio.to_thread(self.store.log_groups)
        return {
            "logGroups": [
                {
                    "logGroupName": g,
                    "creationTime": created,
                    "storedBytes": 0,
                    "arn": f"arn:aws:logs:us-east-1:000000000000:log-group:{g}:*",
                }
                for g, created in groups
                if g.startswith(prefix)
            ]
        }

    async def describe_log_streams(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(p)
        prefix = p.get("logStreamNamePrefix") or ""
        streams = await asyncio.to_thread(self.store.log_streams, group)
        return {
            "logStreams": [
                {
                    "logStreamName": s,
                    "creationTime": first,
                    "firstEventTimestamp": first,
                    "lastEventTimestamp": last,
                    "lastIngestionTime": last,
                }
                for s, first, last in streams
                if s.startswith(prefix)
            ]
        }

    async def delete_log_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(p)
        await asyncio.to_thread(self.store.delete_log_group, group)
        return {}
