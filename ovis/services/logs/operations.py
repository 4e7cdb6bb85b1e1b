"""A subset of the CloudWatch Logs API (JSON 1.1, ``X-Amz-Target: Logs_20140328.*``): the
function logs Ovis keeps (so ``aws logs tail``/``filter-log-events`` and ``ovis logs`` work)
and declared log groups (CreateLogGroup, retention, tags: what Terraform's
``aws_cloudwatch_log_group`` and CloudFormation's ``AWS::Logs::LogGroup`` call), log streams
and PutLogEvents (``streams.py``), and subscription filters to Lambda functions
(``subscriptions.py``, delivered by ``delivery.py``'s loop).

Handlers read the request document as sent (the codec does not validate Logs input): each
checks the members it uses, with the Logs service's error codes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ovis.logs.repository import LogRepository
from ovis.services.context import Handler, RequestContext
from ovis.services.logs.commands import FOREVER_MS, EventQuery
from ovis.services.logs.events import LogEvents
from ovis.services.logs.groups import (
    LogGroups,
    LogsAlreadyExists,
    LogsInvalidParameter,
    LogsResourceNotFound,
    check_name,
    check_tags,
    group_name_of_arn,
    retention_cutoff_ms,
)
from ovis.services.logs.repository import LogsStore
from ovis.services.logs.streams import LogStreams, check_stream_name
from ovis.services.logs.subscriptions import FunctionTarget, Subscriptions, check_filter_name

MAX_LIMIT = 10000
MAX_GROUPS_PAGE = 50


class LogsApi:
    """The operation table: each handler checks the members it reads (in the order the Logs
    service reports them), builds a command and renders the use case's answer."""

    def __init__(
        self,
        store: LogRepository,
        groups: LogsStore,
        functions: FunctionTarget | None = None,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.logs = LogEvents(store)
        self.groups = LogGroups(groups)
        self.streams = LogStreams(store, groups)
        self.subscriptions = Subscriptions(groups, store, functions, notify)
        self._notify = notify  # events were stored: the subscription delivery loop looks
        self.handlers: dict[str, Handler] = {
            "FilterLogEvents": self.filter_log_events,
            "GetLogEvents": self.get_log_events,
            "DescribeLogGroups": self.describe_log_groups,
            "DescribeLogStreams": self.describe_log_streams,
            "DeleteLogGroup": self.delete_log_group,
            "CreateLogGroup": self.create_log_group,
            "PutRetentionPolicy": self.put_retention_policy,
            "DeleteRetentionPolicy": self.delete_retention_policy,
            "ListTagsForResource": self.list_tags_for_resource,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsLogGroup": self.list_tags_log_group,
            "TagLogGroup": self.tag_log_group,
            "UntagLogGroup": self.untag_log_group,
            "CreateLogStream": self.create_log_stream,
            "DeleteLogStream": self.delete_log_stream,
            "PutLogEvents": self.put_log_events,
            "PutSubscriptionFilter": self.put_subscription_filter,
            "DescribeSubscriptionFilters": self.describe_subscription_filters,
            "DeleteSubscriptionFilter": self.delete_subscription_filter,
        }

    async def _exists(self, group: str) -> bool:
        return await self.groups.get(group) is not None or await self.logs.exists(group)

    async def _group(self, p: dict[str, Any]) -> str:
        group = p.get("logGroupName") or p.get("logGroupIdentifier")
        if not isinstance(group, str) or not group:
            raise LogsInvalidParameter("logGroupName is required.")
        group = group.rsplit(":log-group:", 1)[-1].removesuffix(":*")
        if not await self._exists(group):
            raise LogsResourceNotFound("The specified log group does not exist.")
        return group

    async def _declared(self, group: str) -> str:
        """``group``, declared if it existed only through its events (so it can be
        configured); ResourceNotFoundException if it does not exist at all."""
        if await self.groups.get(group) is None:
            found = [c for g, c in await self.logs.groups() if g == group]
            if not found:
                raise LogsResourceNotFound("The specified log group does not exist.")
            await self.groups.adopt(group, found[0])
        return group

    async def _start_ms(self, group: str, p: dict[str, Any]) -> int:
        cutoff = retention_cutoff_ms(await self.groups.get(group), int(time.time() * 1000))
        return max(int(p.get("startTime") or 0), cutoff)

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
        q = EventQuery(
            group=group,
            limit=self._limit(p),
            after_id=self._token(p),
            start_ms=await self._start_ms(group, p),
            end_ms=int(p.get("endTime") or FOREVER_MS),
            streams=frozenset(p.get("logStreamNames") or ()),
            stream_prefix=p.get("logStreamNamePrefix") or "",
            pattern=str(p.get("filterPattern") or ""),
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
        if not isinstance(stream, str) or not await self.streams.exists(group, stream):
            raise LogsResourceNotFound("The specified log stream does not exist.")
        q = EventQuery(
            group=group,
            limit=self._limit(p),
            after_id=self._token(p),
            start_ms=await self._start_ms(group, p),
            end_ms=int(p.get("endTime") or FOREVER_MS),
            streams=frozenset([stream]),
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
        pattern = p.get("logGroupNamePattern") or ""
        if prefix and pattern:
            raise LogsInvalidParameter(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
            )
        limit = p.get("limit", MAX_GROUPS_PAGE)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_GROUPS_PAGE:
            raise LogsInvalidParameter(f"limit must be between 1 and {MAX_GROUPS_PAGE}.")
        after = p.get("nextToken") or ""
        declared = {g.name: g for g in await self.groups.declared()}
        created = {g: c for g, c in await self.logs.groups()}
        names = sorted(
            n
            for n in set(declared) | set(created)
            if n.startswith(prefix) and pattern.lower() in n.lower() and n > after
        )
        page, more = names[:limit], len(names) > limit
        out: list[dict[str, Any]] = []
        for name in page:
            arn = f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{name}"
            g = declared.get(name)
            entry: dict[str, Any] = {
                "logGroupName": name,
                "creationTime": g.created_ms if g else created[name],
                "metricFilterCount": 0,
                "arn": arn + ":*",
                "storedBytes": 0,
                "logGroupClass": g.log_group_class if g else "STANDARD",
                "logGroupArn": arn,
                "deletionProtectionEnabled": False,
            }
            if g is not None and g.retention_days is not None:
                entry["retentionInDays"] = g.retention_days
            out.append(entry)
        answer: dict[str, Any] = {"logGroups": out}
        if more:
            answer["nextToken"] = page[-1]
        return answer

    async def describe_log_streams(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(p)
        prefix = p.get("logStreamNamePrefix") or ""
        order = p.get("orderBy") or "LogStreamName"
        if order not in ("LogStreamName", "LastEventTime"):
            raise LogsInvalidParameter(
                f"1 validation error detected: Value '{order}' at 'orderBy' failed to satisfy "
                "constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
            )
        if prefix and order == "LastEventTime":
            raise LogsInvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        limit = p.get("limit", MAX_GROUPS_PAGE)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_GROUPS_PAGE:
            raise LogsInvalidParameter(f"limit must be between 1 and {MAX_GROUPS_PAGE}.")
        found = [s for s in await self.streams.describe(group) if s.name.startswith(prefix)]
        if order == "LastEventTime":
            # streams without events sort as the oldest; the name breaks ties (stable pages)
            found.sort(key=lambda s: (s.last_ms if s.last_ms is not None else -1, s.name))
        if p.get("descending"):
            found.reverse()
        start = self._token(p)
        page = found[start : start + limit]
        arn = f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{group}:log-stream:"
        out: list[dict[str, Any]] = []
        for s in page:
            entry: dict[str, Any] = {
                "logStreamName": s.name,
                "creationTime": s.created_ms,
                "arn": arn + s.name,
                "storedBytes": 0,
            }
            if s.first_ms is not None and s.last_ms is not None:
                entry["firstEventTimestamp"] = s.first_ms
                entry["lastEventTimestamp"] = s.last_ms
                entry["lastIngestionTime"] = s.last_ms
            out.append(entry)
        answer: dict[str, Any] = {"logStreams": out}
        if start + limit < len(found):
            answer["nextToken"] = f"s/{start + limit}"
        return answer

    async def create_log_stream(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._declared(check_name(p.get("logGroupName")))
        if not await self.streams.create(group, check_stream_name(p.get("logStreamName"))):
            raise LogsAlreadyExists("The specified log stream already exists")
        return {}

    async def delete_log_stream(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(p)
        if not await self.streams.delete(group, check_stream_name(p.get("logStreamName"))):
            raise LogsResourceNotFound("The specified log stream does not exist.")
        return {}

    async def put_log_events(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(p)
        stream = check_stream_name(p.get("logStreamName"))
        if not await self.streams.exists(group, stream):
            raise LogsResourceNotFound("The specified log stream does not exist.")
        cutoff = retention_cutoff_ms(await self.groups.get(group), int(time.time() * 1000))
        accepted = await self.streams.put(group, stream, p.get("logEvents"), cutoff)
        if accepted.stored and self._notify is not None:
            self._notify()
        # AWS no longer requires nor checks the token; it still answers one
        answer: dict[str, Any] = {"nextSequenceToken": f"{time.time_ns():056d}"}
        if accepted.rejected:
            answer["rejectedLogEventsInfo"] = accepted.rejected
        return answer

    async def put_subscription_filter(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        group = await self._group(p)
        await self.subscriptions.put(
            group,
            check_filter_name(p.get("filterName")),
            p.get("filterPattern"),
            p.get("destinationArn"),
            p.get("roleArn"),
            p.get("distribution"),
            ctx.region,
            ctx.account_id,
        )
        return {}

    async def describe_subscription_filters(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        group = await self._group(p)
        prefix = p.get("filterNamePrefix") or ""
        limit = p.get("limit", MAX_GROUPS_PAGE)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_GROUPS_PAGE:
            raise LogsInvalidParameter(f"limit must be between 1 and {MAX_GROUPS_PAGE}.")
        found = [f for f in await self.subscriptions.of_group(group) if f.name.startswith(prefix)]
        start = self._token(p)
        page = found[start : start + limit]
        out = []
        for f in page:
            entry: dict[str, Any] = {
                "filterName": f.name,
                "logGroupName": f.group,
                "filterPattern": f.pattern,
                "destinationArn": f.destination_arn,
                "distribution": f.distribution,
                "creationTime": f.created_ms,
            }
            if f.role_arn:
                entry["roleArn"] = f.role_arn
            out.append(entry)
        answer: dict[str, Any] = {"subscriptionFilters": out}
        if start + limit < len(found):
            answer["nextToken"] = f"s/{start + limit}"
        return answer

    async def delete_subscription_filter(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        group = await self._group(p)
        await self.subscriptions.delete(group, check_filter_name(p.get("filterName")))
        return {}

    async def delete_log_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._group(p)
        await self.logs.delete_group(group)
        await self.groups.delete(group)
        return {}

    async def create_log_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name = check_name(p.get("logGroupName"))
        if p.get("deletionProtectionEnabled"):
            raise LogsInvalidParameter("Deletion protection is not supported here.")
        await self.groups.create(
            name, check_tags(p.get("tags")), p.get("kmsKeyId"), p.get("logGroupClass")
        )
        return {}

    async def put_retention_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._declared(check_name(p.get("logGroupName")))
        await self.groups.put_retention(group, p.get("retentionInDays"))
        return {}

    async def delete_retention_policy(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        group = await self._declared(check_name(p.get("logGroupName")))
        await self.groups.delete_retention(group)
        return {}

    async def _tags(self, group: str) -> dict[str, str]:
        g = await self.groups.get(group)
        return dict(g.tags) if g is not None else {}

    @staticmethod
    def _tag_keys(p: dict[str, Any], member: str) -> list[str]:
        keys = p.get(member)
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise LogsInvalidParameter(f"{member} must be a list of strings.")
        return keys

    async def list_tags_for_resource(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        group = group_name_of_arn(p.get("resourceArn"))
        if not await self._exists(group):
            raise LogsResourceNotFound("The specified log group does not exist.")
        return {"tags": await self._tags(group)}

    async def tag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._declared(group_name_of_arn(p.get("resourceArn")))
        await self.groups.tag(group, check_tags(p.get("tags")))
        return {}

    async def untag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._declared(group_name_of_arn(p.get("resourceArn")))
        await self.groups.untag(group, self._tag_keys(p, "tagKeys"))
        return {}

    async def list_tags_log_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"tags": await self._tags(await self._group(p))}

    async def tag_log_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._declared(check_name(p.get("logGroupName")))
        await self.groups.tag(group, check_tags(p.get("tags")))
        return {}

    async def untag_log_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        group = await self._declared(check_name(p.get("logGroupName")))
        await self.groups.untag(group, self._tag_keys(p, "tags"))
        return {}
