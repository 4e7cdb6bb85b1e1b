"""Deployment packages from S3 (``Code.S3Bucket/S3Key/S3ObjectVersion``, and a layer's
``Content.S3...``): the one hook the S3 service fills.

Contract: ``ObjectReader.read_object`` answers an object's bytes (at most ``limit``) or raises
an ``ApiError`` with S3's code and message (NoSuchBucket, NoSuchKey...); ``fetch_package``
turns those into Lambda's InvalidParameterValueException worded as AWS words it ("Error
occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not
exist."). Without a reader (no S3 service) S3 locations are refused as before.
"""

from __future__ import annotations

from typing import Protocol

from ovis.errors import ApiError, InvalidParameterValueException
from ovis.services.lambda_.package import MAX_UNZIPPED_BYTES


class ObjectReader(Protocol):
    async def read_object(
        self, bucket: str, key: str, version: str | None, limit: int
    ) -> bytes: ...


async def fetch_package(
    reader: ObjectReader | None,
    bucket: str | None,
    key: str | None,
    version: str | None,
    what: str = "Code",
) -> bytes:
    if reader is None:
        raise InvalidParameterValueException(
            "S3 code locations are not supported by this server: upload the deployment "
            "package with ZipFile."
        )
    if not bucket or not key:
        missing = "S3Bucket" if not bucket else "S3Key"
        raise InvalidParameterValueException(
            f"Please provide {what}.{missing} together with {what}."
            f"{'S3Key' if missing == 'S3Bucket' else 'S3Bucket'}."
        )
    try:
        return await reader.read_object(bucket, key, version, MAX_UNZIPPED_BYTES)
    except ApiError as e:
        raise InvalidParameterValueException(
            f"Error occurred while GetObject. S3 Error Code: {e.code}. S3 Error Message: "
            f"{e.message}"
        ) from None
