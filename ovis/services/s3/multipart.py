"""Multipart uploads: create, upload a part (streamed, or copied from an object), complete,
abort, list parts and uploads.

Contract: each part is a committed blob before its row is written (a part that answered is
durable). Completion checks the list as S3 does (ascending part numbers: InvalidPartOrder;
every part uploaded with that ETag: InvalidPart; every part but the last at least
``min_part_bytes``: EntityTooSmall), concatenates the parts into one new blob (in a worker
thread), then swaps the upload for the object in one transaction with its notification; the
part blobs are deleted after. The object's ETag is the MD5 of the parts' MD5s plus ``-N``; its
checksum, when the upload named an algorithm, is S3's composite of the parts' checksums.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import Any

from ovis.models.s3 import ObjectRecord, Part, Upload
from ovis.services.s3 import checksums
from ovis.services.s3.body import BodyStream, receive_body
from ovis.services.s3.buckets import BucketService
from ovis.services.s3.commands import Caller, CompletedPart, ObjectAttributes
from ovis.services.s3.errors import (
    EntityTooSmall,
    InvalidArgumentS3,
    InvalidPart,
    InvalidPartOrder,
    MalformedXML,
    NoSuchUpload,
)
from ovis.services.s3.objects import DEFAULT_TYPE, ObjectService, check_key, now_ms
from ovis.services.s3.reading import byte_range
from ovis.services.s3.repository import ObjectBlobs, S3Repository

MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PART_BYTES = 5 * 1024**3
MAX_PARTS = 10000


class MultipartService:
    def __init__(
        self,
        repo: S3Repository,
        blobs: ObjectBlobs,
        buckets: BucketService,
        objects: ObjectService,
        min_part_bytes: int = MIN_PART_BYTES,
    ) -> None:
        self.repo = repo
        self.blobs = blobs
        self.buckets = buckets
        self.objects = objects
        self.min_part_bytes = min_part_bytes

    async def create(
        self, bucket: str, key: str, attrs: ObjectAttributes, algorithm: str | None
    ) -> Upload:
        check_key(key)
        await self.buckets.get(bucket)
        if algorithm is not None and algorithm not in checksums.ALGORITHMS:
            raise InvalidArgumentS3(
                "Checksum algorithm provided is unsupported.",
                ArgumentName="x-amz-checksum-algorithm",
            )
        upload = Upload(
            secrets.token_urlsafe(48),
            bucket,
            key,
            now_ms(),
            attrs.content_type or DEFAULT_TYPE,
            attrs.metadata,
            attrs.headers,
            algorithm or "",
        )
        await asyncio.to_thread(self.repo.create_upload, upload)
        return upload

    async def upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        up = await asyncio.to_thread(self.repo.upload, upload_id)
        if up is None or up.bucket != bucket or up.key != key:
            await self.buckets.get(bucket)
            raise NoSuchUpload(UploadId=upload_id)
        return up

    @staticmethod
    def _check_number(number: int) -> None:
        if not 1 <= number <= MAX_PARTS:
            raise InvalidArgumentS3(
                "Part number must be an integer between 1 and 10000, inclusive",
                ArgumentName="partNumber",
                ArgumentValue=str(number),
            )

    async def put_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        number: int,
        stream: BodyStream,
        headers: Mapping[str, str],
        params: Mapping[str, Any],
    ) -> Part:
        self._check_number(number)
        await self.upload(bucket, key, upload_id)
        body = await receive_body(stream, headers, params, self.blobs, MAX_PART_BYTES)
        part = Part(
            upload_id, number, body.blob, body.size, f'"{body.md5}"', now_ms(), body.checksums
        )
        return await self._store(part)

    async def _store(self, part: Part) -> Part:
        try:
            old = await asyncio.to_thread(self.repo.put_part, part)
        except LookupError:
            await asyncio.to_thread(self.blobs.delete, part.blob)
            raise NoSuchUpload(UploadId=part.upload_id) from None
        if old is not None:
            await asyncio.to_thread(self.blobs.delete, old)
        return part

    async def copy_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        number: int,
        source_bucket: str,
        source_key: str,
        source_range: str | None,
    ) -> Part:
        self._check_number(number)
        up = await self.upload(bucket, key, upload_id)
        src = await self.objects.head(source_bucket, source_key)
        rng = byte_range(source_range, src.size) if source_range else None
        start, length = (rng[0], rng[1] - rng[0] + 1) if rng else (0, src.size)
        blob, md5, sums = await asyncio.to_thread(
            self._copy_range, src.blob, start, length, up.checksum_algorithm
        )
        return await self._store(Part(upload_id, number, blob, length, f'"{md5}"', now_ms(), sums))

    def _copy_range(
        self, blob: str, start: int, length: int, algorithm: str
    ) -> tuple[str, str, dict[str, str]]:
        import hashlib

        w = self.blobs.writer()
        try:
            w.append_blob(blob, start, length)
            new = w.commit()
        except BaseException:
            w.abort()
            raise
        md5 = hashlib.md5()
        check = checksums.hasher(algorithm) if algorithm else None
        with open(self.blobs.path(new), "rb") as f:
            while block := f.read(1 << 20):
                md5.update(block)
                if check is not None:
                    check.update(block)
        sums = {algorithm: checksums.b64(check.digest())} if check is not None else {}
        return new, md5.hexdigest(), sums

    async def complete(
        self, bucket: str, key: str, upload_id: str, parts: list[CompletedPart], caller: Caller
    ) -> ObjectRecord:
        up = await self.upload(bucket, key, upload_id)
        b = await self.buckets.get(bucket)
        if not parts:
            raise MalformedXML()
        numbers = [p.number for p in parts]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise InvalidPartOrder(UploadId=upload_id)
        stored = {p.number: p for p in await asyncio.to_thread(self.repo.parts, upload_id)}
        chosen: list[Part] = []
        for p in parts:
            have = stored.get(p.number)
            if have is None or have.etag.strip('"') != p.etag.strip('"'):
                raise InvalidPart(UploadId=upload_id, PartNumber=str(p.number), ETag=p.etag)
            chosen.append(have)
        for have in chosen[:-1]:
            if have.size < self.min_part_bytes:
                raise EntityTooSmall(
                    ProposedSize=str(have.size),
                    MinSizeAllowed=str(self.min_part_bytes),
                    PartNumber=str(have.number),
                    ETag=have.etag,
                )
        blob = await asyncio.to_thread(self._concatenate, chosen)
        sums: dict[str, str] = {}
        alg = up.checksum_algorithm
        if alg and all(alg in p.checksums for p in chosen):
            sums[alg] = checksums.composite(alg, [p.checksums[alg] for p in chosen])
        obj = ObjectRecord(
            bucket,
            key,
            blob,
            sum(p.size for p in chosen),
            checksums.multipart_etag([p.etag for p in chosen]),
            now_ms(),
            up.content_type,
            up.metadata,
            up.headers,
            sums,
            len(chosen),
        )
        events = self.objects.rules.events_for(
            b.notification,
            "ObjectCreated:CompleteMultipartUpload",
            obj,
            caller.request_id,
            caller.principal,
        )
        garbage = await asyncio.to_thread(self.repo.complete_upload, upload_id, obj, events)
        if garbage is None:  # completed or aborted by someone else meanwhile
            await asyncio.to_thread(self.blobs.delete, blob)
            raise NoSuchUpload(UploadId=upload_id)
        for g in garbage:
            await asyncio.to_thread(self.blobs.delete, g)
        if events:
            self.objects.notifier.wake()
        return obj

    def _concatenate(self, parts: list[Part]) -> str:
        w = self.blobs.writer()
        try:
            for p in parts:
                w.append_blob(p.blob)
            return w.commit()
        except BaseException:
            w.abort()
            raise

    async def abort(self, bucket: str, key: str, upload_id: str) -> None:
        await self.upload(bucket, key, upload_id)
        blobs = await asyncio.to_thread(self.repo.abort_upload, upload_id)
        if blobs is None:
            raise NoSuchUpload(UploadId=upload_id)
        for blob in blobs:
            await asyncio.to_thread(self.blobs.delete, blob)

    async def parts(self, bucket: str, key: str, upload_id: str) -> tuple[Upload, list[Part]]:
        up = await self.upload(bucket, key, upload_id)
        return up, await asyncio.to_thread(self.repo.parts, upload_id)

    async def uploads(self, bucket: str, prefix: str) -> list[Upload]:
        await self.buckets.get(bucket)
        return await asyncio.to_thread(self.repo.uploads, bucket, prefix)
