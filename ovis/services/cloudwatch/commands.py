"""CloudWatch's typed commands, built by the handlers from the validated request.

Times are epoch milliseconds (the codecs hand timestamps over as datetimes, epoch numbers or
ISO strings depending on the protocol; the handlers normalize them).
"""

from __future__ import annotations

from dataclasses import dataclass

from ovis.models.metric import Datum, MetricKey


@dataclass(frozen=True, slots=True)
class PutMetricData:
    data: tuple[Datum, ...]


@dataclass(frozen=True, slots=True)
class GetMetricStatistics:
    key: MetricKey
    start_ms: int
    end_ms: int
    period_s: int
    statistics: tuple[str, ...]
    extended: tuple[str, ...]
    unit: str | None


@dataclass(frozen=True, slots=True)
class MetricStat:
    key: MetricKey
    period_s: int
    stat: str
    unit: str | None


@dataclass(frozen=True, slots=True)
class DataQuery:
    id: str
    stat: MetricStat | None
    expression: str | None
    label: str | None
    return_data: bool
    period_s: int | None


@dataclass(frozen=True, slots=True)
class GetMetricData:
    queries: tuple[DataQuery, ...]
    start_ms: int
    end_ms: int
    descending: bool
    max_datapoints: int
    next_token: str | None


@dataclass(frozen=True, slots=True)
class ListMetrics:
    namespace: str | None
    name: str | None
    dimension_filters: tuple[tuple[str, str | None], ...]
    recently_active: bool
    next_token: str | None


@dataclass(frozen=True, slots=True)
class DescribeAlarms:
    names: tuple[str, ...]
    prefix: str | None
    state: str | None
    action_prefix: str | None
    max_records: int
    next_token: str | None
    types: tuple[str, ...]
    children_of: str | None = None  # ChildrenOfAlarmName: the alarms a composite's rule names
    parents_of: str | None = None  # ParentsOfAlarmName: the composites naming this alarm


@dataclass(frozen=True, slots=True)
class DescribeAlarmHistory:
    name: str | None
    item_type: str | None
    start_ms: int
    end_ms: int
    max_records: int
    next_token: str | None
    descending: bool
