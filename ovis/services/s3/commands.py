"""Typed inputs of the S3 use cases (built by the handlers from the wire members)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ObjectAttributes:
    """What a PUT (or a REPLACE copy, or CreateMultipartUpload) says about the object."""

    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # ContentEncoding... (member names)
    tags: tuple[tuple[str, str], ...] = ()  # x-amz-tagging


@dataclass(frozen=True)
class Caller:
    """Who made a change (for its notifications)."""

    request_id: str
    principal: str  # "AWS:<access key>" as S3 puts it in userIdentity


@dataclass(frozen=True)
class Conditions:
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: object = None
    if_unmodified_since: object = None


@dataclass(frozen=True)
class CopyObject:
    source_bucket: str
    source_key: str
    bucket: str
    key: str
    replace_metadata: bool
    attributes: ObjectAttributes
    conditions: Conditions
    checksum_algorithm: str | None = None
    replace_tags: bool = False  # TaggingDirective REPLACE (default COPY: the source's tags)


@dataclass(frozen=True)
class ListObjects:
    bucket: str
    prefix: str = ""
    delimiter: str = ""
    max_keys: int = 1000
    after: str = ""  # start-after, marker or the continuation token's key
    encode: bool = False  # EncodingType=url


@dataclass(frozen=True)
class CompletedPart:
    number: int
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)
