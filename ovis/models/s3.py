"""S3 values: buckets, objects, multipart uploads and their parts, notification outbox events.

Frozen; what the repository stores and answers. Times are epoch milliseconds. An object's
content is a blob in the object store (``blob``: its id), never in these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Bucket:
    name: str
    region: str
    created_ms: int
    versioning: str = ""  # "", "Enabled" or "Suspended" (stored; objects are not versioned)
    policy: str | None = None  # the bucket policy document as given
    tags: tuple[tuple[str, str], ...] | None = None  # None: no tag set
    notification: dict[str, Any] = field(default_factory=dict)  # the configuration as given


@dataclass(frozen=True)
class ObjectRecord:
    bucket: str
    key: str
    blob: str  # the content's id in the object store
    size: int
    etag: str  # quoted, as S3 sends it: "md5hex" or "md5hex-N"
    last_modified_ms: int
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)  # x-amz-meta-* (lower-cased names)
    headers: dict[str, str] = field(default_factory=dict)  # Content-Encoding, Cache-Control...
    checksums: dict[str, str] = field(default_factory=dict)  # "CRC32" -> base64
    parts: int = 0  # number of parts of a multipart object (0: single PUT)
    tags: tuple[tuple[str, str], ...] = ()  # the object's tag set, in the order given


@dataclass(frozen=True)
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated_ms: int
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    checksum_algorithm: str = ""  # "CRC32" etc. when the upload asked for one


@dataclass(frozen=True)
class Part:
    upload_id: str
    number: int
    blob: str
    size: int
    etag: str  # quoted md5
    last_modified_ms: int
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxEvent:
    """A notification to deliver: written in the transaction that changed the object."""

    id: int
    destination: str  # the function, queue or topic ARN
    kind: str  # "lambda" | "sqs" | "sns"
    body: str  # the S3 event document (JSON)
    attempts: int = 0
