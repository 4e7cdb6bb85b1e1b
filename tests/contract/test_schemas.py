"""The Schemas registry's storage: registries and schemas created once per name, a schema only in
an existing registry, a new version per update with content (atomically, the latest moving on),
older versions kept, deletes cascading; what one storage commits another sees."""

from __future__ import annotations

from typing import Protocol, cast

from ovis.models.schema_registry import Registry, Schema, SchemaVersion
from ovis.services.schemas.repository import SchemaRepository
from tests.contract.conftest import Backend, Storage


class WithSchemas(Storage, Protocol):
    @property
    def schemas(self) -> SchemaRepository: ...


def repo(s: Storage) -> SchemaRepository:
    return cast(WithSchemas, s).schemas


def schema(name: str, content: str = '{"a": 1}', registry: str = "r") -> Schema:
    return Schema(registry, name, f"arn:{name}", "OpenApi3", content, 1, 1, None, {}, 100, 100)


def test_registries_and_schemas_are_created_once(storage: Storage, backend: Backend) -> None:
    r = repo(storage)
    assert not r.create_schema(schema("s"))  # no registry yet: nothing written
    assert r.create_registry(Registry("r", "arn:r", "d", {"k": "v"}))
    assert not r.create_registry(Registry("r", "arn:other"))
    assert r.create_schema(schema("s"))
    assert not r.create_schema(schema("s", '{"b": 2}'))
    other = backend.open()
    try:
        assert repo(other).registry("r") == Registry("r", "arn:r", "d", {"k": "v"})
        assert repo(other).schema("r", "s") == schema("s")
    finally:
        other.close()


def test_versions_move_on_with_content_only(storage: Storage) -> None:
    r = repo(storage)
    r.create_registry(Registry("r", "arn:r"))
    r.create_schema(schema("s", '{"v": 1}'))
    v2 = r.put_schema_version("r", "s", None, '{"v": 2}', None, 200)
    assert v2 is not None
    assert (v2.version, v2.version_count, v2.content, v2.version_created_ms) == (
        2,
        2,
        '{"v": 2}',
        200,
    )
    same = r.put_schema_version("r", "s", None, None, "described", 300)
    assert same is not None
    assert (same.version, same.description, same.modified_ms, same.version_created_ms) == (
        2,
        "described",
        300,
        200,
    )
    assert r.schema_version("r", "s", 1) == SchemaVersion(1, "OpenApi3", '{"v": 1}', 100)
    assert [v.version for v in r.schema_versions("r", "s")] == [1, 2]
    assert r.put_schema_version("r", "missing", None, "{}", None, 1) is None


def test_deletes_cascade(storage: Storage) -> None:
    r = repo(storage)
    r.create_registry(Registry("r", "arn:r"))
    r.create_registry(Registry("q", "arn:q"))
    r.create_schema(schema("b"))
    r.create_schema(schema("a"))
    r.put_schema_version("r", "a", None, '{"v": 2}', None, 200)
    assert [s.name for s in r.schemas("r")] == ["a", "b"]
    assert [x.name for x in r.registries()] == ["q", "r"]
    assert r.delete_schema("r", "a")
    assert not r.delete_schema("r", "a")
    assert r.schema_versions("r", "a") == []
    assert r.delete_registry("r")
    assert not r.delete_registry("r")
    assert r.schemas("r") == [] and r.schema("r", "b") is None
    r.create_registry(Registry("r", "arn:r"))
    r.create_schema(schema("b"))  # a name freed by a delete starts again at version 1
    assert [v.version for v in r.schema_versions("r", "b")] == [1]
