"""The CloudWatch Logs service package's face to the front door."""

from __future__ import annotations

from collections.abc import Callable

from ovis.logs.repository import LogRepository
from ovis.services.logs.operations import LogsApi
from ovis.services.logs.repository import LogsStore
from ovis.services.logs.subscriptions import FunctionTarget
from ovis.services.table import ServiceTable


def logs_service(
    store: LogRepository,
    groups: LogsStore,
    functions: FunctionTarget | None = None,
    notify: Callable[[], None] | None = None,
) -> ServiceTable:
    """``functions`` starts subscription filters' destinations (None: every destination is
    refused); ``notify`` wakes the delivery loop (``delivery.SubscriptionDelivery.notify``)."""
    return ServiceTable("logs", LogsApi(store, groups, functions, notify).handlers)
