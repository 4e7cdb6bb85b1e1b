"""The Store protocol: everything Ovis persists apart from code blobs.

Contract for every implementation:
- Methods are synchronous, thread-safe, and durable on return (a write is committed before the
  method returns; that is what lets the API answer 202 for an async event).
- Values go in and out as models (FunctionConfig) or plain JSON-able data; no ORM objects escape.
- After ``close()`` every method raises; ``close()`` is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ovis.models.function import FunctionConfig
from ovis.models.layer import LayerVersion


@dataclass(frozen=True)
class LogEvent:
    group: str
    stream: str
    timestamp: int  # ms since the epoch
    message: str
    event_id: int = 0
    ingestion_time: int = 0


@dataclass(frozen=True)
class AsyncEvent:
    event_id: str
    function: str
    qualifier: str
    payload: bytes
    received_ms: int
    attempts: int = 0
    not_before_ms: int = 0
    hops: int = 0  # how many async invocations led to this one (recursion detection)


@dataclass(frozen=True)
class AsyncResult:
    """Where an async event ended: a success or failure record and the destination it reached
    (None: kept only here, e.g. a success without an OnSuccess destination)."""

    event_id: str
    function: str
    outcome: str  # "success" | "failure"
    condition: str  # Success, RetriesExhausted, EventAgeExceeded, ...
    destination: str | None
    record: str  # the invocation record (JSON)
    finished_ms: int


@dataclass(frozen=True)
class LedgerEntry:
    """A record or DLQ message that could not be delivered yet; retried until it is."""

    entry_id: str
    event_id: str
    function: str
    kind: str  # "destination" | "dlq"
    destination: str
    body: str
    attributes: str  # JSON of SQS message attributes (DLQ messages)
    error: str
    attempts: int
    next_attempt_ms: int
    created_ms: int


class Store(Protocol):
    # functions
    def put_function(self, cfg: FunctionConfig) -> None: ...
    def get_function(self, name: str, version: str) -> FunctionConfig | None: ...
    def list_functions(self) -> list[FunctionConfig]: ...
    def delete_function(self, name: str) -> None: ...
    def delete_version(self, name: str, version: str) -> None: ...
    def publish_version(self, cfg: FunctionConfig) -> None: ...
    def last_version(self, name: str) -> int: ...

    # aliases (stored as the JSON of models.alias.Alias)
    def put_alias(self, function: str, name: str, data: dict[str, object]) -> None: ...
    def delete_alias(self, function: str, name: str) -> None: ...
    def list_aliases(self) -> list[dict[str, object]]: ...

    # provisioned concurrency per (function, qualifier): (function, qualifier, requested, modified)
    def provisioned_configs(self) -> list[tuple[str, str, int, str]]: ...
    def put_provisioned(
        self, function: str, qualifier: str, requested: int | None, last_modified: str = ""
    ) -> None: ...

    # reserved concurrency per function (None removes it)
    def reserved_concurrency(self) -> dict[str, int]: ...
    def put_reserved_concurrency(self, name: str, reserved: int | None) -> None: ...

    # tags, keyed by resource ARN
    def get_tags(self, arn: str) -> dict[str, str]: ...
    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...
    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None: ...

    # logs
    def append_logs(self, events: Iterable[LogEvent]) -> None: ...
    def filter_logs(
        self, group: str, start_ms: int, end_ms: int, after_id: int, limit: int
    ) -> list[LogEvent]: ...
    def log_groups(self) -> list[tuple[str, int]]: ...
    def log_streams(self, group: str) -> list[tuple[str, int, int]]: ...
    def delete_log_group(self, group: str) -> None: ...

    # durable async invocation queue
    def enqueue_async(self, event: AsyncEvent) -> None: ...
    def due_async(self, now_ms: int, limit: int) -> list[AsyncEvent]: ...
    def finish_async(
        self, event_id: str, result: AsyncResult | None = None, ledger: LedgerEntry | None = None
    ) -> None: ...
    def enqueue_async_many(self, events: list[AsyncEvent]) -> None: ...
    def finish_async_many(
        self, items: list[tuple[str, AsyncResult | None, LedgerEntry | None]]
    ) -> None: ...
    def pending_async(self) -> int: ...
    def async_results(self, function: str | None = None) -> list[AsyncResult]: ...
    def ledger(self, due_ms: int | None = None) -> list[LedgerEntry]: ...
    def ledger_update(
        self, entry_id: str, attempts: int, next_attempt_ms: int, error: str
    ) -> None: ...
    def ledger_delivered(self, entry_id: str, result: AsyncResult) -> None: ...

    # event invoke configs (per function and qualifier) and recursion configs
    def event_invoke_configs(self) -> list[tuple[str, str, dict[str, object]]]: ...
    def put_event_invoke_config(
        self, function: str, qualifier: str, data: dict[str, object] | None
    ) -> None: ...
    def recursion_configs(self) -> dict[str, str]: ...
    def put_recursion_config(self, function: str, mode: str) -> None: ...
    def retry_async(self, event_id: str, attempts: int, not_before_ms: int) -> None: ...

    def close(self) -> None: ...

    # layers (versions are numbered per layer, never reused; deletion only flags a version)
    def publish_layer_version(self, v: LayerVersion) -> LayerVersion: ...
    def get_layer_version(self, name: str, version: int) -> LayerVersion | None: ...
    def list_layer_versions(self, name: str | None = None) -> list[LayerVersion]: ...
    def delete_layer_version(self, name: str, version: int) -> None: ...
    def get_layer_policy(self, name: str, version: int) -> tuple[list[dict], str] | None: ...
    def put_layer_policy(
        self, name: str, version: int, statements: list[dict], revision_id: str
    ) -> None: ...

    # application auto scaling (stored as the JSON of the API shapes); a None ``data`` deletes,
    # and deleting a target deletes its policies
    def scalable_targets(self) -> list[dict[str, object]]: ...
    def put_scalable_target(
        self, namespace: str, resource_id: str, dimension: str, data: dict[str, object] | None
    ) -> None: ...
    def scaling_policies(self) -> list[dict[str, object]]: ...
    def put_scaling_policy(
        self,
        namespace: str,
        resource_id: str,
        dimension: str,
        name: str,
        data: dict[str, object] | None,
    ) -> None: ...

    # SQS-compatible queues (ovis.services.sqs): every write is one transaction, durable on return
    def sqs_queues(self) -> list[QueueRecord]: ...
    def sqs_put_queue(self, queue: QueueRecord) -> None: ...
    def sqs_delete_queue(self, name: str) -> None: ...
    def sqs_send(
        self, queue: str, messages: list[QueueMessage], dedup_keys: list[str], dedup_until_ms: int
    ) -> list[tuple[str, int]] | None: ...
    def sqs_receive(
        self,
        queue: str,
        now_ms: int,
        limit: int,
        visible_ms: int,
        nonce: str,
        fifo: bool,
        max_receives: int = 0,
        dead_letter: str = "",
        dead_letter_system: str = "",
    ) -> QueueReceive: ...
    def sqs_delete_messages(self, queue: str, handles: list[tuple[int, str]]) -> list[bool]: ...
    def sqs_change_visibility(
        self, queue: str, changes: list[tuple[int, str, int]], now_ms: int
    ) -> list[str]: ...
    def sqs_purge(self, queue: str) -> None: ...
    def sqs_counts(self, queue: str, now_ms: int) -> tuple[int, int, int]: ...
    def sqs_expire(self, cutoffs: dict[str, int], now_ms: int) -> int: ...

    # function URLs (the JSON of control.urls.UrlConfig; None deletes) and function resource
    # policies (statements in order, no statements deletes), per (function, qualifier), where
    # qualifier "" is the unqualified function; delete_function drops both
    def function_url_configs(self) -> list[dict[str, object]]: ...
    def put_function_url_config(
        self, function: str, qualifier: str, data: dict[str, object] | None
    ) -> None: ...
    def function_policies(self) -> list[tuple[str, str, list[dict], str]]: ...
    def put_function_policy(
        self, function: str, qualifier: str, statements: list[dict], revision_id: str
    ) -> None: ...


# --- SQS-compatible queues (ovis.services.sqs) ---


@dataclass(frozen=True)
class QueueRecord:
    """A queue's identity and its settable attributes (normalized strings, as SQS shows them)."""

    name: str
    attributes: dict[str, str]
    created_s: int
    modified_s: int


@dataclass(frozen=True)
class QueueMessage:
    """One stored message. ``row`` orders arrival; ``visible_ms`` is when it may next be
    received (send time + delay, or receive time + visibility timeout); ``receipt`` is the nonce
    of its latest receive ("" while never received, or after a move to a dead-letter queue)."""

    queue: str
    message_id: str
    body: str
    attributes: str  # JSON of the message attributes (opaque to the store)
    system: str  # JSON of extra system attributes (AWSTraceHeader, DeadLetterQueueSourceArn)
    sent_ms: int
    visible_ms: int
    group_id: str = ""
    dedup_id: str = ""
    row: int = 0
    receive_count: int = 0
    first_receive_ms: int = 0
    receipt: str = ""
    sequence: int = 0  # FIFO sequence counter (0 on standard queues)


@dataclass(frozen=True)
class QueueReceive:
    """What one receive took: the delivered messages (already marked in flight), how many were
    moved to the dead-letter queue instead, and when the next hidden message becomes visible."""

    messages: list[QueueMessage]
    moved: int
    next_visible_ms: int | None
