"""What the Logs service stores about declared log groups, as a protocol it owns (implemented
by ``ovis.storage``). The log events themselves are ``ovis.logs.repository.LogRepository``'s.

Contract (whatever the backend): synchronous, thread-safe, durable on return, one row per
group so each write is all or nothing. ``create_log_group`` writes only when the name is free
(False otherwise); ``put_log_group`` replaces an existing declaration.
"""

from __future__ import annotations

from typing import Protocol

from ovis.models.log_group import LogGroup


class LogGroupRepository(Protocol):
    def create_log_group(self, group: LogGroup) -> bool: ...

    def log_group(self, name: str) -> LogGroup | None: ...

    def declared_log_groups(self) -> list[LogGroup]: ...

    def put_log_group(self, group: LogGroup) -> None: ...

    def delete_log_group_declaration(self, name: str) -> bool: ...
