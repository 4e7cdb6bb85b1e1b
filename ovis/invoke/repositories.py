"""What the invoke layer needs from storage: functions (the registry's backing store),
reserved and provisioned concurrency, and the durable async event queue.

Contract of every repository here (whatever the backend):
- Methods are synchronous (call them through ``asyncio.to_thread`` from the event loop),
  thread-safe, and durable on return: a write is committed before the method returns (that is
  what lets the API answer 202 for an async event).
- A multi-row write is all-or-nothing: when it raises, nothing of it was stored.
- Errors are ``ovis.storage.errors`` types: ``ConflictError`` when a write breaks a uniqueness
  rule (an event id accepted twice, a version published twice), ``StorageClosedError`` after
  the storage was closed, ``StorageError`` for anything else.
"""

from __future__ import annotations

from typing import Protocol

from ovis.models.async_event import AsyncEvent, AsyncResult, LedgerEntry
from ovis.models.function import FunctionConfig


class FunctionRepository(Protocol):
    """Function configurations per (name, version) and aliases (the JSON of models.alias.Alias).

    Version numbers are never reused: ``last_version`` only grows while the function exists.
    ``delete_function`` removes, atomically, the function's versions, counter and aliases and
    every setting keyed by its name (reserved and provisioned concurrency, event invoke and
    recursion configs, function URLs, resource policies); tags (keyed by ARN) are not included.
    """

    def put_function(self, cfg: FunctionConfig) -> None: ...
    def get_function(self, name: str, version: str) -> FunctionConfig | None: ...
    def list_functions(self) -> list[FunctionConfig]: ...
    def delete_function(self, name: str) -> None: ...
    def delete_version(self, name: str, version: str) -> None: ...
    def publish_version(self, cfg: FunctionConfig) -> None:
        """Store a new version and advance the counter to it; ConflictError if it exists."""
        ...

    def last_version(self, name: str) -> int: ...
    def put_alias(self, function: str, name: str, data: dict[str, object]) -> None: ...
    def delete_alias(self, function: str, name: str) -> None: ...
    def list_aliases(self) -> list[dict[str, object]]: ...


class ReservedConcurrencyRepository(Protocol):
    """Reserved concurrency per function; None removes it."""

    def reserved_concurrency(self) -> dict[str, int]: ...
    def put_reserved_concurrency(self, name: str, reserved: int | None) -> None: ...


class ProvisionedConcurrencyRepository(Protocol):
    """Provisioned concurrency per (function, qualifier): (function, qualifier, requested,
    last modified); a None ``requested`` removes it."""

    def provisioned_configs(self) -> list[tuple[str, str, int, str]]: ...
    def put_provisioned(
        self, function: str, qualifier: str, requested: int | None, last_modified: str = ""
    ) -> None: ...


class AsyncEventRepository(Protocol):
    """The durable async invocation queue, its results and the undeliverable ledger.

    ``enqueue_async_many``/``finish_async_many`` are group commits (one transaction per batch,
    all-or-nothing); an event id already queued raises ConflictError. ``due_async`` returns
    events due at ``now_ms``, earliest due first. Finishing an event removes it and stores its
    result and ledger entry (if any) in the same transaction.
    """

    def enqueue_async(self, event: AsyncEvent) -> None: ...
    def enqueue_async_many(self, events: list[AsyncEvent]) -> None: ...
    def due_async(self, now_ms: int, limit: int) -> list[AsyncEvent]: ...
    def pending_async(self) -> int: ...
    def async_backlog(self) -> list[tuple[str, int, int]]: ...  # (function, count, oldest ms)
    def finish_async(
        self, event_id: str, result: AsyncResult | None = None, ledger: LedgerEntry | None = None
    ) -> None: ...
    def finish_async_many(
        self, items: list[tuple[str, AsyncResult | None, LedgerEntry | None]]
    ) -> None: ...
    def retry_async(self, event_id: str, attempts: int, not_before_ms: int) -> None: ...
    def async_results(self, function: str | None = None) -> list[AsyncResult]: ...
    def ledger(self, due_ms: int | None = None) -> list[LedgerEntry]: ...
    def ledger_update(
        self, entry_id: str, attempts: int, next_attempt_ms: int, error: str
    ) -> None: ...
    def ledger_delivered(self, entry_id: str, result: AsyncResult) -> None: ...
