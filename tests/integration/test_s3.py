"""S3 through boto3 against a live server: buckets, objects, listing, multipart, presigned URLs,
checksums and S3's own errors for bad input."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
import zlib
from collections.abc import Iterator

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ServerProcess, make_client, start_server

MB = 1024 * 1024


@pytest.fixture(scope="module")
def s3(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("s3")


@pytest.fixture
def bucket(s3) -> Iterator[str]:  # type: ignore[no-untyped-def]
    name = f"b-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name


def _code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


# ---- buckets -----------------------------------------------------------------------------


def test_bucket_lifecycle_and_listing(s3) -> None:  # type: ignore[no-untyped-def]
    name = f"life-{uuid.uuid4().hex[:8]}"
    assert s3.create_bucket(Bucket=name)["Location"] == f"/{name}"
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name)
    assert _code(e) == "BucketAlreadyOwnedByYou"
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert _code(e) == "BucketNotEmpty"
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert _code(e) == "404"
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert _code(e) == "NoSuchBucket"


@pytest.mark.parametrize(
    "name",
    ["ab", "Upper", "under_score", "192.168.5.4", "a..b", "-lead", "xn--punycode", "x" * 64],
)
def test_invalid_bucket_names(s3, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name)
    assert _code(e) == "InvalidBucketName"


def test_location_constraints_follow_aws(server: ServerProcess, s3) -> None:  # type: ignore[no-untyped-def]
    eu = boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    name = f"eu-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as e:
        eu.create_bucket(Bucket=name)
    assert _code(e) == "IllegalLocationConstraintException"
    with pytest.raises(ClientError) as e:
        eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    assert _code(e) == "IllegalLocationConstraintException"
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert _code(e) == "InvalidLocationConstraint"
    eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    assert eu.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"


def test_tagging_versioning_policy(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _code(e) == "NoSuchTagSet"
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "a"}]
    with pytest.raises(ClientError) as e:
        s3.put_bucket_tagging(
            Bucket=bucket,
            Tagging={"TagSet": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]},
        )
    assert _code(e) == "InvalidTag"
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)

    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=bucket)
    assert _code(e) == "NoSuchBucketPolicy"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=bucket, Policy="not json")
    assert _code(e) == "MalformedPolicy"
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)


# ---- objects -----------------------------------------------------------------------------


def test_put_get_head_with_metadata_and_checksums(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    body = b"hello, world"
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/hello world.txt",
        Body=body,
        ContentType="text/plain",
        Metadata={"Owner": "me"},
        CacheControl="max-age=60",
        ChecksumAlgorithm="SHA256",
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    got = s3.get_object(Bucket=bucket, Key="dir/hello world.txt", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"owner": "me"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentLength"] == len(body)
    assert got["ChecksumSHA256"] == put["ChecksumSHA256"]
    head = s3.head_object(Bucket=bucket, Key="dir/hello world.txt")
    assert head["ETag"] == put["ETag"] and head["ContentLength"] == len(body)
    # the default checksum boto3 sends (CRC32) is verified and stored
    crc = s3.put_object(Bucket=bucket, Key="crc", Body=body)["ChecksumCRC32"]
    assert base64.b64decode(crc) == zlib.crc32(body).to_bytes(4, "big")


def test_crc32c_and_sha1_checksums(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    body = b"123456789"
    crc32c = base64.b64encode((0xE3069283).to_bytes(4, "big")).decode()  # its check value
    # boto3 needs awscrt to compute CRC32C; a client may send its own
    out = s3.put_object(Bucket=bucket, Key="c", Body=body, ChecksumCRC32C=crc32c)
    assert out["ChecksumCRC32C"] == crc32c
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="c2", Body=b"12345678", ChecksumCRC32C=crc32c)
    assert _code(e) == "BadDigest"
    out = s3.put_object(Bucket=bucket, Key="s", Body=body, ChecksumAlgorithm="SHA1")
    assert base64.b64decode(out["ChecksumSHA1"]) == hashlib.sha1(body).digest()


def test_wrong_digests_are_refused_and_nothing_is_stored(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"abc", ContentMD5="AAAAAAAAAAAAAAAAAAAAAA==")
    assert _code(e) == "BadDigest"
    with pytest.raises(ClientError) as e:
        s3.put_object(
            Bucket=bucket,
            Key="k",
            Body=b"abc",
            ChecksumCRC32=base64.b64encode(b"\0\0\0\0").decode(),
        )
    assert _code(e) == "BadDigest"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"abc", ContentMD5="not base64!")
    assert _code(e) == "InvalidDigest"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k")
    assert _code(e) == "404"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_key_and_metadata_limits(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert _code(e) == "KeyTooLongError"
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"big": "v" * 2100})
    assert _code(e) == "MetadataTooLarge"
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="é" * 600)
    assert _code(e) == "KeyTooLongError"


def test_missing_keys_and_buckets(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="nope")
    assert _code(e) == "NoSuchKey"
    assert e.value.response["Error"]["Key"] == "nope"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="no-such-bucket-here", Key="nope")
    assert _code(e) == "NoSuchBucket"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="no-such-bucket-here", Key="k", Body=b"x")
    assert _code(e) == "NoSuchBucket"
    for list_call in (s3.list_objects_v2, s3.list_objects):
        with pytest.raises(ClientError) as e:
            list_call(Bucket="no-such-bucket-here")
        assert _code(e) == "NoSuchBucket"
    s3.delete_object(Bucket=bucket, Key="never-existed")  # 204 all the same


def test_ranges_and_conditions(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    body = bytes(range(256)) * 4
    etag = s3.put_object(Bucket=bucket, Key="r", Body=body)["ETag"]
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert got["Body"].read() == body[10:20]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-5")["Body"].read() == body[-5:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=1000-")["Body"].read() == body[1000:]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=5000-")
    assert _code(e) == "InvalidRange"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416

    assert s3.get_object(Bucket=bucket, Key="r", IfMatch=etag)["Body"].read() == body
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", IfMatch='"0000"')
    assert _code(e) == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    last = s3.head_object(Bucket=bucket, Key="r")["LastModified"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", IfModifiedSince=last)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304


def test_copy_object_with_metadata_directive(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="src", Body=b"data", Metadata={"a": "1"}, ContentType="x/y")
    s3.copy_object(Bucket=bucket, Key="same", CopySource={"Bucket": bucket, "Key": "src"})
    same = s3.head_object(Bucket=bucket, Key="same")
    assert (same["Metadata"], same["ContentType"]) == ({"a": "1"}, "x/y")
    s3.copy_object(
        Bucket=bucket,
        Key="new",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="text/plain",
    )
    new = s3.get_object(Bucket=bucket, Key="new")
    assert (new["Metadata"], new["ContentType"], new["Body"].read()) == (
        {"b": "2"},
        "text/plain",
        b"data",
    )
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    assert _code(e) == "InvalidRequest"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="x", CopySource=f"{bucket}/missing")
    assert _code(e) == "NoSuchKey"


def test_delete_objects_quiet_and_verbose(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for k in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["a", "zz"]
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}], "Quiet": True})
    assert "Deleted" not in out
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["c"]


def test_malformed_xml_is_s3s_error(server: ServerProcess, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    def bad_body(request, **kwargs):  # type: ignore[no-untyped-def]
        request.data = b"<Tagging><TagSet><Tag>"

    s3.meta.events.register_first("before-sign.s3.PutBucketTagging", bad_body)
    try:
        with pytest.raises(ClientError) as e:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": []})
    finally:
        s3.meta.events.unregister("before-sign.s3.PutBucketTagging", bad_body)
    assert _code(e) == "MalformedXML"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_oversize_put_is_entity_too_large(server: ServerProcess, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    # A 6 GB Content-Length is refused before a byte is read (S3's 5 GB single-PUT limit).
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "huge"}, ExpiresIn=60
    )
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("PUT", f"{parts.path}?{parts.query}")
    conn.putheader("Content-Length", str(6 * 1024**3))
    conn.endheaders()
    conn.send(b"x" * 1024)
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    assert resp.status == 400 and "<Code>EntityTooLarge</Code>" in text


# ---- listing -----------------------------------------------------------------------------


def test_list_objects_v2_prefix_delimiter_pagination(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    keys = ["a/1", "a/2", "a/b/3", "b/1", "c", "d+e f", "é"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    out = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in out["Contents"]] == sorted(keys, key=lambda k: k.encode())
    assert out["KeyCount"] == len(keys) and not out["IsTruncated"]
    out = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in out["Contents"]] == ["c", "d+e f", "é"]
    out = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in out["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/b/"]
    # pages of two, delimiter on: common prefixes count as one entry each
    seen: list[str] = []
    kw: dict[str, str] = {}
    while True:
        page = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=2, **kw)
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        seen += [o["Key"] for o in page.get("Contents", [])]
        assert page["KeyCount"] <= 2
        if not page["IsTruncated"]:
            break
        kw = {"ContinuationToken": page["NextContinuationToken"]}
    assert sorted(seen) == sorted(["a/", "b/", "c", "d+e f", "é"])
    out = s3.list_objects_v2(Bucket=bucket, StartAfter="b/1")
    assert [o["Key"] for o in out["Contents"]] == ["c", "d+e f", "é"]
    paginator = s3.get_paginator("list_objects_v2")
    assert (
        sum(
            p["KeyCount"]
            for p in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 3})
        )
        == 7
    )
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="garbage")
    assert _code(e) == "InvalidArgument"


def test_list_objects_v1_markers(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for k in ("k1", "k2", "k3", "p/x", "p/y"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    out = s3.list_objects(Bucket=bucket, MaxKeys=2)
    assert [o["Key"] for o in out["Contents"]] == ["k1", "k2"] and out["IsTruncated"]
    out = s3.list_objects(Bucket=bucket, Marker="k2")
    assert [o["Key"] for o in out["Contents"]] == ["k3", "p/x", "p/y"]
    out = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=3)
    assert [o["Key"] for o in out["Contents"]] == ["k1", "k2", "k3"]
    assert out["IsTruncated"] and out["NextMarker"] == "k3"
    assert (
        sum(
            len(p.get("Contents", []))
            for p in s3.get_paginator("list_objects").paginate(Bucket=bucket)
        )
        == 5
    )


# ---- multipart ---------------------------------------------------------------------------


def test_multipart_200mb_upload_and_download_with_checksums(s3, bucket: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "big.bin"
    seed = os.urandom(MB)
    md5 = hashlib.md5()
    with open(src, "wb") as f:
        for i in range(200):
            block = seed[i:] + seed[:i]  # cheap and different per MiB
            f.write(block)
            md5.update(block)
    cfg = TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=16 * MB, max_concurrency=4)
    s3.upload_file(str(src), bucket, "big.bin", Config=cfg)
    head = s3.head_object(Bucket=bucket, Key="big.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == 200 * MB
    assert head["ETag"].endswith('-13"') and head["PartsCount"] == 13
    assert head["ChecksumCRC32"].endswith("-13") and head["ChecksumType"] == "COMPOSITE"
    out = tmp_path / "out.bin"
    s3.download_file(bucket, "big.bin", str(out), Config=cfg)
    got = hashlib.md5()
    with open(out, "rb") as f:
        while block := f.read(8 * MB):
            got.update(block)
    assert got.hexdigest() == md5.hexdigest()


def test_multipart_rules(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", Metadata={"m": "1"})["UploadId"]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [up]
    p1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=b"a" * 100)
    p2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=2, Body=b"b" * 100)
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 100), (2, 100)]
    one = {"PartNumber": 1, "ETag": p1["ETag"]}
    two = {"PartNumber": 2, "ETag": p2["ETag"]}
    for given, code in (
        ([two, one], "InvalidPartOrder"),
        ([one, {"PartNumber": 3, "ETag": p2["ETag"]}], "InvalidPart"),
        ([one, {"PartNumber": 2, "ETag": p1["ETag"]}], "InvalidPart"),
        ([one, two], "EntityTooSmall"),  # part 1 is under 5 MiB
    ):
        with pytest.raises(ClientError) as e:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={"Parts": given}
            )
        assert _code(e) == code
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=10001, Body=b"x")
    assert _code(e) == "InvalidArgument"
    # a single (last) part may be small
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={"Parts": [one]}
    )
    expect = hashlib.md5(bytes.fromhex(p1["ETag"].strip('"'))).hexdigest()
    assert done["ETag"] == f'"{expect}-1"'
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["Body"].read() == b"a" * 100 and got["Metadata"] == {"m": "1"}
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=up)
    assert _code(e) == "NoSuchUpload"
    up2 = s3.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="gone", UploadId=up2, PartNumber=1, Body=b"z")
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=up2)
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=up2)
    assert _code(e) == "NoSuchUpload"
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_upload_part_copy(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(6 * MB)
    s3.put_object(Bucket=bucket, Key="src", Body=body)
    up = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    a = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{5 * MB - 1}",
    )  # fmt: skip
    b = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=up, PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes={5 * MB}-{6 * MB - 1}",
    )  # fmt: skip
    s3.complete_multipart_upload(
        Bucket=bucket, Key="dst", UploadId=up,
        MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": a["CopyPartResult"]["ETag"]},
            {"PartNumber": 2, "ETag": b["CopyPartResult"]["ETag"]},
        ]},
    )  # fmt: skip
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == body


# ---- presigned URLs and addressing ------------------------------------------------------


@pytest.mark.parametrize("version", ["s3", "s3v4"])
def test_presigned_put_by_curl_and_get(
    server: ServerProcess, bucket: str, tmp_path, version: str
) -> None:  # type: ignore[no-untyped-def]
    s3 = make_client(server.url, "s3", config=Config(signature_version=version))
    put = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "up/by curl.txt"}, ExpiresIn=300
    )
    src = tmp_path / "f.txt"
    src.write_bytes(b"sent by curl")
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", str(src), put],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert out.stdout == "200"
    get = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "up/by curl.txt"}
    )
    with urllib.request.urlopen(get) as r:
        assert r.read() == b"sent by curl"
    tampered = get.replace("up/by%20curl.txt", "up/other.txt")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered)
    assert e.value.code == 403
    e.value.close()


def test_virtual_hosted_style(server: ServerProcess, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="v/key", Body=b"vhost")
    # a client addressing the bucket by Host (as DNS would route <bucket>.s3.localhost)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v/key"})
    query = urllib.parse.urlsplit(url).query
    conn.request("GET", f"/{bucket}/v/key?{query}")
    assert conn.getresponse().read() == b"vhost"
    conn.close()
    vs3 = make_client(
        server.url.replace("127.0.0.1", "s3.localhost"),
        "s3",
        config=Config(s3={"addressing_style": "virtual"}),
    )

    # s3.localhost does not resolve everywhere: send to 127.0.0.1 with the virtual Host header
    def to_loopback(request, **kwargs):  # type: ignore[no-untyped-def]
        parts = urllib.parse.urlsplit(request.url)
        request.headers["Host"] = parts.netloc
        request.url = request.url.replace(parts.hostname, "127.0.0.1", 1)

    vs3.meta.events.register_last("before-send.s3", lambda request, **kw: None)
    vs3.meta.events.register("request-created.s3", to_loopback)
    assert vs3.get_object(Bucket=bucket, Key="v/key")["Body"].read() == b"vhost"
    assert [o["Key"] for o in vs3.list_objects_v2(Bucket=bucket)["Contents"]] == ["v/key"]


# ---- aws-chunked bodies ------------------------------------------------------------------


def _trailer_checksums(s3) -> None:  # type: ignore[no-untyped-def]
    """Make boto3 send PutObject/UploadPart as it does over TLS: an aws-chunked body with an
    unsigned payload and the checksum in a trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)."""

    def to_trailer(params, **kwargs):  # type: ignore[no-untyped-def]
        algorithm = params["context"].get("checksum", {}).get("request_algorithm")
        if algorithm:
            algorithm["in"] = "trailer"

    s3.meta.events.register("before-call.s3.PutObject", to_trailer)
    s3.meta.events.register("before-call.s3.UploadPart", to_trailer)


def test_aws_chunked_bodies_with_trailing_checksums(server: ServerProcess, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3 = server.client("s3")
    _trailer_checksums(s3)
    seen: list[str] = []
    s3.meta.events.register(
        "before-send.s3.PutObject",
        lambda request, **kw: seen.append(request.headers["X-Amz-Content-SHA256"]),
    )
    body = os.urandom(3 * MB + 17)
    out = s3.put_object(Bucket=bucket, Key="chunked", Body=body, ChecksumAlgorithm="SHA256")
    assert [str(v, "ascii") if isinstance(v, bytes) else v for v in seen] == [
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    ]
    assert out["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    got = s3.get_object(Bucket=bucket, Key="chunked")
    assert got["Body"].read() == body and "ContentEncoding" not in got

    # a trailer that does not match the body is refused and nothing is stored
    def corrupt(request, **kw):  # type: ignore[no-untyped-def]
        data = request.body.read() if hasattr(request.body, "read") else request.body
        head, sep, rest = data.partition(b"x-amz-checksum-crc32:")
        request.body = head + sep + b"AAAAAA==" + rest[rest.index(b"\r\n") :]

    s3.meta.events.register("before-send.s3.PutObject", corrupt)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="bad-trailer", Body=b"some bytes")
    assert e.value.response["Error"]["Code"] == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad-trailer")


# ---- crash safety ------------------------------------------------------------------------


def test_kill_9_during_uploads_loses_no_completed_object_and_shows_no_partial_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        s3 = srv.client("s3")
        s3.create_bucket(Bucket="crash")
        done = {}
        for i in range(5):
            body = os.urandom(256 * 1024 + i)
            s3.put_object(Bucket="crash", Key=f"done/{i}", Body=body)
            done[f"done/{i}"] = hashlib.md5(body).hexdigest()
        up = s3.create_multipart_upload(Bucket="crash", Key="done/mp")["UploadId"]
        part = s3.upload_part(Bucket="crash", Key="done/mp", UploadId=up, PartNumber=1, Body=b"p")
        s3.complete_multipart_upload(
            Bucket="crash", Key="done/mp", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )  # fmt: skip
        done["done/mp"] = hashlib.md5(b"p").hexdigest()
        # three uploads in flight: their headers and half their bodies sent, then kill -9
        conns = []
        for i in range(3):
            url = s3.generate_presigned_url(
                "put_object", Params={"Bucket": "crash", "Key": f"partial/{i}"}
            )
            parts = urllib.parse.urlsplit(url)
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            conn.putrequest("PUT", f"{parts.path}?{parts.query}")
            conn.putheader("Content-Length", str(4 * MB))
            conn.endheaders()
            conn.send(b"x" * (2 * MB))
            conns.append(conn)
        tmp = data / "objects" / "tmp"
        deadline = time.monotonic() + 20
        while sum(p.stat().st_size for p in tmp.iterdir()) < 3 * MB:
            assert time.monotonic() < deadline, "the uploads never reached the disk"
            time.sleep(0.02)
    finally:
        srv.stop(signal.SIGKILL)
    for conn in conns:
        conn.close()
    srv = start_server(data)
    try:
        s3 = srv.client("s3")
        listed = [o["Key"] for o in s3.list_objects_v2(Bucket="crash")["Contents"]]
        assert sorted(listed) == sorted(done)
        for key, md5 in done.items():
            body = s3.get_object(Bucket="crash", Key=key)["Body"].read()
            assert hashlib.md5(body).hexdigest() == md5
        for i in range(3):
            with pytest.raises(ClientError) as e:
                s3.head_object(Bucket="crash", Key=f"partial/{i}")
            assert _code(e) == "404"
        assert list(tmp.iterdir()) == []  # the partial bodies were removed on start
    finally:
        srv.stop()
