"""Listing a bucket: ListObjectsV2 and ListObjects (v1) over the repository's key order.

Contract: keys come in UTF-8 binary order; with a delimiter, keys sharing the part of the key
after the prefix up to the first delimiter roll up into one CommonPrefix, which counts once
against MaxKeys; a page ends after MaxKeys entries and says where the next one starts
(``resume``; ``last`` is the last key or common prefix listed). Continuation tokens are
opaque base64 of that position; a token that is not ours is InvalidArgument.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass

from ovis.models.s3 import ObjectRecord
from ovis.services.s3.commands import ListObjects
from ovis.services.s3.errors import InvalidArgumentS3
from ovis.services.s3.repository import S3Repository

_BATCH = 1000
_PAST = "\U0010ffff"  # sorts after every key that shares a prefix (UTF-8 F4 8F BF BF)


@dataclass(frozen=True)
class Page:
    objects: list[ObjectRecord]
    prefixes: list[str]
    truncated: bool
    last: str  # the last entry listed, key or common prefix ("" if none): v1's NextMarker
    resume: str  # where the next page starts (past every key of a listed common prefix)


def encode_token(after: str) -> str:
    return base64.urlsafe_b64encode(b"ovis1:" + after.encode()).decode()


def decode_token(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError):
        raw = b""
    if not raw.startswith(b"ovis1:"):
        raise InvalidArgumentS3(
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
        )
    return raw[6:].decode("utf-8", "replace")


def list_page(repo: S3Repository, cmd: ListObjects) -> Page:
    """One page of the listing (synchronous: run in a thread)."""
    objects: list[ObjectRecord] = []
    prefixes: list[str] = []
    after = cmd.after
    d = cmd.delimiter
    if (
        d
        and len(after) > len(cmd.prefix)
        and after.startswith(cmd.prefix)
        and after.find(d, len(cmd.prefix)) == len(after) - len(d)
    ):
        after += _PAST  # a marker that is a common prefix: its keys were listed as it
    count = 0
    last = ""
    while True:
        batch = repo.objects(cmd.bucket, cmd.prefix, after, _BATCH)
        if not batch:
            return Page(objects, prefixes, False, last, after)
        for o in batch:
            rolled = None
            if cmd.delimiter:
                i = o.key.find(cmd.delimiter, len(cmd.prefix))
                if i >= 0:
                    rolled = o.key[: i + len(cmd.delimiter)]
            if count >= cmd.max_keys:
                return Page(objects, prefixes, True, last, after)
            count += 1
            if rolled is not None:
                prefixes.append(rolled)
                last = rolled
                after = rolled + _PAST  # skip every other key under it
                break
            objects.append(o)
            last = after = o.key
        else:
            if len(batch) < _BATCH:
                return Page(objects, prefixes, False, last, after)


async def list_objects(repo: S3Repository, cmd: ListObjects) -> Page:
    return await asyncio.to_thread(list_page, repo, cmd)
