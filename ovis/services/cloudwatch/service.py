"""The CloudWatch (metrics and alarms) service package's face to the front door."""

from __future__ import annotations

from ovis.services.cloudwatch.alarms import AlarmService
from ovis.services.cloudwatch.metrics import MetricService
from ovis.services.cloudwatch.operations import CloudWatchApi
from ovis.services.table import ServiceTable


def cloudwatch_service(metrics: MetricService, alarms: AlarmService) -> ServiceTable:
    return ServiceTable("cloudwatch", CloudWatchApi(metrics, alarms).handlers)
