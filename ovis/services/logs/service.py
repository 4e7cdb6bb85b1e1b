"""The CloudWatch Logs service package's face to the front door."""

from __future__ import annotations

from ovis.logs.repository import LogRepository
from ovis.services.logs.operations import LogsApi
from ovis.services.logs.repository import LogGroupRepository
from ovis.services.table import ServiceTable


def logs_service(store: LogRepository, groups: LogGroupRepository) -> ServiceTable:
    return ServiceTable("logs", LogsApi(store, groups).handlers)
