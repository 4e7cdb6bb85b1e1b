"""Event source mappings: stored whole and durable, one per function and source, created with
their tags in one write and deleted with them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ovis.models.event_source_mapping import EventSourceMapping, MappingState
from ovis.storage.errors import ConflictError
from ovis.storage.sqlite import SqliteStorage
from ovis.storage.sqlite.engine import Engine
from ovis.storage.sqlite.migrate import migrate
from ovis.storage.sqlite.migrations import MIGRATIONS
from tests.contract.conftest import Backend, Storage

FN = "arn:aws:lambda:us-east-1:000000000000:function:fn"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"
STREAM = "arn:aws:kinesis:us-east-1:000000000000:stream/s"


def arn(uuid: str) -> str:
    return f"arn:aws:lambda:us-east-1:000000000000:event-source-mapping:{uuid}"


def mapping(uuid: str = "00000000-0000-0000-0000-000000000001", **kw: object) -> EventSourceMapping:
    m = EventSourceMapping(uuid, FN, QUEUE, 10, 0, MappingState.CREATING, True, 1700000000.5)
    return dataclasses.replace(m, **kw)  # type: ignore[arg-type]


def test_every_field_round_trips(backend: Backend, storage: Storage) -> None:
    full = mapping(
        event_source_arn=STREAM,
        batch_size=100,
        starting_position="AT_TIMESTAMP",
        starting_position_timestamp=1700000000.25,
        parallelization_factor=3,
        maximum_record_age_s=60,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=-1,
        tumbling_window_s=30,
        on_failure_destination=QUEUE,
        filter_patterns=('{"data": {"a": [1]}}',),
        function_response_types=("ReportBatchItemFailures",),
        scaling_maximum_concurrency=None,
        metrics=("EventCount",),
        kms_key_arn="arn:aws:kms:us-east-1:000000000000:key/k",
        last_processing_result="OK",
        extra={"future": "field"},
    )
    storage.event_source_mappings.esm_insert(full, arn(full.uuid), {})
    other = backend.open().event_source_mappings  # what was committed
    assert other.esm_get(full.uuid) == full
    assert other.esm_mappings() == [full]
    assert other.esm_get("00000000-0000-0000-0000-00000000000f") is None


def test_put_replaces_and_never_resurrects(backend: Backend, storage: Storage) -> None:
    repo = storage.event_source_mappings
    m = mapping()
    repo.esm_insert(m, arn(m.uuid), {})
    enabled = dataclasses.replace(m, state=MappingState.ENABLED, batch_size=5)
    repo.esm_put(enabled)
    assert backend.open().event_source_mappings.esm_get(m.uuid) == enabled
    repo.esm_delete(m.uuid, arn(m.uuid))
    repo.esm_put(enabled)  # the runner's late write after a delete
    assert backend.open().event_source_mappings.esm_mappings() == []


def test_one_mapping_per_function_and_source(storage: Storage) -> None:
    repo = storage.event_source_mappings
    first = mapping()
    repo.esm_insert(first, arn(first.uuid), {})
    twin = mapping("00000000-0000-0000-0000-000000000002")
    with pytest.raises(ConflictError):
        repo.esm_insert(twin, arn(twin.uuid), {"k": "v"})
    with pytest.raises(ConflictError):  # the same UUID again
        repo.esm_insert(dataclasses.replace(first, event_source_arn=STREAM), arn(first.uuid), {})
    assert storage.tags.get_tags(arn(twin.uuid)) == {}  # nothing of the refused insert
    alias = mapping("00000000-0000-0000-0000-000000000003", function_arn=FN + ":live")
    repo.esm_insert(alias, arn(alias.uuid), {})  # another qualifier is another function ARN
    assert [m.uuid for m in repo.esm_mappings()] == [first.uuid, alias.uuid]


def test_tags_are_written_and_deleted_with_the_mapping(backend: Backend, storage: Storage) -> None:
    repo = storage.event_source_mappings
    m = mapping()
    repo.esm_insert(m, arn(m.uuid), {"team": "a", "env": "dev"})
    assert backend.open().tags.get_tags(arn(m.uuid)) == {"env": "dev", "team": "a"}
    repo.esm_delete(m.uuid, arn(m.uuid))
    other = backend.open()
    assert other.tags.get_tags(arn(m.uuid)) == {}
    assert other.event_source_mappings.esm_get(m.uuid) is None
    repo.esm_delete(m.uuid, arn(m.uuid))  # deleting what is gone is a no-op


def test_migration_4_adds_mappings_to_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = Engine(path)
    migrate(engine, tuple(m for m in MIGRATIONS if m.version < 4))  # as a server before ESMs
    engine.write("INSERT INTO tags (arn, key, value) VALUES ('arn:x', 'k', 'v')")
    engine.close()
    storage = SqliteStorage(path)
    try:
        assert storage.schema_version >= 4
        m = mapping()
        storage.event_source_mappings.esm_insert(m, arn(m.uuid), {})
        assert storage.event_source_mappings.esm_mappings() == [m]
        assert storage.tags.get_tags("arn:x") == {"k": "v"}
    finally:
        storage.close()
