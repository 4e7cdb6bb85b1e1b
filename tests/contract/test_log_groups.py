"""Declared log groups: created once per name, read back, replaced, deleted; what one storage
commits another sees."""

from __future__ import annotations

from ovis.models.log_group import LogGroup
from tests.contract.conftest import Backend, Storage


def test_a_name_is_declared_once(storage: Storage, backend: Backend) -> None:
    g = LogGroup("/tf/a", 1000, None, "STANDARD", {"k": "v"})
    assert storage.log_groups.create_log_group(g)
    assert not storage.log_groups.create_log_group(LogGroup("/tf/a", 2000))
    other = backend.open()
    try:
        assert other.log_groups.log_group("/tf/a") == g
    finally:
        other.close()


def test_put_replaces_and_delete_answers_whether_it_existed(storage: Storage) -> None:
    repo = storage.log_groups
    repo.create_log_group(LogGroup("/b", 1))
    repo.create_log_group(LogGroup("/a", 2))
    repo.put_log_group(LogGroup("/a", 2, 14, "INFREQUENT_ACCESS", {"x": "y"}))
    assert repo.log_group("/a") == LogGroup("/a", 2, 14, "INFREQUENT_ACCESS", {"x": "y"})
    repo.put_log_group(LogGroup("/missing", 3))  # an update never declares a group
    assert [g.name for g in repo.declared_log_groups()] == ["/a", "/b"]
    assert repo.delete_log_group_declaration("/a")
    assert not repo.delete_log_group_declaration("/a")
    assert repo.log_group("/a") is None
