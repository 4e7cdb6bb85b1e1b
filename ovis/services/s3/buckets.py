"""Buckets: create (LocationConstraint as AWS judges it), delete, head, list, location, tagging,
versioning status and policy. Use cases over the repository; errors are S3's.

Contract: a bucket's name is checked with S3's rules before anything is written; names are
global to the server (one account). Versioning is stored and answered; objects are not
versioned (a PUT replaces). A bucket is deleted only when it has no objects and no multipart
uploads (BucketNotEmpty), in one transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import re
import time

from ovis.models.s3 import Bucket
from ovis.services.s3.errors import (
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    IllegalLocationConstraintException,
    InvalidBucketName,
    InvalidLocationConstraint,
    InvalidTag,
    MalformedPolicy,
    MalformedXML,
    NoSuchBucket,
)
from ovis.services.s3.repository import S3Repository

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(name: str) -> None:
    """InvalidBucketName unless ``name`` follows S3's general purpose bucket naming rules."""
    ok = (
        bool(_NAME.match(name))
        and ".." not in name
        and ".-" not in name
        and "-." not in name
        and not name.startswith(_BAD_PREFIXES)
        and not name.endswith(_BAD_SUFFIXES)
    )
    if ok:
        try:
            ipaddress.IPv4Address(name)
            ok = False
        except ValueError:
            pass
    if not ok:
        raise InvalidBucketName(BucketName=name)


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def owner_id(account_id: str) -> str:
    """The canonical user id S3 shows as an owner (stable per account)."""
    return hashlib.sha256(f"ovis-owner-{account_id}".encode()).hexdigest()


class BucketService:
    def __init__(self, repo: S3Repository, region: str, account_id: str) -> None:
        self.repo = repo
        self.region = region
        self.account_id = account_id

    async def get(self, name: str) -> Bucket:
        bucket = await asyncio.to_thread(self.repo.bucket, name)
        if bucket is None:
            raise NoSuchBucket(BucketName=name)
        return bucket

    async def create(self, name: str, region: str, constraint: str | None) -> Bucket:
        check_bucket_name(name)
        if constraint == "us-east-1" or constraint == "":
            raise InvalidLocationConstraint(LocationConstraint=constraint)
        if region != "us-east-1":
            # A regional endpoint only creates buckets in its own region.
            if constraint is None:
                raise IllegalLocationConstraintException()
            if constraint != region:
                raise IllegalLocationConstraintException(
                    f"The {constraint} location constraint is incompatible for the region "
                    "specific endpoint this request was sent to."
                )
        located = constraint or "us-east-1"
        if constraint == "EU":
            located = "eu-west-1"
        bucket = Bucket(name, located, int(time.time() * 1000))
        if not await asyncio.to_thread(self.repo.create_bucket, bucket):
            raise BucketAlreadyOwnedByYou(BucketName=name)
        return bucket

    async def delete(self, name: str) -> None:
        outcome = await asyncio.to_thread(self.repo.delete_bucket, name)
        if outcome == "missing":
            raise NoSuchBucket(BucketName=name)
        if outcome == "not-empty":
            raise BucketNotEmpty(BucketName=name)

    async def all(self) -> list[Bucket]:
        return await asyncio.to_thread(self.repo.buckets)

    async def _set(self, name: str, **fields: object) -> None:
        if not await asyncio.to_thread(lambda: self.repo.set_bucket(name, **fields)):
            raise NoSuchBucket(BucketName=name)

    async def put_tags(self, name: str, tags: list[tuple[str, str]]) -> None:
        await self.get(name)
        seen: set[str] = set()
        for k, v in tags:
            if not 1 <= len(k) <= 128 or k.startswith("aws:"):
                raise InvalidTag("The TagKey you have provided is invalid", TagKey=k)
            if len(v) > 256:
                raise InvalidTag("The TagValue you have provided is invalid", TagKey=k)
            if k in seen:
                raise InvalidTag("Cannot provide multiple Tags with the same key", TagKey=k)
            seen.add(k)
        if len(tags) > 50:
            raise InvalidTag("Object tags cannot be greater than 50")
        await self._set(name, tags=tags)

    async def delete_tags(self, name: str) -> None:
        await self._set(name, tags=None)

    async def put_versioning(self, name: str, status: str | None) -> None:
        if status not in ("Enabled", "Suspended"):
            raise MalformedXML()
        await self._set(name, versioning=status)

    async def put_policy(self, name: str, policy: str) -> None:
        await self.get(name)
        try:
            doc = json.loads(policy)
        except ValueError:
            raise MalformedPolicy(
                "Policies must be valid JSON and the first byte must be '{'"
            ) from None
        if not isinstance(doc, dict):
            raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
        statements = doc.get("Statement")
        if not isinstance(statements, list | dict) or not statements:
            raise MalformedPolicy("Missing required field Statement")
        for st in statements if isinstance(statements, list) else [statements]:
            if not isinstance(st, dict):
                raise MalformedPolicy("Statement is not an object")
            if st.get("Effect") not in ("Allow", "Deny"):
                raise MalformedPolicy("Invalid effect: " + str(st.get("Effect")))
            if "Action" not in st and "NotAction" not in st:
                raise MalformedPolicy("Missing required field Action")
            if "Principal" not in st and "NotPrincipal" not in st:
                raise MalformedPolicy("Missing required field Principal")
        await self._set(name, policy=policy)

    async def delete_policy(self, name: str) -> None:
        await self._set(name, policy=None)

    async def set_notification(self, name: str, config: dict[str, object]) -> None:
        await self._set(name, notification=config)
