"""S3 metadata storage: buckets, objects, multipart uploads and the notification outbox."""

from __future__ import annotations

import pytest

from ovis.models.s3 import Bucket, ObjectRecord, Part, Upload
from tests.contract.conftest import Backend, Storage


def _obj(key: str, blob: str, bucket: str = "b", **kw: object) -> ObjectRecord:
    return ObjectRecord(bucket, key, blob, 3, '"etag"', 1000, **kw)  # type: ignore[arg-type]


def _bucket(s: Storage, name: str = "b") -> None:
    assert s.s3.create_bucket(Bucket(name, "us-east-1", 1))


def test_buckets_are_unique_and_deleted_only_when_empty(storage: Storage) -> None:
    _bucket(storage)
    assert not storage.s3.create_bucket(Bucket("b", "eu-west-1", 2))
    assert storage.s3.bucket("b") == Bucket("b", "us-east-1", 1)
    storage.s3.put_object(_obj("k", "blob1"), [])
    assert storage.s3.delete_bucket("b") == "not-empty"
    storage.s3.delete_object("b", "k", [])
    storage.s3.create_upload(Upload("u1", "b", "k", 5))
    assert storage.s3.delete_bucket("b") == "not-empty"
    assert storage.s3.abort_upload("u1") == []
    assert storage.s3.delete_bucket("b") == "deleted"
    assert storage.s3.delete_bucket("b") == "missing"
    assert storage.s3.bucket("b") is None


def test_bucket_configuration_round_trips(storage: Storage) -> None:
    _bucket(storage)
    cfg = {"LambdaFunctionConfigurations": [{"Id": "x", "Events": ["s3:ObjectCreated:*"]}]}
    assert storage.s3.set_bucket(
        "b", versioning="Enabled", policy='{"Statement": []}', tags=[("k", "v")], notification=cfg
    )
    got = storage.s3.bucket("b")
    assert got is not None
    assert (got.versioning, got.policy, got.tags, got.notification) == (
        "Enabled",
        '{"Statement": []}',
        (("k", "v"),),
        cfg,
    )
    assert storage.s3.set_bucket("b", tags=None)
    assert storage.s3.bucket("b").tags is None  # type: ignore[union-attr]
    assert not storage.s3.set_bucket("missing", versioning="Enabled")


def test_put_replaces_and_queues_events_in_one_commit(backend: Backend, storage: Storage) -> None:
    _bucket(storage)
    first = _obj("k", "blob1", metadata={"a": "1"}, checksums={"CRC32": "AAAA"})
    assert storage.s3.put_object(first, [("arn:fn", "lambda", '{"n": 1}')]) is None
    assert storage.s3.put_object(_obj("k", "blob2"), [("arn:q", "sqs", '{"n": 2}')]) == "blob1"
    other = backend.open()  # what was committed
    assert other.s3.object("b", "k") == _obj("k", "blob2")
    events = other.s3.outbox(now_ms=10**15, limit=10)
    assert [(e.destination, e.kind, e.body) for e in events] == [
        ("arn:fn", "lambda", '{"n": 1}'),
        ("arn:q", "sqs", '{"n": 2}'),
    ]
    other.s3.outbox_retry(events[0].id, due_ms=10**16)
    assert [e.id for e in storage.s3.outbox(now_ms=10**15, limit=10)] == [events[1].id]
    storage.s3.outbox_done(events[1].id)
    assert storage.s3.outbox(now_ms=10**15, limit=10) == []
    again = storage.s3.outbox(now_ms=10**17, limit=10)
    assert [(e.id, e.attempts) for e in again] == [(events[0].id, 1)]


def test_put_into_a_missing_bucket_writes_nothing(storage: Storage) -> None:
    with pytest.raises(LookupError):
        storage.s3.put_object(_obj("k", "blob", bucket="nope"), [("arn", "sqs", "{}")])
    assert storage.s3.outbox(now_ms=10**15, limit=10) == []


def test_delete_answers_the_record_and_queues_only_when_it_existed(storage: Storage) -> None:
    _bucket(storage)
    assert storage.s3.delete_object("b", "k", [("arn", "sqs", "{}")]) is None
    assert storage.s3.outbox(now_ms=10**15, limit=10) == []
    storage.s3.put_object(_obj("k", "blob"), [])
    assert storage.s3.delete_object("b", "k", [("arn", "sqs", "{}")]) == _obj("k", "blob")
    assert len(storage.s3.outbox(now_ms=10**15, limit=10)) == 1
    assert storage.s3.object("b", "k") is None


def test_objects_list_in_utf8_binary_order_by_prefix_and_position(storage: Storage) -> None:
    _bucket(storage)
    _bucket(storage, "other")
    keys = ["a", "a/b", "a/c", "b", "é", "Z", "a-"]
    for i, k in enumerate(keys):
        storage.s3.put_object(_obj(k, f"blob{i}"), [])
    storage.s3.put_object(_obj("a/x", "blobx", bucket="other"), [])
    listed = [o.key for o in storage.s3.objects("b", "", "", 100)]
    assert listed == sorted(keys, key=str.encode)
    assert [o.key for o in storage.s3.objects("b", "a/", "", 100)] == ["a/b", "a/c"]
    assert [o.key for o in storage.s3.objects("b", "a", "a/b", 100)] == ["a/c"]
    assert [o.key for o in storage.s3.objects("b", "", "a/c", 2)] == ["b", "é"]
    assert [o.key for o in storage.s3.objects("b", "a/", "0", 100)] == ["a/b", "a/c"]


def test_multipart_completion_is_atomic(backend: Backend, storage: Storage) -> None:
    _bucket(storage)
    storage.s3.put_object(_obj("k", "old"), [])
    storage.s3.create_upload(
        Upload("u", "b", "k", 5, metadata={"m": "1"}, checksum_algorithm="CRC32")
    )
    assert storage.s3.upload("u") == Upload(
        "u", "b", "k", 5, metadata={"m": "1"}, checksum_algorithm="CRC32"
    )
    assert storage.s3.put_part(Part("u", 1, "p1", 5, '"e1"', 6)) is None
    assert storage.s3.put_part(Part("u", 1, "p1b", 5, '"e1b"', 7)) == "p1"
    storage.s3.put_part(Part("u", 2, "p2", 5, '"e2"', 7, {"CRC32": "AAAA"}))
    assert [p.blob for p in storage.s3.parts("u")] == ["p1b", "p2"]
    assert [u.upload_id for u in storage.s3.uploads("b")] == ["u"]
    assert storage.s3.referenced_blobs() == {"old", "p1b", "p2"}
    garbage = storage.s3.complete_upload("u", _obj("k", "whole", parts=2), [("a", "sqs", "{}")])
    assert sorted(garbage or []) == ["old", "p1b", "p2"]
    other = backend.open()
    assert other.s3.object("b", "k") == _obj("k", "whole", parts=2)
    assert other.s3.upload("u") is None and other.s3.parts("u") == []
    assert len(other.s3.outbox(now_ms=10**15, limit=10)) == 1
    assert storage.s3.complete_upload("u", _obj("k", "again"), []) is None
    with pytest.raises(LookupError):
        storage.s3.put_part(Part("u", 3, "late", 1, '"e"', 8))
    assert storage.s3.abort_upload("u") is None
