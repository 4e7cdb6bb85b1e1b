"""S3 object tag sets: stored with the object, replaced alone, gone with the object."""

from __future__ import annotations

from ovis.models.s3 import Bucket, ObjectRecord
from tests.contract.conftest import Backend, Storage


def test_tags_round_trip_and_are_replaced_alone(storage: Storage, backend: Backend) -> None:
    s3 = storage.s3
    assert s3.create_bucket(Bucket("b", "us-east-1", 1))
    obj = ObjectRecord("b", "k", "blob", 3, '"e"', 1000, tags=(("a", "1"), ("b", "")))
    s3.put_object(obj, [])
    assert s3.object("b", "k") == obj
    assert s3.set_object_tags("b", "k", [("c", "3")])
    other = backend.open()
    try:
        got = other.s3.object("b", "k")
        assert got is not None and got.tags == (("c", "3"),) and got.etag == '"e"'
    finally:
        other.close()
    assert not s3.set_object_tags("b", "missing", [("c", "3")])
    s3.put_object(ObjectRecord("b", "k", "blob2", 3, '"f"', 2000), [])  # a new PUT: no tags
    got = s3.object("b", "k")
    assert got is not None and got.tags == ()
