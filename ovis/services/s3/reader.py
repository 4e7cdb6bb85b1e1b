"""Reading whole objects in process (Lambda's ``Code.S3Bucket/S3Key``), with S3's errors.

Contract: ``read_object`` answers the object's bytes, or raises NoSuchBucket, NoSuchKey,
NoSuchVersion (objects are not versioned: only the version id "null" names the object) or
EntityTooLarge past ``limit``. Reads the committed blob, which is immutable: a concurrent PUT
cannot tear it.
"""

from __future__ import annotations

import asyncio

from ovis.services.s3.errors import EntityTooLarge, NoSuchBucket, NoSuchKey, S3Error
from ovis.services.s3.repository import ObjectBlobs, S3Repository


class NoSuchVersion(S3Error):
    code, status = "NoSuchVersion", 404
    default = "The specified version does not exist."


class ObjectReads:
    def __init__(self, repo: S3Repository, blobs: ObjectBlobs) -> None:
        self.repo = repo
        self.blobs = blobs

    async def read_object(self, bucket: str, key: str, version: str | None, limit: int) -> bytes:
        if await asyncio.to_thread(self.repo.bucket, bucket) is None:
            raise NoSuchBucket(BucketName=bucket)
        obj = await asyncio.to_thread(self.repo.object, bucket, key)
        if obj is None:
            raise NoSuchKey(Key=key)
        if version is not None and version != "null":
            raise NoSuchVersion(Key=key, VersionId=version)
        if obj.size > limit:
            raise EntityTooLarge(
                f"The object is {obj.size} bytes, more than the {limit} bytes allowed."
            )
        return await asyncio.to_thread(self.blobs.path(obj.blob).read_bytes)
