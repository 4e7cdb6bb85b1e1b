"""Values of the durable async invocation queue: an accepted event, where it ended, and the
ledger of records and dead-letter messages that could not be delivered yet."""

from __future__ import annotations

from dataclasses import dataclass


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
