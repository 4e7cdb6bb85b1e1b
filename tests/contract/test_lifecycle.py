"""close(): idempotent, and afterwards every repository raises."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ovis.storage.errors import StorageClosedError
from tests.contract import values
from tests.contract.conftest import Backend, Storage


def _calls(s: Storage) -> list[Callable[[], object]]:
    """A read and a write (a transactional one where the repository has one) of each."""
    return [
        lambda: s.functions.list_functions(),
        lambda: s.functions.put_function(values.function()),
        lambda: s.functions.delete_function("f"),
        lambda: s.concurrency.reserved_concurrency(),
        lambda: s.concurrency.put_provisioned("f", "1", 1),
        lambda: s.tags.get_tags("arn:t"),
        lambda: s.tags.put_tags("arn:t", {"a": "1"}),
        lambda: s.logs.filter_logs("g", 0, 10, 0, 10),
        lambda: s.logs.append_logs([values.log_event()]),
        lambda: s.async_events.due_async(0, 1),
        lambda: s.async_events.enqueue_async(values.event()),
        lambda: s.event_invoke.recursion_configs(),
        lambda: s.event_invoke.put_event_invoke_config("f", "$LATEST", {}),
        lambda: s.layers.list_layer_versions(),
        lambda: s.layers.publish_layer_version(values.layer()),
        lambda: s.autoscaling.scalable_targets(),
        lambda: s.autoscaling.put_scalable_target("lambda", "r", "d", None),
        lambda: s.queues.sqs_queues(),
        lambda: s.queues.sqs_put_queue(values.queue()),
        lambda: s.queues.sqs_receive("q", 0, 1, 30, "n", False),
        lambda: s.urls.function_url_configs(),
        lambda: s.urls.put_function_url_config("f", "", {}),
        lambda: s.policies.function_policies(),
        lambda: s.policies.put_function_policy("f", "", [{"Sid": "a"}], "r"),
    ]


def test_close_is_idempotent_and_then_every_method_raises(storage: Storage) -> None:
    for call in _calls(storage):  # they all work while open
        call()
    storage.close()
    storage.close()
    for call in _calls(storage):
        with pytest.raises(StorageClosedError):
            call()


def test_closing_one_storage_leaves_another_on_the_same_database_open(
    backend: Backend, storage: Storage
) -> None:
    other = backend.open()
    storage.close()
    other.functions.put_function(values.function())
    assert other.functions.list_functions() == [values.function()]
