"""S3's bucket naming rules."""

from __future__ import annotations

import pytest

from ovis.services.s3.buckets import check_bucket_name
from ovis.services.s3.errors import InvalidBucketName


@pytest.mark.parametrize("name", ["abc", "my-bucket", "my.bucket.1", "a" * 63, "1bucket"])
def test_valid_names(name: str) -> None:
    check_bucket_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "ab", "a" * 64, "MyBucket", "my_bucket", "-bucket", "bucket-", "my..bucket",
        "my.-bucket", "192.168.1.1", "xn--bucket", "sthree-bucket", "bucket-s3alias",
        "bucket--ol-s3", "bucket.mrap", "bucket--x-s3", "amzn-s3-demo-bucket", "",
    ],
)  # fmt: skip
def test_invalid_names(name: str) -> None:
    with pytest.raises(InvalidBucketName):
        check_bucket_name(name)
