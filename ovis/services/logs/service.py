"""The CloudWatch Logs service package's face to the front door."""

from __future__ import annotations

from ovis.services.logs.operations import LogsApi
from ovis.services.table import ServiceTable
from ovis.storage.store import Store


def logs_service(store: Store) -> ServiceTable:
    return ServiceTable("logs", LogsApi(store).handlers)
