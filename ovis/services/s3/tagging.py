"""Object tag sets: the ``x-amz-tagging`` header of PUT/COPY (URL-encoded ``k=v&k2=v2``) and
GetObjectTagging / PutObjectTagging / DeleteObjectTagging.

Contract: a tag set is checked with S3's rules (at most 10 tags, keys of 1-128 and values of
up to 256 characters, no ``aws:`` prefix, no repeated key: InvalidTag) before anything is
written; a tagging write replaces the whole set in one transaction and leaves the content,
metadata and ETag alone (as S3: tagging is a sub-resource, it sends no notification here).
Objects are not versioned, so ``VersionId`` is never answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from urllib.parse import parse_qsl

from ovis.services.s3.buckets import BucketService
from ovis.services.s3.errors import InvalidTag, NoSuchKey
from ovis.services.s3.repository import S3Repository

MAX_OBJECT_TAGS = 10
Tags = tuple[tuple[str, str], ...]


def check_object_tags(tags: Iterable[tuple[str, str]]) -> Tags:
    out = tuple(tags)
    seen: set[str] = set()
    for k, v in out:
        if not 1 <= len(k) <= 128 or k.startswith("aws:"):
            raise InvalidTag("The TagKey you have provided is invalid", TagKey=k)
        if len(v) > 256:
            raise InvalidTag("The TagValue you have provided is invalid", TagKey=k, TagValue=v)
        if k in seen:
            raise InvalidTag("Cannot provide multiple Tags with the same key", TagKey=k)
        seen.add(k)
    if len(out) > MAX_OBJECT_TAGS:
        raise InvalidTag("Object tags cannot be greater than 10")
    return out


def parse_tagging_header(value: object) -> Tags:
    """The tags of an ``x-amz-tagging`` header (empty when absent)."""
    if not value:
        return ()
    return check_object_tags(parse_qsl(str(value), keep_blank_values=True))


class ObjectTagging:
    def __init__(self, repo: S3Repository, buckets: BucketService) -> None:
        self.repo = repo
        self.buckets = buckets

    async def get(self, bucket: str, key: str) -> Tags:
        obj = await asyncio.to_thread(self.repo.object, bucket, key)
        if obj is None:
            await self._bucket(bucket)
            raise NoSuchKey(Key=key)
        return obj.tags

    async def put(self, bucket: str, key: str, tags: Iterable[tuple[str, str]]) -> None:
        checked = check_object_tags(tags)
        if not await asyncio.to_thread(self.repo.set_object_tags, bucket, key, checked):
            await self._bucket(bucket)
            raise NoSuchKey(Key=key)

    async def delete(self, bucket: str, key: str) -> None:
        await self.put(bucket, key, ())

    async def _bucket(self, name: str) -> None:
        await self.buckets.get(name)  # NoSuchBucket first
