"""Logs (ordering, paging by id, groups, streams) and layer versions (numbering, deletion
flags, policies)."""

from __future__ import annotations

from tests.contract import values
from tests.contract.conftest import Backend, Storage

G = "/aws/lambda/f"


def test_logs_filter_page_and_summarise(backend: Backend, storage: Storage) -> None:
    logs = storage.logs
    logs.append_logs([])  # nothing to do
    logs.append_logs(
        [
            values.log_event(G, "s2", 3000, "c"),
            values.log_event(G, "s1", 1000, "a"),
            values.log_event(G, "s1", 2000, "b"),
            values.log_event("/aws/lambda/g", "s", 500, "other"),
        ]
    )
    other = backend.open().logs
    got = other.filter_logs(G, 0, 10_000, 0, 10)
    assert [e.message for e in got] == ["c", "a", "b"]  # insertion (id) order
    assert [e.event_id for e in got] == sorted(e.event_id for e in got)
    assert got[0].ingestion_time == 3001
    page = other.filter_logs(G, 0, 10_000, got[0].event_id, 1)
    assert [e.message for e in page] == ["a"]
    assert [e.message for e in other.filter_logs(G, 1500, 2500, 0, 10)] == ["b"]
    assert other.log_groups() == [("/aws/lambda/f", 1001), ("/aws/lambda/g", 501)]
    assert other.log_streams(G) == [("s1", 1000, 2000), ("s2", 3000, 3000)]
    logs.delete_log_group(G)
    assert other.filter_logs(G, 0, 10_000, 0, 10) == []
    assert [g for g, _ in other.log_groups()] == ["/aws/lambda/g"]


def test_layer_versions_are_numbered_per_layer_and_never_reused(
    backend: Backend, storage: Storage
) -> None:
    layers = storage.layers
    v1 = layers.publish_layer_version(values.layer("a", version=99))  # version is ignored
    assert v1.version == 1 and not v1.deleted
    assert layers.publish_layer_version(values.layer("a")).version == 2
    assert layers.publish_layer_version(values.layer("b", compatible_runtimes=None)).version == 1
    layers.delete_layer_version("a", 1)
    layers.delete_layer_version("a", 2)
    layers.delete_layer_version("a", 7)  # missing: no-op
    assert layers.publish_layer_version(values.layer("a")).version == 3

    other = backend.open().layers
    gone = other.get_layer_version("a", 1)
    assert gone is not None and gone.deleted
    assert gone.compatible_runtimes == ("python3.12",)
    b1 = other.get_layer_version("b", 1)
    assert b1 is not None and b1.compatible_runtimes is None
    assert [(v.name, v.version) for v in other.list_layer_versions()] == [("a", 3), ("b", 1)]
    assert [v.version for v in other.list_layer_versions("a")] == [3]
    assert other.get_layer_version("a", 9) is None


def test_layer_policies(backend: Backend, storage: Storage) -> None:
    layers = storage.layers
    layers.publish_layer_version(values.layer("a"))
    layers.publish_layer_version(values.layer("a"))
    stmts = [{"Sid": "2"}, {"Sid": "1"}]
    layers.put_layer_policy("a", 1, stmts, "r1")
    layers.put_layer_policy("a", 2, [{"Sid": "x"}], "r2")
    assert backend.open().layers.get_layer_policy("a", 1) == (stmts, "r1")
    layers.put_layer_policy("a", 2, [], "r3")  # no statements: removed
    assert layers.get_layer_policy("a", 2) is None
    layers.delete_layer_version("a", 1)  # deleting a version drops its policy
    assert backend.open().layers.get_layer_policy("a", 1) is None
