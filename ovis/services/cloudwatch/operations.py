"""CloudWatch's operation table: each handler turns validated input members (any of the three
protocols) into a command or use-case call and returns the output members."""

from __future__ import annotations

import time
from typing import Any

from ovis.models.metric import MetricKey, dimensions
from ovis.services.cloudwatch.alarms import AlarmService, query
from ovis.services.cloudwatch.commands import (
    DescribeAlarmHistory,
    DescribeAlarms,
    GetMetricData,
    GetMetricStatistics,
    ListMetrics,
)
from ovis.services.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from ovis.services.cloudwatch.metrics import MetricService
from ovis.services.cloudwatch.params import epoch_ms, metric_data, period
from ovis.services.cloudwatch.statistics import is_percentile
from ovis.services.context import Handler, RequestContext

MAX_STATISTICS = 5  # Statistics and ExtendedStatistics together (AWS)
DEFAULT_MAX_DATAPOINTS = 100_800


class CloudWatchApi:
    def __init__(self, metrics: MetricService, alarms: AlarmService) -> None:
        self.metrics = metrics
        self.alarms = alarms
        self.handlers: dict[str, Handler] = {
            "PutMetricData": self.put_metric_data,
            "GetMetricStatistics": self.get_metric_statistics,
            "GetMetricData": self.get_metric_data,
            "ListMetrics": self.list_metrics,
            "PutMetricAlarm": self.put_metric_alarm,
            "PutCompositeAlarm": self.put_composite_alarm,
            "DescribeAlarms": self.describe_alarms,
            "DescribeAlarmsForMetric": self.describe_alarms_for_metric,
            "DeleteAlarms": self.delete_alarms,
            "SetAlarmState": self.set_alarm_state,
            "DescribeAlarmHistory": self.describe_alarm_history,
            "EnableAlarmActions": self.enable_alarm_actions,
            "DisableAlarmActions": self.disable_alarm_actions,
        }

    async def put_metric_data(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("MetricData"):
            raise MissingParameter("The parameter MetricData is required.")
        await self.metrics.put(metric_data(p["Namespace"], p["MetricData"]))
        return {}

    async def get_metric_statistics(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        stats = tuple(p.get("Statistics") or ())
        extended = tuple(p.get("ExtendedStatistics") or ())
        if not stats and not extended:
            raise MissingParameter("Must specify either Statistics or ExtendedStatistics.")
        if len(stats) + len(extended) > MAX_STATISTICS:
            raise InvalidParameterCombination(
                "The collections Statistics and ExtendedStatistics combined must not have more "
                f"than {MAX_STATISTICS} items."
            )
        for s in extended:
            if not is_percentile(s):
                raise InvalidParameterValue(
                    f"The value {s} for parameter ExtendedStatistics is not supported."
                )
        cmd = GetMetricStatistics(
            MetricKey(p["Namespace"], p["MetricName"], dimensions(p.get("Dimensions"))),
            epoch_ms(p["StartTime"], "StartTime"),
            epoch_ms(p["EndTime"], "EndTime"),
            period(p["Period"]),
            stats,
            extended,
            p.get("Unit"),
        )
        return await self.metrics.get_statistics(cmd)

    async def get_metric_data(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        queries = tuple(query(q, i) for i, q in enumerate(p["MetricDataQueries"], 1))
        cmd = GetMetricData(
            queries,
            epoch_ms(p["StartTime"], "StartTime"),
            epoch_ms(p["EndTime"], "EndTime"),
            p.get("ScanBy", "TimestampDescending") == "TimestampDescending",
            int(p.get("MaxDatapoints") or DEFAULT_MAX_DATAPOINTS),
            p.get("NextToken"),
        )
        return await self.metrics.get_data(cmd)

    async def list_metrics(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = ListMetrics(
            p.get("Namespace"),
            p.get("MetricName"),
            tuple((d["Name"], d.get("Value")) for d in p.get("Dimensions") or ()),
            p.get("RecentlyActive") == "PT3H",
            p.get("NextToken"),
        )
        return await self.metrics.list(cmd)

    async def put_metric_alarm(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.alarms.put(p)
        return {}

    async def put_composite_alarm(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.alarms.put_composite(p)
        return {}

    async def describe_alarms(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = DescribeAlarms(
            tuple(p.get("AlarmNames") or ()),
            p.get("AlarmNamePrefix"),
            p.get("StateValue"),
            p.get("ActionPrefix"),
            int(p.get("MaxRecords") or 50),
            p.get("NextToken"),
            tuple(p.get("AlarmTypes") or ()),
            p.get("ChildrenOfAlarmName"),
            p.get("ParentsOfAlarmName"),
        )
        return await self.alarms.describe(cmd)

    async def describe_alarms_for_metric(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        return {"MetricAlarms": await self.alarms.for_metric(p)}

    async def delete_alarms(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.alarms.delete(list(p["AlarmNames"]))
        return {}

    async def set_alarm_state(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.alarms.set_state(
            p["AlarmName"], p["StateValue"], p["StateReason"], p.get("StateReasonData")
        )
        return {}

    async def describe_alarm_history(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        now = int(time.time() * 1000)
        cmd = DescribeAlarmHistory(
            p.get("AlarmName"),
            p.get("HistoryItemType"),
            epoch_ms(p["StartDate"], "StartDate") if "StartDate" in p else 0,
            epoch_ms(p["EndDate"], "EndDate") if "EndDate" in p else now + 1,
            int(p.get("MaxRecords") or 100),
            p.get("NextToken"),
            p.get("ScanBy", "TimestampDescending") == "TimestampDescending",
        )
        return await self.alarms.history(cmd)

    async def enable_alarm_actions(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.alarms.set_actions(list(p["AlarmNames"]), True)
        return {}

    async def disable_alarm_actions(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.alarms.set_actions(list(p["AlarmNames"]), False)
        return {}
