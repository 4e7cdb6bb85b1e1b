"""Functions, versions and aliases; delete_function's cascade; concurrency settings."""

from __future__ import annotations

import dataclasses

from tests.contract import values
from tests.contract.conftest import Backend, Storage


def test_put_get_list_round_trip(storage: Storage) -> None:
    fns = storage.functions
    b = values.function("b", environment={"K": "V"}, layers=("arn:l:1",), extra={"x": [1]})
    fns.put_function(b)
    fns.put_function(values.function("a"))
    fns.put_function(values.function("a", "1"))
    assert fns.get_function("b", "$LATEST") == b
    assert fns.get_function("b", "1") is None
    assert [(c.name, c.version) for c in fns.list_functions()] == [
        ("a", "$LATEST"),
        ("a", "1"),
        ("b", "$LATEST"),
    ]
    changed = dataclasses.replace(b, description="new")
    fns.put_function(changed)  # replaces
    assert fns.get_function("b", "$LATEST") == changed


def test_version_numbers_are_never_reused(backend: Backend, storage: Storage) -> None:
    fns = storage.functions
    assert fns.last_version("f") == 0
    fns.publish_version(values.function("f", "1"))
    fns.publish_version(values.function("f", "2"))
    fns.delete_version("f", "2")
    assert fns.get_function("f", "2") is None
    assert fns.last_version("f") == 2  # the counter survives the deletion
    assert backend.open().functions.last_version("f") == 2


def test_aliases_round_trip(storage: Storage) -> None:
    fns = storage.functions
    fns.put_alias("f", "live", {"function": "f", "name": "live", "version": "1"})
    fns.put_alias("f", "live", {"function": "f", "name": "live", "version": "2"})
    fns.put_alias("g", "live", {"function": "g", "name": "live", "version": "1"})
    assert sorted((d["function"], d["version"]) for d in fns.list_aliases()) == [
        ("f", "2"),
        ("g", "1"),
    ]
    fns.delete_alias("f", "live")
    fns.delete_alias("f", "missing")  # no-op
    assert [d["function"] for d in fns.list_aliases()] == ["g"]


def test_delete_function_removes_everything_keyed_by_its_name(
    backend: Backend, storage: Storage
) -> None:
    s = storage
    for name in ("f", "other"):
        s.functions.put_function(values.function(name))
        s.functions.publish_version(values.function(name, "1"))
        s.functions.put_alias(name, "live", {"function": name, "name": "live", "version": "1"})
        s.concurrency.put_reserved_concurrency(name, 5)
        s.concurrency.put_provisioned(name, "1", 2, "now")
        s.event_invoke.put_event_invoke_config(name, "$LATEST", {"function": name})
        s.event_invoke.put_recursion_config(name, "Allow")
        s.urls.put_function_url_config(name, "", {"function": name})
        s.policies.put_function_policy(name, "", [{"Sid": "a"}], "rev")
        s.tags.put_tags(f"arn:{name}", {"k": "v"})
    s.functions.delete_function("f")

    other = backend.open()
    assert {c.name for c in other.functions.list_functions()} == {"other"}
    assert other.functions.last_version("f") == 0
    assert [d["function"] for d in other.functions.list_aliases()] == ["other"]
    assert other.concurrency.reserved_concurrency() == {"other": 5}
    assert other.concurrency.provisioned_configs() == [("other", "1", 2, "now")]
    assert [f for f, _q, _d in other.event_invoke.event_invoke_configs()] == ["other"]
    assert other.event_invoke.recursion_configs() == {"other": "Allow"}
    assert other.urls.function_url_configs() == [{"function": "other"}]
    assert [p[0] for p in other.policies.function_policies()] == ["other"]
    # tags are keyed by ARN and deleted by the caller, as always
    assert other.tags.get_tags("arn:f") == {"k": "v"}


def test_reserved_and_provisioned_concurrency(backend: Backend, storage: Storage) -> None:
    c = storage.concurrency
    c.put_reserved_concurrency("f", 10)
    c.put_reserved_concurrency("f", 3)
    c.put_reserved_concurrency("g", 1)
    c.put_reserved_concurrency("g", None)
    c.put_reserved_concurrency("missing", None)  # no-op
    c.put_provisioned("f", "1", 4, "t1")
    c.put_provisioned("f", "live", 2)
    c.put_provisioned("f", "live", None)
    other = backend.open().concurrency
    assert other.reserved_concurrency() == {"f": 3}
    assert other.provisioned_configs() == [("f", "1", 4, "t1")]
