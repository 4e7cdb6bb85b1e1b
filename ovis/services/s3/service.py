"""The S3 service package's face to the front door and the composition root.

``S3Service`` is an ``AwsService`` (botocore name ``s3``, its operation table) that also asks
the front door to stream PutObject and UploadPart bodies (``stream_inputs``) and names the
bucket of virtual-hosted requests (``host_labels``). ``start()`` sweeps blobs no metadata
references (left by a crash between a content commit and its metadata commit, or between a
delete's commit and the file's removal); ``step`` is the notification outbox's delivery loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from ovis.services.context import Handler
from ovis.services.s3.addressing import host_labels
from ovis.services.s3.buckets import BucketService
from ovis.services.s3.multipart import MIN_PART_BYTES, MultipartService
from ovis.services.s3.notifications import (
    FunctionTriggers,
    NotificationRules,
    Notifier,
    QueueSink,
    TopicSink,
)
from ovis.services.s3.objects import MAX_PUT_BYTES, ObjectService
from ovis.services.s3.operations import S3Api
from ovis.services.s3.repository import ObjectBlobs, S3Repository

log = logging.getLogger(__name__)


class S3Service:
    name = "s3"
    stream_inputs = frozenset({"PutObject", "UploadPart"})

    def __init__(
        self,
        repo: S3Repository,
        blobs: ObjectBlobs,
        region: str,
        account_id: str,
        *,
        functions: FunctionTriggers | None = None,
        queues: QueueSink | None = None,
        topics: TopicSink | None = None,
        max_put_bytes: int = MAX_PUT_BYTES,
        min_part_bytes: int = MIN_PART_BYTES,
        retry_base_s: float = 1.0,
    ) -> None:
        self.repo = repo
        self.blobs = blobs
        self.rules = NotificationRules(region, account_id, functions, queues, topics)
        self.notifier = Notifier(repo, self.rules, retry_base_s=retry_base_s)
        self.buckets = BucketService(repo, region, account_id)
        self.objects = ObjectService(
            repo, blobs, self.buckets, self.rules, self.notifier, max_put_bytes
        )
        self.multipart = MultipartService(repo, blobs, self.buckets, self.objects, min_part_bytes)
        self._api = S3Api(self.buckets, self.objects, self.multipart, self.rules)

    @property
    def operations(self) -> Mapping[str, Handler]:
        return self._api.handlers

    @staticmethod
    def host_labels(host: str) -> Mapping[str, str] | None:
        return host_labels(host)

    async def start(self) -> None:
        n = await asyncio.to_thread(self._sweep)
        if n:
            log.info("S3: removed %d unreferenced object blobs", n)

    def _sweep(self) -> int:
        referenced = self.repo.referenced_blobs()
        orphans = [b for b in self.blobs.blobs() if b not in referenced]
        for b in orphans:
            self.blobs.delete(b)
        return len(orphans)

    async def step(self) -> None:
        await self.notifier.step()
