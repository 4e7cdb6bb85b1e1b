"""Tags, event invoke and recursion configs, function URLs and resource policies, auto scaling:
keyed settings where None (or no statements) deletes."""

from __future__ import annotations

from tests.contract.conftest import Backend, Storage


def test_tags_merge_overwrite_and_delete(backend: Backend, storage: Storage) -> None:
    t = storage.tags
    t.put_tags("arn:a", {"b": "1", "a": "1"})
    t.put_tags("arn:a", {"b": "2", "c": "3"})
    t.put_tags("arn:other", {"x": "y"})
    assert list(backend.open().tags.get_tags("arn:a").items()) == [
        ("a", "1"),
        ("b", "2"),
        ("c", "3"),
    ]
    t.delete_tags("arn:a", ["a", "missing"])
    assert t.get_tags("arn:a") == {"b": "2", "c": "3"}
    t.delete_tags("arn:a")
    assert t.get_tags("arn:a") == {}
    assert t.get_tags("arn:other") == {"x": "y"}


def test_event_invoke_and_recursion_configs(backend: Backend, storage: Storage) -> None:
    e = storage.event_invoke
    e.put_event_invoke_config("f", "$LATEST", {"max_retries": 1})
    e.put_event_invoke_config("f", "$LATEST", {"max_retries": 2})
    e.put_event_invoke_config("f", "live", {"max_retries": 0})
    e.put_event_invoke_config("f", "live", None)
    e.put_recursion_config("f", "Allow")
    e.put_recursion_config("f", "Terminate")
    other = backend.open().event_invoke
    assert other.event_invoke_configs() == [("f", "$LATEST", {"max_retries": 2})]
    assert other.recursion_configs() == {"f": "Terminate"}


def test_function_urls_and_policies(backend: Backend, storage: Storage) -> None:
    storage.urls.put_function_url_config("f", "", {"auth": "NONE"})
    storage.urls.put_function_url_config("f", "live", {"auth": "AWS_IAM"})
    storage.urls.put_function_url_config("f", "live", None)
    stmts = [{"Sid": "b"}, {"Sid": "a"}]  # order is kept
    storage.policies.put_function_policy("f", "", stmts, "r1")
    storage.policies.put_function_policy("f", "1", [{"Sid": "x"}], "r2")
    storage.policies.put_function_policy("f", "1", [], "r3")  # no statements: removed
    other = backend.open()
    assert other.urls.function_url_configs() == [{"auth": "NONE"}]
    assert other.policies.function_policies() == [("f", "", stmts, "r1")]


def test_deleting_a_scalable_target_deletes_its_policies(
    backend: Backend, storage: Storage
) -> None:
    a = storage.autoscaling
    t1 = ("lambda", "function:f:1", "lambda:function:ProvisionedConcurrency")
    t2 = ("lambda", "function:g:1", "lambda:function:ProvisionedConcurrency")
    a.put_scalable_target(*t1, {"ResourceId": "f"})
    a.put_scalable_target(*t2, {"ResourceId": "g"})
    a.put_scaling_policy(*t1, "p1", {"PolicyName": "p1"})
    a.put_scaling_policy(*t1, "p2", {"PolicyName": "p2"})
    a.put_scaling_policy(*t2, "p1", {"PolicyName": "g-p1"})
    a.put_scaling_policy(*t1, "p2", None)
    assert sorted(str(p["PolicyName"]) for p in a.scaling_policies()) == ["g-p1", "p1"]
    a.put_scalable_target(*t1, None)
    other = backend.open().autoscaling
    assert other.scalable_targets() == [{"ResourceId": "g"}]
    assert other.scaling_policies() == [{"PolicyName": "g-p1"}]
