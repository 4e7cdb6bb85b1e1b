"""Which bucket a Host header names."""

from __future__ import annotations

import pytest

from ovis.services.s3.addressing import host_labels


@pytest.mark.parametrize(
    ("host", "bucket"),
    [
        ("my-bucket.s3.localhost:8910", "my-bucket"),
        ("my-bucket.localhost:8910", "my-bucket"),
        ("my.dotted.bucket.s3.localhost", "my.dotted.bucket"),
        ("b1.s3.us-west-2.localhost:1", "b1"),
        ("127.0.0.1:8910", None),
        ("localhost:8910", None),
        ("s3.localhost:8910", None),
        ("example.com", None),
        ("[::1]:8910", None),
    ],
)
def test_host_labels(host: str, bucket: str | None) -> None:
    got = host_labels(host)
    assert (got or {}).get("Bucket") == bucket
