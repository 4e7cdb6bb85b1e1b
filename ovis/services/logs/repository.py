"""What the Logs service stores about declared log groups, as a protocol it owns (implemented
by ``ovis.storage``). The log events themselves are ``ovis.logs.repository.LogRepository``'s.

Contract (whatever the backend): synchronous, thread-safe, durable on return, one row per
group so each write is all or nothing. ``create_log_group`` writes only when the name is free
(False otherwise); ``put_log_group`` replaces an existing declaration.
"""

from __future__ import annotations

from typing import Protocol

from ovis.models.log_group import LogGroup
from ovis.models.log_subscription import SubscriptionFilter


class LogGroupRepository(Protocol):
    def create_log_group(self, group: LogGroup) -> bool: ...

    def log_group(self, name: str) -> LogGroup | None: ...

    def declared_log_groups(self) -> list[LogGroup]: ...

    def put_log_group(self, group: LogGroup) -> None: ...

    def delete_log_group_declaration(self, name: str) -> bool: ...


class LogStreamRepository(Protocol):
    """Streams made by CreateLogStream (streams also exist through their events)."""

    def create_log_stream(self, group: str, name: str, created_ms: int) -> bool: ...

    def declared_log_streams(self, group: str) -> list[tuple[str, int]]: ...

    def delete_log_stream(self, group: str, name: str) -> bool: ...


class SubscriptionRepository(Protocol):
    """Subscription filters and their delivery cursors (the id of the last event handed to the
    destination). ``put_subscription_filter`` is atomic with its limit check."""

    def put_subscription_filter(self, f: SubscriptionFilter, cursor: int, limit: int) -> bool: ...

    def subscription_filters(
        self, group: str | None = None
    ) -> list[tuple[SubscriptionFilter, int]]: ...

    def advance_subscription(self, group: str, name: str, cursor: int) -> None: ...

    def delete_subscription_filter(self, group: str, name: str) -> bool: ...


class LogsStore(LogGroupRepository, LogStreamRepository, SubscriptionRepository, Protocol):
    """Everything the Logs service declares (one backend object implements it all)."""
