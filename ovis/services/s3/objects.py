"""Objects: put (streamed to disk), get/head (ranges, conditions), delete, delete-many, copy.

Contract: a PUT's content is committed to the object store first (``body.receive_body``), then
its metadata and notifications in one transaction; the replaced content is deleted after the
commit. A PUT that answered survives kill -9; one cut short leaves nothing (not even a listing
entry). Reads open the content before answering, so a concurrent replace or delete cannot tear
a response. Copies write a new blob (contents are never shared between objects).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from ovis.models.s3 import Bucket, ObjectRecord
from ovis.services.s3.body import BodyStream, receive_body, requested_algorithm
from ovis.services.s3.buckets import BucketService
from ovis.services.s3.checksums import b64, hasher
from ovis.services.s3.commands import Caller, CopyObject, ObjectAttributes
from ovis.services.s3.errors import InvalidRequest, KeyTooLongError, MetadataTooLarge, NoSuchKey
from ovis.services.s3.notifications import NotificationRules, Notifier
from ovis.services.s3.reading import check_conditions
from ovis.services.s3.repository import ObjectBlobs, S3Repository
from ovis.services.s3.tagging import parse_tagging_header

MAX_PUT_BYTES = 5 * 1024**3  # S3's single PUT limit (EntityTooLarge beyond)
DEFAULT_TYPE = "binary/octet-stream"


def now_ms() -> int:
    return int(time.time() * 1000)


class ObjectService:
    def __init__(
        self,
        repo: S3Repository,
        blobs: ObjectBlobs,
        buckets: BucketService,
        rules: NotificationRules,
        notifier: Notifier,
        max_put_bytes: int = MAX_PUT_BYTES,
    ) -> None:
        self.repo = repo
        self.blobs = blobs
        self.buckets = buckets
        self.rules = rules
        self.notifier = notifier
        self.max_put_bytes = max_put_bytes

    # ---- writes

    async def commit(
        self, bucket: Bucket, obj: ObjectRecord, event: str, caller: Caller
    ) -> ObjectRecord:
        """Store ``obj``'s metadata with its notifications; delete what it replaced."""
        events = self.rules.events_for(
            bucket.notification, event, obj, caller.request_id, caller.principal
        )
        try:
            old = await asyncio.to_thread(self.repo.put_object, obj, events)
        except LookupError:  # the bucket went away while the body was arriving
            await asyncio.to_thread(self.blobs.delete, obj.blob)
            raise await self._missing_bucket(bucket.name) from None
        if old is not None:
            await asyncio.to_thread(self.blobs.delete, old)
        if events:
            self.notifier.wake()
        return obj

    async def _missing_bucket(self, name: str) -> Exception:
        try:
            await self.buckets.get(name)
        except Exception as e:
            return e
        return InvalidRequest("The bucket changed during the request.")

    async def put(
        self,
        bucket_name: str,
        key: str,
        stream: BodyStream,
        headers: Mapping[str, str],
        params: Mapping[str, Any],
        attrs: ObjectAttributes,
        caller: Caller,
    ) -> ObjectRecord:
        check_key(key)
        bucket = await self.buckets.get(bucket_name)
        body = await receive_body(stream, headers, params, self.blobs, self.max_put_bytes)
        obj = ObjectRecord(
            bucket_name,
            key,
            body.blob,
            body.size,
            f'"{body.md5}"',
            now_ms(),
            attrs.content_type or DEFAULT_TYPE,
            attrs.metadata,
            attrs.headers,
            body.checksums,
            tags=attrs.tags,
        )
        return await self.commit(bucket, obj, "ObjectCreated:Put", caller)

    async def delete(self, bucket_name: str, key: str, caller: Caller) -> None:
        bucket = await self.buckets.get(bucket_name)
        gone = ObjectRecord(bucket_name, key, "", 0, "", now_ms())
        events = self.rules.events_for(
            bucket.notification, "ObjectRemoved:Delete", gone, caller.request_id, caller.principal
        )
        old = await asyncio.to_thread(self.repo.delete_object, bucket_name, key, events)
        if old is not None:
            await asyncio.to_thread(self.blobs.delete, old.blob)
            if events:
                self.notifier.wake()

    async def delete_many(
        self, bucket_name: str, keys: list[str], caller: Caller
    ) -> list[tuple[str, str | None]]:
        """(key, error code or None) per key, in order."""
        await self.buckets.get(bucket_name)
        out: list[tuple[str, str | None]] = []
        for key in keys:
            await self.delete(bucket_name, key, caller)
            out.append((key, None))
        return out

    async def copy(self, cmd: CopyObject, caller: Caller) -> ObjectRecord:
        check_key(cmd.key)
        bucket = await self.buckets.get(cmd.bucket)
        src = await self.head(cmd.source_bucket, cmd.source_key)
        c = cmd.conditions
        check_conditions(
            src, c.if_match, c.if_none_match, c.if_modified_since, c.if_unmodified_since
        )
        same = (cmd.source_bucket, cmd.source_key) == (cmd.bucket, cmd.key)
        if same and not cmd.replace_metadata and cmd.checksum_algorithm is None:
            raise InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself "
                "without changing the object's metadata, storage class, website redirect "
                "location or encryption attributes."
            )
        algorithm = cmd.checksum_algorithm or next(iter(src.checksums), None)
        blob, checksums = await asyncio.to_thread(self._copy_blob, src, algorithm)
        a = cmd.attributes
        obj = ObjectRecord(
            cmd.bucket,
            cmd.key,
            blob,
            src.size,
            src.etag if src.parts == 0 else await asyncio.to_thread(self._md5_etag, blob),
            now_ms(),
            (a.content_type or DEFAULT_TYPE) if cmd.replace_metadata else src.content_type,
            a.metadata if cmd.replace_metadata else src.metadata,
            a.headers if cmd.replace_metadata else src.headers,
            checksums,
            tags=a.tags if cmd.replace_tags else src.tags,
        )
        return await self.commit(bucket, obj, "ObjectCreated:Copy", caller)

    def _copy_blob(self, src: ObjectRecord, algorithm: str | None) -> tuple[str, dict[str, str]]:
        w = self.blobs.writer()
        try:
            w.append_blob(src.blob)
            blob = w.commit()
        except BaseException:
            w.abort()
            raise
        if algorithm is None:
            return blob, {}
        h = hasher(algorithm)
        with open(self.blobs.path(blob), "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        return blob, {algorithm: b64(h.digest())}

    def _md5_etag(self, blob: str) -> str:
        import hashlib

        md5 = hashlib.md5()
        with open(self.blobs.path(blob), "rb") as f:
            while block := f.read(1 << 20):
                md5.update(block)
        return f'"{md5.hexdigest()}"'

    # ---- reads

    async def head(self, bucket_name: str, key: str) -> ObjectRecord:
        obj = await asyncio.to_thread(self.repo.object, bucket_name, key)
        if obj is None:
            await self.buckets.get(bucket_name)  # NoSuchBucket first
            raise NoSuchKey(Key=key)
        return obj

    async def read_small(self, obj: ObjectRecord) -> bytes:
        """A small object's whole content (callers keep this for objects of a few hundred KiB)."""
        return await asyncio.to_thread(self.blobs.path(obj.blob).read_bytes)

    async def open(self, obj: ObjectRecord) -> Any:
        return await asyncio.to_thread(open, self.blobs.path(obj.blob), "rb")


MAX_KEY_BYTES = 1024
MAX_METADATA_BYTES = 2048  # user metadata, names and values (S3's PUT request header limit)


def check_key(key: str) -> None:
    if len(key.encode()) > MAX_KEY_BYTES:
        raise KeyTooLongError(Size=str(len(key.encode())), MaxSizeAllowed=str(MAX_KEY_BYTES))


def attributes_of(params: Mapping[str, Any]) -> ObjectAttributes:
    """The object attributes a PUT-like request's members give."""
    headers = {}
    for member in (
        "CacheControl",
        "ContentDisposition",
        "ContentEncoding",
        "ContentLanguage",
        "Expires",
        "WebsiteRedirectLocation",
    ):
        value = params.get(member)
        if value is not None:
            if member == "ContentEncoding":
                # aws-chunked is how the body travelled, not how it is stored
                codings = [c.strip() for c in str(value).split(",")]
                value = ",".join(c for c in codings if c and c != "aws-chunked")
                if not value:
                    continue
            headers[member] = str(value)
    metadata = dict(params.get("Metadata") or {})
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise MetadataTooLarge(Size=str(size), MaxSizeAllowed=str(MAX_METADATA_BYTES))
    tags = parse_tagging_header(params.get("Tagging"))
    return ObjectAttributes(params.get("ContentType"), metadata, headers, tags)


__all__ = ["ObjectService", "attributes_of", "requested_algorithm"]
