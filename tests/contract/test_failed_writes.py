"""A failed write stores nothing and leaves the store working (issue #10's defect: a failed
multi-statement write used to leave the connection inside a transaction, so every later
transactional write failed and single-statement writes were never committed)."""

from __future__ import annotations

import dataclasses

import pytest

from ovis.storage.errors import ConflictError
from tests.contract import values
from tests.contract.conftest import Backend, Storage

FAR = 10**15  # a "now" after everything


def _ids(storage: Storage) -> list[str]:
    return [e.event_id for e in storage.async_events.due_async(FAR, 100)]


def test_duplicate_event_raises_and_the_store_keeps_committing(
    backend: Backend, storage: Storage
) -> None:
    e = values.event("e1")
    storage.async_events.enqueue_async_many([e])
    with pytest.raises(ConflictError):
        storage.async_events.enqueue_async_many([e])
    with pytest.raises(ConflictError):  # a batch with one duplicate stores none of it
        storage.async_events.enqueue_async_many([values.event("e2"), e])

    # transactional writes still succeed...
    storage.async_events.enqueue_async_many([values.event("e3", received_ms=2000)])
    storage.tags.put_tags("arn:t", {"a": "1"})
    storage.functions.publish_version(values.function("g", "1"))
    # ...and so do single-statement writes, committed (another connection sees them)
    storage.functions.put_function(values.function("g"))
    storage.async_events.retry_async("e3", 1, 0)

    other = backend.open()
    assert _ids(other) == ["e1", "e3"]
    assert [e.attempts for e in other.async_events.due_async(FAR, 10)] == [0, 1]
    assert other.tags.get_tags("arn:t") == {"a": "1"}
    assert other.functions.get_function("g", "$LATEST") == values.function("g")
    assert other.functions.last_version("g") == 1


def test_publish_version_twice_changes_nothing(backend: Backend, storage: Storage) -> None:
    v1 = values.function("f", "1")
    storage.functions.publish_version(v1)
    with pytest.raises(ConflictError):
        storage.functions.publish_version(dataclasses.replace(v1, description="other"))
    other = backend.open()
    assert other.functions.get_function("f", "1") == v1
    assert other.functions.last_version("f") == 1
    storage.functions.publish_version(values.function("f", "2"))
    assert other.functions.last_version("f") == 2


def test_publish_version_failing_after_its_first_statement_rolls_back(
    backend: Backend, storage: Storage
) -> None:
    # the config row is written, then the counter update fails (a version that is no number)
    with pytest.raises(ValueError):
        storage.functions.publish_version(values.function("f", "not-a-number"))
    other = backend.open()
    assert other.functions.list_functions() == []
    assert other.functions.last_version("f") == 0
    storage.functions.publish_version(values.function("f", "1"))
    assert other.functions.last_version("f") == 1


def test_put_tags_is_all_or_nothing(backend: Backend, storage: Storage) -> None:
    storage.tags.put_tags("arn:t", {"keep": "1"})
    with pytest.raises(ConflictError):  # the second tag breaks NOT NULL after the first is in
        storage.tags.put_tags("arn:t", {"a": "1", "b": None})  # type: ignore[dict-item]
    other = backend.open()
    assert other.tags.get_tags("arn:t") == {"keep": "1"}
    storage.tags.put_tags("arn:t", {"a": "2"})
    assert other.tags.get_tags("arn:t") == {"a": "2", "keep": "1"}


def test_failed_layer_publish_does_not_use_a_version_number(
    backend: Backend, storage: Storage
) -> None:
    with pytest.raises(ConflictError):  # the counter advances, then the version row fails
        storage.layers.publish_layer_version(values.layer(digest=None))
    other = backend.open()
    assert other.layers.list_layer_versions("lay") == []
    assert storage.layers.publish_layer_version(values.layer()).version == 1
    assert [v.version for v in other.layers.list_layer_versions("lay")] == [1]


def test_failed_finish_batch_keeps_every_event_pending(backend: Backend, storage: Storage) -> None:
    storage.async_events.enqueue_async_many([values.event("e1"), values.event("e2")])
    bad = dataclasses.replace(values.result("e2"), record=None)  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        storage.async_events.finish_async_many(
            [("e1", values.result("e1"), None), ("e2", bad, None)]
        )
    other = backend.open()
    assert _ids(other) == ["e1", "e2"]
    assert other.async_events.async_results() == []
    storage.async_events.finish_async("e1", values.result("e1"))
    assert _ids(other) == ["e2"]


def test_failed_send_stores_no_message_and_no_sequence(backend: Backend, storage: Storage) -> None:
    storage.queues.sqs_put_queue(values.queue("q.fifo"))
    good = values.message("q.fifo", "m1", group_id="g")
    bad = dataclasses.replace(values.message("q.fifo", "m2", group_id="g"), body=None)  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        storage.queues.sqs_send("q.fifo", [good, bad], ["k1", "k2"], 10_000)
    other = backend.open()
    assert other.queues.sqs_counts("q.fifo", 5000) == (0, 0, 0)
    # neither the sequence number nor the deduplication key were used up
    assert storage.queues.sqs_send("q.fifo", [good], ["k1"], 10_000) == [("m1", 1)]
