"""The CloudWatch Logs service package's face to the front door."""

from __future__ import annotations

from ovis.logs.repository import LogRepository
from ovis.services.logs.operations import LogsApi
from ovis.services.table import ServiceTable


def logs_service(store: LogRepository) -> ServiceTable:
    return ServiceTable("logs", LogsApi(store).handlers)
