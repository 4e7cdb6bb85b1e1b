"""Bucket sub-resources this server does not honour, answered as S3 answers a bucket that
never had them (the reads every client's "describe a bucket" makes, e.g. Terraform's
``aws_s3_bucket`` read: ACL, CORS, website, accelerate, request payment, logging, lifecycle,
replication, encryption, Object Lock, ownership controls, public access block).

Contract: each read first checks the bucket exists (NoSuchBucket before anything else, as S3).
What S3 answers for a fresh bucket is answered as is: the owner's FULL_CONTROL grant (no other
grants exist: ACLs are not served), no acceleration, the bucket owner pays, no access logging,
the default SSE-S3 encryption configuration S3 applies to every bucket since January 2023
(contents here are not encrypted at rest: the answer says what S3 would report, the docs say
what this server does), and ``BucketOwnerEnforced`` ownership (the owner owns every object).
Configurations that would change behaviour (CORS, website, lifecycle, replication, Object
Lock, public access block) answer their own "not set" error code; writing them answers
NotImplemented (the front door's answer for an operation missing from the table), so nothing
is stored that would not be honoured. Deleting a configuration that cannot exist succeeds
(204), as S3 answers for a bucket without one.
"""

from __future__ import annotations

import copy
from typing import Any

from ovis.services.context import Handler, RequestContext
from ovis.services.s3.buckets import BucketService, owner_id
from ovis.services.s3.errors import (
    NoSuchCORSConfiguration,
    NoSuchLifecycleConfiguration,
    NoSuchPublicAccessBlockConfiguration,
    NoSuchWebsiteConfiguration,
    ObjectLockConfigurationNotFoundError,
    ReplicationConfigurationNotFoundError,
    S3Error,
)

Answer = dict[str, Any]


class BucketConfigApi:
    """Handlers of the unset configurations (``handlers``: operation name -> handler)."""

    def __init__(self, buckets: BucketService) -> None:
        self.buckets = buckets
        self.handlers: dict[str, Handler] = {
            "GetBucketAcl": self.get_acl,
            "GetBucketAccelerateConfiguration": self._answer({}),
            "GetBucketRequestPayment": self._answer({"Payer": "BucketOwner"}),
            "GetBucketLogging": self._answer({}),
            "GetBucketEncryption": self._answer(
                {
                    "ServerSideEncryptionConfiguration": {
                        "Rules": [
                            {
                                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                "BucketKeyEnabled": False,
                            }
                        ]
                    }
                }
            ),
            "GetBucketOwnershipControls": self._answer(
                {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}
            ),
            "GetBucketCors": self._unset(NoSuchCORSConfiguration),
            "GetBucketWebsite": self._unset(NoSuchWebsiteConfiguration),
            "GetBucketLifecycleConfiguration": self._unset(NoSuchLifecycleConfiguration),
            "GetBucketReplication": self._unset(ReplicationConfigurationNotFoundError),
            "GetObjectLockConfiguration": self._unset(ObjectLockConfigurationNotFoundError),
            "GetPublicAccessBlock": self._unset(NoSuchPublicAccessBlockConfiguration),
            "DeleteBucketCors": self._answer({}),
            "DeleteBucketWebsite": self._answer({}),
            "DeleteBucketLifecycle": self._answer({}),
            "DeleteBucketEncryption": self._answer({}),
            "DeleteBucketReplication": self._answer({}),
            "DeletePublicAccessBlock": self._answer({}),
        }

    async def get_acl(self, ctx: RequestContext, p: dict[str, Any]) -> Answer:
        await self.buckets.get(p["Bucket"])
        owner = {"DisplayName": "ovis", "ID": owner_id(ctx.account_id)}
        return {
            "Owner": owner,
            "Grants": [
                {
                    "Grantee": {**owner, "Type": "CanonicalUser"},
                    "Permission": "FULL_CONTROL",
                }
            ],
        }

    def _answer(self, answer: Answer) -> Handler:
        async def handler(ctx: RequestContext, p: dict[str, Any]) -> Answer:
            await self.buckets.get(p["Bucket"])
            return copy.deepcopy(answer)

        return handler

    def _unset(self, error: type[S3Error]) -> Handler:
        async def handler(ctx: RequestContext, p: dict[str, Any]) -> Answer:
            b = await self.buckets.get(p["Bucket"])
            raise error(BucketName=b.name)

        return handler
