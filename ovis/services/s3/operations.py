"""The S3 operations: one handler per operation, ``(ctx, params) -> output members``.

Requests arrive parsed and validated by the rest-xml codec; PutObject and UploadPart get
their body as a stream (the service's ``stream_inputs``). GetObject answers its body as a
``FileBody`` the front door sends as it reads. Operations of the model this table lacks
answer the codec's "not supported". Handlers build commands and call the use cases; the wire
shapes (S3's member names) are this module's only concern.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from ovis.auth.sigv4 import SignedPayload
from ovis.models.s3 import ObjectRecord, Part, Upload
from ovis.services.context import Handler, RequestContext
from ovis.services.s3.body import BodyStream
from ovis.services.s3.bucket_config import BucketConfigApi
from ovis.services.s3.buckets import BucketService, owner_id
from ovis.services.s3.commands import (
    Caller,
    CompletedPart,
    Conditions,
    CopyObject,
    ListObjects,
)
from ovis.services.s3.errors import (
    InvalidArgumentS3,
    InvalidRequest,
    MalformedXML,
    NoSuchBucketPolicy,
    NoSuchTagSet,
)
from ovis.services.s3.listing import decode_token, encode_token, list_objects
from ovis.services.s3.multipart import MultipartService
from ovis.services.s3.notifications import NotificationRules
from ovis.services.s3.objects import ObjectService, attributes_of
from ovis.services.s3.reading import FileBody, byte_range, check_conditions
from ovis.services.s3.tagging import ObjectTagging

_SMALL_OBJECT = 256 * 1024  # answered from memory; larger objects stream from their file
_CHECKSUM_MEMBERS = {alg: f"Checksum{alg}" for alg in ("CRC32", "CRC32C", "SHA1", "SHA256")}


class _Bytes:
    """A body the front door already read (a request it could not stream)."""

    def __init__(self, data: bytes, headers: Mapping[str, str]) -> None:
        self.signed: SignedPayload | None = None
        self._data: bytes | None = data
        self.headers = headers

    async def read(self) -> bytes:
        data, self._data = self._data, None
        return data or b""


def _caller(ctx: RequestContext) -> Caller:
    return Caller(ctx.request_id, f"AWS:{ctx.access_key}" if ctx.access_key else "Anonymous")


def _stream(params: Mapping[str, Any]) -> BodyStream:
    body = params.get("Body")
    if body is None or isinstance(body, bytes | str):
        data = body.encode() if isinstance(body, str) else body or b""
        return _Bytes(data, {})
    stream: BodyStream = body
    return stream


def _checksum_out(sums: Mapping[str, str], parts: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {_CHECKSUM_MEMBERS[a]: v for a, v in sums.items()}
    if out:
        out["ChecksumType"] = "COMPOSITE" if parts else "FULL_OBJECT"
    return out


def _copy_source(value: str) -> tuple[str, str]:
    src = unquote(value.partition("?")[0]).lstrip("/")
    bucket, _, key = src.partition("/")
    if not bucket or not key:
        raise InvalidArgumentS3("Invalid copy source object key", ArgumentName="x-amz-copy-source")
    return bucket, key


def _owner(account_id: str) -> dict[str, str]:
    return {"DisplayName": "ovis", "ID": owner_id(account_id)}


class S3Api:
    def __init__(
        self,
        buckets: BucketService,
        objects: ObjectService,
        multipart: MultipartService,
        rules: NotificationRules,
    ) -> None:
        self.buckets = buckets
        self.objects = objects
        self.multipart = multipart
        self.rules = rules
        self.handlers: dict[str, Handler] = {
            "CreateBucket": self.create_bucket,
            "DeleteBucket": self.delete_bucket,
            "HeadBucket": self.head_bucket,
            "ListBuckets": self.list_buckets,
            "GetBucketLocation": self.get_bucket_location,
            "PutBucketTagging": self.put_bucket_tagging,
            "GetBucketTagging": self.get_bucket_tagging,
            "DeleteBucketTagging": self.delete_bucket_tagging,
            "PutBucketVersioning": self.put_bucket_versioning,
            "GetBucketVersioning": self.get_bucket_versioning,
            "PutBucketPolicy": self.put_bucket_policy,
            "GetBucketPolicy": self.get_bucket_policy,
            "DeleteBucketPolicy": self.delete_bucket_policy,
            "PutBucketNotificationConfiguration": self.put_notification,
            "GetBucketNotificationConfiguration": self.get_notification,
            "PutObject": self.put_object,
            "GetObject": self.get_object,
            "HeadObject": self.head_object,
            "DeleteObject": self.delete_object,
            "DeleteObjects": self.delete_objects,
            "CopyObject": self.copy_object,
            "ListObjectsV2": self.list_objects_v2,
            "ListObjects": self.list_objects_v1,
            "ListObjectVersions": self.list_object_versions,
            "CreateMultipartUpload": self.create_multipart_upload,
            "UploadPart": self.upload_part,
            "UploadPartCopy": self.upload_part_copy,
            "CompleteMultipartUpload": self.complete_multipart_upload,
            "AbortMultipartUpload": self.abort_multipart_upload,
            "ListParts": self.list_parts,
            "ListMultipartUploads": self.list_multipart_uploads,
            "GetObjectTagging": self.get_object_tagging,
            "PutObjectTagging": self.put_object_tagging,
            "DeleteObjectTagging": self.delete_object_tagging,
            **BucketConfigApi(buckets).handlers,
        }
        self.tagging = ObjectTagging(objects.repo, buckets)

    # ---- buckets

    async def create_bucket(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cfg = p.get("CreateBucketConfiguration") or {}
        b = await self.buckets.create(p["Bucket"], ctx.region, cfg.get("LocationConstraint"))
        return {"Location": f"/{b.name}"}

    async def delete_bucket(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.buckets.delete(p["Bucket"])
        return {}

    async def head_bucket(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        b = await self.buckets.get(p["Bucket"])
        return {"BucketRegion": b.region}

    async def list_buckets(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        buckets = await self.buckets.all()
        prefix = p.get("Prefix") or ""
        return {
            "Buckets": [
                {"Name": b.name, "CreationDate": b.created_ms / 1000, "BucketRegion": b.region}
                for b in buckets
                if b.name.startswith(prefix)
            ],
            "Owner": _owner(ctx.account_id),
        }

    async def get_bucket_location(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        b = await self.buckets.get(p["Bucket"])
        return {"LocationConstraint": None if b.region == "us-east-1" else b.region}

    async def put_bucket_tagging(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        tag_set = (p.get("Tagging") or {}).get("TagSet") or []
        await self.buckets.put_tags(p["Bucket"], [(t["Key"], t.get("Value", "")) for t in tag_set])
        return {}

    async def get_bucket_tagging(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        b = await self.buckets.get(p["Bucket"])
        if b.tags is None:
            raise NoSuchTagSet(BucketName=b.name)
        return {"TagSet": [{"Key": k, "Value": v} for k, v in b.tags]}

    async def delete_bucket_tagging(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.buckets.delete_tags(p["Bucket"])
        return {}

    async def put_bucket_versioning(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cfg = p.get("VersioningConfiguration") or {}
        await self.buckets.put_versioning(p["Bucket"], cfg.get("Status"))
        return {}

    async def get_bucket_versioning(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        b = await self.buckets.get(p["Bucket"])
        return {"Status": b.versioning or None}

    async def put_bucket_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.buckets.put_policy(p["Bucket"], p.get("Policy") or "")
        return {}

    async def get_bucket_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        b = await self.buckets.get(p["Bucket"])
        if b.policy is None:
            raise NoSuchBucketPolicy(BucketName=b.name)
        return {"Policy": b.policy}

    async def delete_bucket_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.buckets.delete_policy(p["Bucket"])
        return {}

    async def put_notification(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name = p["Bucket"]
        await self.buckets.get(name)
        config = self.rules.check(name, p.get("NotificationConfiguration") or {})
        await self.buckets.set_notification(name, config)
        # S3 tells each queue it can publish there (its s3:TestEvent)
        queues = self.rules.queues
        if queues is not None and not p.get("SkipDestinationValidation"):
            for q in config.get("QueueConfigurations", []):
                await queues.send_message(
                    q["QueueArn"], self.rules.test_event(name, ctx.request_id)
                )
        return {}

    async def get_notification(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        b = await self.buckets.get(p["Bucket"])
        return dict(b.notification)

    # ---- objects

    async def put_object(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        stream = _stream(p)
        obj = await self.objects.put(
            p["Bucket"], p["Key"], stream, stream.headers, p, attributes_of(p), _caller(ctx)
        )
        return {"ETag": obj.etag, "Size": obj.size, **_checksum_out(obj.checksums)}

    def _object_headers(self, obj: ObjectRecord, p: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ContentType": obj.content_type,
            "ETag": obj.etag,
            "LastModified": obj.last_modified_ms // 1000,
            "AcceptRanges": "bytes",
            "Metadata": obj.metadata or None,
            **obj.headers,
        }
        if obj.parts:
            out["PartsCount"] = obj.parts
        if obj.tags:
            out["TagCount"] = len(obj.tags)  # GetObject's x-amz-tagging-count (HeadObject: none)
        if p.get("ChecksumMode") == "ENABLED":
            out.update(_checksum_out(obj.checksums, obj.parts))
        for member in ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage"):
            override = p.get(f"Response{member}")
            if override is not None:
                out[member] = override
        if p.get("ResponseContentType") is not None:
            out["ContentType"] = p["ResponseContentType"]
        if p.get("ResponseExpires") is not None:
            out["Expires"] = p["ResponseExpires"]
        return out

    async def _read(
        self, p: dict[str, Any]
    ) -> tuple[ObjectRecord, dict[str, Any], tuple[int, int] | None]:
        obj = await self.objects.head(p["Bucket"], p["Key"])
        check_conditions(
            obj, p.get("IfMatch"), p.get("IfNoneMatch"), p.get("IfModifiedSince"),
            p.get("IfUnmodifiedSince"),
        )  # fmt: skip
        out = self._object_headers(obj, p)
        rng = byte_range(p.get("Range"), obj.size)
        if p.get("PartNumber") is not None and p["PartNumber"] != 1:
            raise InvalidRequest("Cannot specify a part number on a non-multipart object.")
        if rng is not None:
            # a part of the object: its whole-object checksum does not apply (as S3)
            for m in (*_CHECKSUM_MEMBERS.values(), "ChecksumType"):
                out.pop(m, None)
            out["ContentRange"] = f"bytes {rng[0]}-{rng[1]}/{obj.size}"
            out["ContentLength"] = rng[1] - rng[0] + 1
        else:
            out["ContentLength"] = obj.size
        return obj, out, rng

    async def get_object(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        obj, out, rng = await self._read(p)
        if rng is None and obj.size <= _SMALL_OBJECT:
            # one read off the loop instead of a stream of them
            out["Body"] = await self.objects.read_small(obj)
            return out
        f = await self.objects.open(obj)
        start = rng[0] if rng else 0
        out["Body"] = FileBody(f, start, out["ContentLength"], 206 if rng else None)
        return out

    async def head_object(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        _obj, out, _rng = await self._read(p)
        return out

    async def delete_object(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.objects.delete(p["Bucket"], p["Key"], _caller(ctx))
        return {}

    async def delete_objects(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        delete = p.get("Delete") or {}
        entries = delete.get("Objects") or []
        if not entries or len(entries) > 1000:
            raise MalformedXML()
        done = await self.objects.delete_many(
            p["Bucket"], [e["Key"] for e in entries], _caller(ctx)
        )
        quiet = bool(delete.get("Quiet"))
        return {
            "Deleted": None if quiet else [{"Key": k} for k, err in done if err is None],
            "Errors": [{"Key": k, "Code": err} for k, err in done if err is not None] or None,
        }

    async def copy_object(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        src_bucket, src_key = _copy_source(p["CopySource"])
        directive = p.get("MetadataDirective") or "COPY"
        if directive not in ("COPY", "REPLACE"):
            raise InvalidArgumentS3(
                "Unknown metadata directive.", ArgumentName="x-amz-metadata-directive"
            )
        cmd = CopyObject(
            src_bucket,
            src_key,
            p["Bucket"],
            p["Key"],
            directive == "REPLACE",
            attributes_of(p),
            Conditions(
                p.get("CopySourceIfMatch"),
                p.get("CopySourceIfNoneMatch"),
                p.get("CopySourceIfModifiedSince"),
                p.get("CopySourceIfUnmodifiedSince"),
            ),
            p.get("ChecksumAlgorithm"),
            self._tagging_directive(p) == "REPLACE",
        )
        try:
            obj = await self.objects.copy(cmd, _caller(ctx))
        except Exception as e:
            if getattr(e, "code", "") == "NotModified":  # S3: a copy's 304 is a 412
                from ovis.services.s3.errors import PreconditionFailed

                raise PreconditionFailed(Condition="x-amz-copy-source-If-None-Match") from None
            raise
        return {
            "CopyObjectResult": {
                "ETag": obj.etag,
                "LastModified": obj.last_modified_ms / 1000,
                **_checksum_out(obj.checksums),
            }
        }

    @staticmethod
    def _tagging_directive(p: dict[str, Any]) -> str:
        directive = p.get("TaggingDirective") or "COPY"
        if directive not in ("COPY", "REPLACE"):
            raise InvalidArgumentS3(
                "Unknown tagging directive.", ArgumentName="x-amz-tagging-directive"
            )
        return str(directive)

    # ---- object tagging

    async def get_object_tagging(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        tags = await self.tagging.get(p["Bucket"], p["Key"])
        return {"TagSet": [{"Key": k, "Value": v} for k, v in tags]}

    async def put_object_tagging(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        tag_set = (p.get("Tagging") or {}).get("TagSet") or []
        await self.tagging.put(
            p["Bucket"], p["Key"], [(t["Key"], t.get("Value", "")) for t in tag_set]
        )
        return {}

    async def delete_object_tagging(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.tagging.delete(p["Bucket"], p["Key"])
        return {}

    # ---- listing

    async def list_objects_v2(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        token = p.get("ContinuationToken")
        after = decode_token(token) if token else p.get("StartAfter") or ""
        cmd = self._list_command(p, after)
        await self.buckets.get(cmd.bucket)
        page = await list_objects(self.objects.repo, cmd)
        out = self._listing(cmd, page.objects, page.prefixes, p.get("FetchOwner"), ctx)
        out.update(
            KeyCount=len(page.objects) + len(page.prefixes),
            ContinuationToken=token,
            StartAfter=self._enc(cmd, p["StartAfter"]) if p.get("StartAfter") else None,
            IsTruncated=page.truncated,
            NextContinuationToken=encode_token(page.resume) if page.truncated else None,
        )
        return out

    async def list_objects_v1(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = self._list_command(p, p.get("Marker") or "")
        await self.buckets.get(cmd.bucket)
        page = await list_objects(self.objects.repo, cmd)
        out = self._listing(cmd, page.objects, page.prefixes, True, ctx)
        out.update(
            Marker=self._enc(cmd, p.get("Marker") or ""),
            IsTruncated=page.truncated,
            NextMarker=self._enc(cmd, page.last) if page.truncated and cmd.delimiter else None,
        )
        return out

    async def list_object_versions(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        """Objects are not versioned here: each key has one version, ``null`` (what S3 lists
        for objects written while versioning was never enabled), and there are no delete
        markers. Enough for the tools that empty a bucket version by version (Terraform's
        force_destroy, ``aws s3 rb --force``)."""
        marker = p.get("KeyMarker") or ""
        version_marker = p.get("VersionIdMarker")
        if version_marker and not marker:
            raise InvalidArgumentS3(
                "A version-id marker cannot be specified without a key marker.",
                ArgumentName="version-id-marker",
                ArgumentValue=version_marker,
            )
        cmd = self._list_command(p, marker)
        await self.buckets.get(cmd.bucket)
        page = await list_objects(self.objects.repo, cmd)
        listing = self._listing(cmd, page.objects, page.prefixes, True, ctx)
        versions = [
            {**entry, "VersionId": "null", "IsLatest": True}
            for entry in listing.pop("Contents", None) or []
        ]
        listing.update(
            Versions=versions or None,
            KeyMarker=self._enc(cmd, marker),
            VersionIdMarker=version_marker or "",
            IsTruncated=page.truncated,
            NextKeyMarker=self._enc(cmd, page.last) if page.truncated else None,
            NextVersionIdMarker="null" if page.truncated else None,
        )
        return listing

    def _list_command(self, p: Mapping[str, Any], after: str) -> ListObjects:
        enc = p.get("EncodingType")
        if enc is not None and enc != "url":
            raise InvalidArgumentS3("Invalid Encoding Method specified in Request")
        max_keys = p.get("MaxKeys")
        if max_keys is not None and max_keys < 0:
            raise InvalidArgumentS3("max-keys must be a non-negative integer")
        return ListObjects(
            p["Bucket"],
            p.get("Prefix") or "",
            p.get("Delimiter") or "",
            1000 if max_keys is None else min(max_keys, 1000),
            after,
            enc == "url",
        )

    @staticmethod
    def _enc(cmd: ListObjects, value: str) -> str:
        return quote(value, safe="/") if cmd.encode else value

    def _listing(
        self,
        cmd: ListObjects,
        objects: list[ObjectRecord],
        prefixes: list[str],
        owner: Any,
        ctx: RequestContext,
    ) -> dict[str, Any]:
        contents = []
        for o in objects:
            entry: dict[str, Any] = {
                "Key": self._enc(cmd, o.key),
                "LastModified": o.last_modified_ms / 1000,
                "ETag": o.etag,
                "Size": o.size,
                "StorageClass": "STANDARD",
            }
            if o.checksums:
                entry["ChecksumAlgorithm"] = list(o.checksums)
                entry["ChecksumType"] = "COMPOSITE" if o.parts else "FULL_OBJECT"
            if owner:
                entry["Owner"] = _owner(ctx.account_id)
            contents.append(entry)
        return {
            "Name": cmd.bucket,
            "Prefix": self._enc(cmd, cmd.prefix),
            "Delimiter": self._enc(cmd, cmd.delimiter) if cmd.delimiter else None,
            "MaxKeys": cmd.max_keys,
            "EncodingType": "url" if cmd.encode else None,
            "Contents": contents or None,
            "CommonPrefixes": [{"Prefix": self._enc(cmd, x)} for x in prefixes] or None,
        }

    # ---- multipart

    async def create_multipart_upload(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        alg = p.get("ChecksumAlgorithm")
        up = await self.multipart.create(p["Bucket"], p["Key"], attributes_of(p), alg)
        out: dict[str, Any] = {"Bucket": up.bucket, "Key": up.key, "UploadId": up.upload_id}
        if alg:
            out["ChecksumAlgorithm"] = alg
            out["ChecksumType"] = "COMPOSITE"
        return out

    async def upload_part(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        stream = _stream(p)
        part = await self.multipart.put_part(
            p["Bucket"], p["Key"], p["UploadId"], p["PartNumber"], stream, stream.headers, p
        )
        return {"ETag": part.etag, **_checksum_out(part.checksums)}

    async def upload_part_copy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        src_bucket, src_key = _copy_source(p["CopySource"])
        part = await self.multipart.copy_part(
            p["Bucket"], p["Key"], p["UploadId"], p["PartNumber"], src_bucket, src_key,
            p.get("CopySourceRange"),
        )  # fmt: skip
        return {
            "CopyPartResult": {
                "ETag": part.etag,
                "LastModified": part.last_modified_ms / 1000,
                **_checksum_out(part.checksums),
            }
        }

    async def complete_multipart_upload(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        given = (p.get("MultipartUpload") or {}).get("Parts") or []
        parts = []
        for g in given:
            if "PartNumber" not in g or "ETag" not in g:
                raise MalformedXML()
            sums = {a: g[m] for a, m in _CHECKSUM_MEMBERS.items() if g.get(m)}
            parts.append(CompletedPart(g["PartNumber"], g["ETag"], sums))
        obj = await self.multipart.complete(
            p["Bucket"], p["Key"], p["UploadId"], parts, _caller(ctx)
        )
        return {
            "Location": f"/{obj.bucket}/{quote(obj.key)}",
            "Bucket": obj.bucket,
            "Key": obj.key,
            "ETag": obj.etag,
            **_checksum_out(obj.checksums, obj.parts),
        }

    async def abort_multipart_upload(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.multipart.abort(p["Bucket"], p["Key"], p["UploadId"])
        return {}

    async def list_parts(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        up, parts = await self.multipart.parts(p["Bucket"], p["Key"], p["UploadId"])
        marker = int(p.get("PartNumberMarker") or 0)
        max_parts = p.get("MaxParts") or 1000
        after = [x for x in parts if x.number > marker]
        page = after[:max_parts]
        truncated = len(after) > max_parts
        return {
            "Bucket": up.bucket,
            "Key": up.key,
            "UploadId": up.upload_id,
            "PartNumberMarker": marker,
            "NextPartNumberMarker": page[-1].number if page else None,
            "MaxParts": max_parts,
            "IsTruncated": truncated,
            "Parts": [_part(x) for x in page] or None,
            "Initiator": {"ID": owner_id(ctx.account_id), "DisplayName": "ovis"},
            "Owner": _owner(ctx.account_id),
            "StorageClass": "STANDARD",
            "ChecksumAlgorithm": up.checksum_algorithm or None,
        }

    async def list_multipart_uploads(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        ups = await self.multipart.uploads(p["Bucket"], p.get("Prefix") or "")
        key_marker = p.get("KeyMarker") or ""
        ups = [u for u in ups if u.key > key_marker] if key_marker else ups
        max_uploads = p.get("MaxUploads") or 1000
        page = ups[:max_uploads]
        truncated = len(ups) > max_uploads
        return {
            "Bucket": p["Bucket"],
            "KeyMarker": key_marker,
            "UploadIdMarker": p.get("UploadIdMarker") or "",
            "NextKeyMarker": page[-1].key if truncated else None,
            "NextUploadIdMarker": page[-1].upload_id if truncated else None,
            "Prefix": p.get("Prefix"),
            "MaxUploads": max_uploads,
            "IsTruncated": truncated,
            "Uploads": [_upload(u, ctx.account_id) for u in page] or None,
        }


def _part(x: Part) -> dict[str, Any]:
    return {
        "PartNumber": x.number,
        "LastModified": x.last_modified_ms / 1000,
        "ETag": x.etag,
        "Size": x.size,
        **{_CHECKSUM_MEMBERS[a]: v for a, v in x.checksums.items()},
    }


def _upload(u: Upload, account_id: str) -> dict[str, Any]:
    return {
        "UploadId": u.upload_id,
        "Key": u.key,
        "Initiated": u.initiated_ms / 1000,
        "StorageClass": "STANDARD",
        "Owner": _owner(account_id),
        "Initiator": {"ID": owner_id(account_id), "DisplayName": "ovis"},
        "ChecksumAlgorithm": u.checksum_algorithm or None,
    }
