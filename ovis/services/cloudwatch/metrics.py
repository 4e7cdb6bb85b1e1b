"""CloudWatch's metric use cases: PutMetricData, GetMetricStatistics, GetMetricData and
ListMetrics over a ``MetricRepository``.

Contract: ``put`` is durable on return (one transaction). Periods: datapoints are grouped into
periods starting at StartTime rounded down to a multiple of the period (epoch-aligned), as AWS
rounds it; EndTime is exclusive. GetMetricStatistics returns at most 1,440 datapoints per call
(AWS's limit, refused beyond); GetMetricData returns up to MaxDatapoints values per page and a
NextToken to resume. Paging tokens are opaque, stateless offsets.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
from datetime import UTC, datetime
from typing import Any

from ovis.models.metric import Datum, MetricKey
from ovis.services.cloudwatch import expressions
from ovis.services.cloudwatch.commands import (
    DataQuery,
    GetMetricData,
    GetMetricStatistics,
    ListMetrics,
    MetricStat,
)
from ovis.services.cloudwatch.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
)
from ovis.services.cloudwatch.repository import MetricRepository
from ovis.services.cloudwatch.statistics import Aggregate, buckets

MAX_STATISTIC_DATAPOINTS = 1440
MAX_QUERIES = 500  # MetricDataQueries per GetMetricData (AWS)
LIST_PAGE = 500
THREE_HOURS_MS = 3 * 3600 * 1000
TWO_WEEKS_MS = 14 * 24 * 3600 * 1000


def to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def encode_token(doc: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


def decode_token(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise InvalidNextToken("The service cannot return the next page: invalid token.") from None


def period_serves(start_ms: int, period_s: int, now_ms: int) -> bool:
    """AWS's retention rule for GetMetricStatistics: a StartTime more than 3 hours ago needs a
    Period that is a multiple of 60 s (of 300 s beyond 15 days, of 3600 s beyond 63 days), or
    no datapoints are returned for the range."""
    age = now_ms - start_ms
    day = 24 * THREE_HOURS_MS // 3
    if age > 63 * day:
        return period_s % 3600 == 0
    if age > 15 * day:
        return period_s % 300 == 0
    if age > THREE_HOURS_MS:
        return period_s % 60 == 0
    return True


def origin(start_ms: int, period_s: int) -> int:
    p = period_s * 1000
    return start_ms // p * p


class MetricService:
    def __init__(self, store: MetricRepository) -> None:
        self.store = store

    async def put(self, data: list[Datum]) -> None:
        await asyncio.to_thread(self.store.put_data, data)

    # ---- reading one metric by period

    async def series(
        self, key: MetricKey, start_ms: int, end_ms: int, period_s: int, unit: str | None
    ) -> dict[int, Aggregate]:
        """The metric's datapoints grouped by period (start of period -> aggregate)."""
        first = origin(start_ms, period_s)
        data = await asyncio.to_thread(self.store.data, key, first, end_ms)
        if unit is not None:
            data = [d for d in data if d.unit == unit]
        return buckets(data, first, period_s * 1000)

    async def get_statistics(self, cmd: GetMetricStatistics) -> dict[str, Any]:
        if cmd.start_ms >= cmd.end_ms:
            raise InvalidParameterValue(
                "The parameter StartTime must be less than the parameter EndTime."
            )
        periods = math.ceil(
            (cmd.end_ms - origin(cmd.start_ms, cmd.period_s)) / (cmd.period_s * 1000)
        )
        if periods > MAX_STATISTIC_DATAPOINTS:
            raise InvalidParameterCombination(
                f"You have requested up to {periods:,} datapoints, which exceeds the limit of "
                "1,440. You may reduce the datapoints requested by increasing Period, or "
                "decreasing the time range."
            )
        if not period_serves(cmd.start_ms, cmd.period_s, int(time.time() * 1000)):
            return {"Label": cmd.key.name, "Datapoints": []}
        groups = await self.series(cmd.key, cmd.start_ms, cmd.end_ms, cmd.period_s, cmd.unit)
        points = []
        for ts, agg in sorted(groups.items()):
            point: dict[str, Any] = {"Timestamp": to_dt(ts), "Unit": cmd.unit or agg.unit}
            for stat in cmd.statistics:
                point[stat] = agg.statistic(stat)
            if cmd.extended:
                ext = {s: v for s in cmd.extended if (v := agg.statistic(s)) is not None}
                point["ExtendedStatistics"] = ext
            points.append(point)
        return {"Label": cmd.key.name, "Datapoints": points}

    # ---- GetMetricData

    async def evaluate(
        self, queries: tuple[DataQuery, ...], start_ms: int, end_ms: int
    ) -> dict[str, tuple[expressions.Value, list[int]]]:
        """Every query's result (series, array or scalar) and its period grid."""
        ids = [q.id for q in queries]
        if len(ids) > MAX_QUERIES:
            raise InvalidParameterValue(
                f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
            )
        if len(set(ids)) != len(ids):
            raise InvalidParameterValue(
                "The values for parameter Id in MetricDataQueries are not unique."
            )
        results: dict[str, tuple[expressions.Value, list[int]]] = {}
        metric_ids: list[str] = []
        labels: dict[str, str] = {}
        for q in queries:
            if (q.stat is None) == (q.expression is None):
                raise InvalidParameterCombination(
                    f"The parameter MetricDataQueries.member.{ids.index(q.id) + 1} must contain "
                    "exactly one of MetricStat or Expression."
                )
            if q.stat is not None:
                s: MetricStat = q.stat
                groups = await self.series(s.key, start_ms, end_ms, s.period_s, s.unit)
                pts = {
                    t: v for t, agg in groups.items() if (v := agg.statistic(s.stat)) is not None
                }
                label = q.label or s.key.name
                results[q.id] = (
                    expressions.Series(dict(sorted(pts.items())), label),
                    _grid(start_ms, end_ms, s.period_s),
                )
                metric_ids.append(q.id)
                labels[q.id] = label
        default_period = min((q.stat.period_s for q in queries if q.stat), default=60)
        parsed = {
            q.id: expressions.parse(q.expression) for q in queries if q.expression is not None
        }
        pending = [q for q in queries if q.expression is not None]
        # expressions may refer to each other: evaluate in dependency order
        while pending:
            progressed = False
            for q in list(pending):
                refs = expressions.references(parsed[q.id]) - {"*"}
                if not refs <= results.keys():
                    if not refs <= set(ids):
                        unknown = sorted(refs - set(ids))[0]
                        raise InvalidParameterValue(
                            f"Error in expression '{q.expression}': Unrecognized metric id: "
                            f"{unknown}"
                        )
                    continue
                grid = _grid(start_ms, end_ms, q.period_s or default_period)
                ctx = expressions.Context(
                    q.expression or "",
                    {k: v[0] for k, v in results.items()},
                    metric_ids,
                    grid,
                    labels,
                )
                results[q.id] = (expressions.evaluate(parsed[q.id], ctx), grid)
                pending.remove(q)
                progressed = True
            if not progressed:
                raise InvalidParameterValue(
                    "The expressions of MetricDataQueries refer to each other in a cycle."
                )
        return results

    async def get_data(self, cmd: GetMetricData) -> dict[str, Any]:
        if cmd.start_ms >= cmd.end_ms:
            raise InvalidParameterValue(
                "The parameter StartTime must be less than the parameter EndTime."
            )
        if not any(q.return_data for q in cmd.queries):
            raise InvalidParameterValue("At least one MetricDataQuery must have ReturnData true.")
        results = await self.evaluate(cmd.queries, cmd.start_ms, cmd.end_ms)
        rows: list[tuple[str, str, list[tuple[int, float]]]] = []
        for q in cmd.queries:
            if not q.return_data:
                continue
            value, grid = results[q.id]
            label = q.label or (q.stat.key.name if q.stat else q.id)
            if isinstance(value, list):
                for n, s in enumerate(value):
                    rows.append(
                        (q.id if n == 0 else f"{q.id}_{n}", s.label or label, _points(s, cmd))
                    )
            elif isinstance(value, expressions.Series):
                rows.append((q.id, label, _points(value, cmd)))
            else:  # a scalar: a constant over the query's grid
                series = expressions.Series(
                    {t: float(value) for t in grid} if math.isfinite(value) else {}
                )
                rows.append((q.id, label, _points(series, cmd)))
        skip = decode_token(cmd.next_token) if cmd.next_token else 0
        if not isinstance(skip, int) or skip < 0:
            raise InvalidNextToken("The service cannot return the next page: invalid token.")
        budget = cmd.max_datapoints
        position = 0
        out = []
        truncated = False
        for rid, label, points in rows:
            lo = max(0, skip - position)
            position += len(points)
            page = points[lo : lo + budget]
            budget -= len(page)
            if lo + len(page) < len(points):
                truncated = True
            out.append(
                {
                    "Id": rid,
                    "Label": label,
                    "Timestamps": [to_dt(t) for t, _ in page],
                    "Values": [v for _, v in page],
                    "StatusCode": "PartialData" if lo + len(page) < len(points) else "Complete",
                    "Messages": [],
                }
            )
        consumed = skip + cmd.max_datapoints - budget
        return {
            "MetricDataResults": out,
            "NextToken": encode_token(consumed) if truncated else None,
            "Messages": [],
        }

    # ---- ListMetrics

    async def list(self, cmd: ListMetrics) -> dict[str, Any]:
        now = int(time.time() * 1000)
        since = now - (THREE_HOURS_MS if cmd.recently_active else TWO_WEEKS_MS)
        found = await asyncio.to_thread(self.store.metrics, cmd.namespace, cmd.name, since)
        keys = [k for k, _ in found if _matches(k, cmd.dimension_filters)]
        start = decode_token(cmd.next_token) if cmd.next_token else 0
        if not isinstance(start, int) or start < 0:
            raise InvalidNextToken("The service cannot return the next page: invalid token.")
        page = keys[start : start + LIST_PAGE]
        more = start + LIST_PAGE < len(keys)
        return {
            "Metrics": [k.wire() for k in page],
            "NextToken": encode_token(start + LIST_PAGE) if more else None,
        }


def _matches(key: MetricKey, filters: tuple[tuple[str, str | None], ...]) -> bool:
    dims = dict(key.dimensions)
    for name, value in filters:
        if name not in dims or (value is not None and dims[name] != value):
            return False
    return True


def _grid(start_ms: int, end_ms: int, period_s: int) -> list[int]:
    p = period_s * 1000
    first = origin(start_ms, period_s)
    return list(range(first, end_ms, p))


def _points(s: expressions.Series, cmd: GetMetricData) -> list[tuple[int, float]]:
    pts = [(t, v) for t, v in s.points.items() if t < cmd.end_ms and math.isfinite(v)]
    pts.sort(reverse=cmd.descending)
    return pts
