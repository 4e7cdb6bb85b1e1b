"""Log streams and subscription filters in storage: streams declared once, deleted with their
events; filters limited per group atomically, replaced keeping their cursor, cursors that only
move forward, everything of a group gone with its declaration; what one storage commits
another sees."""

from __future__ import annotations

from typing import cast

from ovis.models.log_event import LogEvent
from ovis.models.log_group import LogGroup
from ovis.models.log_subscription import SubscriptionFilter
from ovis.services.logs.repository import LogsStore
from tests.contract.conftest import Backend, Storage

ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


def _repo(storage: Storage) -> LogsStore:
    return cast(LogsStore, storage.log_groups)


def test_streams_are_declared_once_and_deleted_with_their_events(storage: Storage) -> None:
    repo = _repo(storage)
    assert repo.create_log_stream("/g", "b", 2)
    assert repo.create_log_stream("/g", "a", 1)
    assert not repo.create_log_stream("/g", "a", 5)
    assert repo.create_log_stream("/other", "a", 3)
    assert repo.declared_log_streams("/g") == [("a", 1), ("b", 2)]
    storage.logs.append_logs([LogEvent("/g", "a", 10, "x"), LogEvent("/g", "b", 11, "y")])
    assert repo.delete_log_stream("/g", "a")
    assert not repo.delete_log_stream("/g", "a")
    assert [e.message for e in storage.logs.filter_logs("/g", 0, 2**62, 0, 10)] == ["y"]
    assert repo.declared_log_streams("/g") == [("b", 2)]
    assert repo.declared_log_streams("/other") == [("a", 3)]


def test_filters_are_limited_replaced_and_their_cursor_moves_forward(
    storage: Storage, backend: Backend
) -> None:
    repo = _repo(storage)
    f1 = SubscriptionFilter("/g", "one", "ERROR", ARN, 1)
    assert repo.put_subscription_filter(f1, 7, 2)
    assert repo.put_subscription_filter(SubscriptionFilter("/g", "two", "", ARN, 2), 9, 2)
    assert not repo.put_subscription_filter(SubscriptionFilter("/g", "three", "", ARN, 3), 9, 2)
    replaced = SubscriptionFilter("/g", "one", "WARN", ARN, 1)
    assert repo.put_subscription_filter(replaced, 100, 2)  # replaces: the cursor stays 7
    assert repo.subscription_filters("/g") == [
        (replaced, 7),
        (SubscriptionFilter("/g", "two", "", ARN, 2), 9),
    ]
    repo.advance_subscription("/g", "one", 20)
    repo.advance_subscription("/g", "one", 15)  # never back
    other = backend.open()
    try:
        assert cast(LogsStore, other.log_groups).subscription_filters(None)[0] == (replaced, 20)
    finally:
        other.close()
    assert repo.delete_subscription_filter("/g", "two")
    assert not repo.delete_subscription_filter("/g", "two")


def test_a_groups_streams_and_filters_go_with_its_declaration(storage: Storage) -> None:
    repo = _repo(storage)
    repo.create_log_group(LogGroup("/g", 1))
    repo.create_log_stream("/g", "s", 1)
    repo.put_subscription_filter(SubscriptionFilter("/g", "f", "", ARN, 1), 0, 2)
    repo.put_subscription_filter(SubscriptionFilter("/h", "f", "", ARN, 1), 0, 2)
    assert repo.delete_log_group_declaration("/g")
    assert repo.declared_log_streams("/g") == []
    assert [f.group for f, _ in repo.subscription_filters(None)] == ["/h"]


def test_last_log_id_is_the_newest_event(storage: Storage) -> None:
    assert storage.logs.last_log_id() == 0
    storage.logs.append_logs([LogEvent("/g", "s", 1, "a"), LogEvent("/g", "s", 2, "b")])
    newest = storage.logs.filter_logs("/g", 0, 2**62, 0, 10)[-1].event_id
    assert storage.logs.last_log_id() == newest
