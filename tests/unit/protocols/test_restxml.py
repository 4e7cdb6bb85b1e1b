"""rest-xml (S3) against botocore."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ovis.errors import ApiError, MalformedXML, MethodNotAllowed, ResourceNotFoundException
from ovis.protocols import codec_for
from ovis.protocols.base import HttpRequest
from ovis.protocols.restxml import RestXmlCodec

from .oracle import normalize, parse_error, parse_output, request

STAMP = datetime(2026, 12, 1, 19, 38, 16, tzinfo=UTC)


@pytest.fixture(scope="module")
def s3() -> RestXmlCodec:
    c = codec_for("s3")
    assert isinstance(c, RestXmlCodec)
    return c


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        (
            "PutObject",
            {
                "Bucket": "b",
                "Key": "dir/sub dir/k%ey+é",
                "Body": b"\x00data",
                "ContentType": "text/plain",
                "Metadata": {"owner": "me", "x": "y z"},
                "ContentLength": 5,
            },
        ),
        ("GetObject", {"Bucket": "b", "Key": "k", "Range": "bytes=0-1", "VersionId": "v"}),
        ("HeadObject", {"Bucket": "b", "Key": "a/b/"}),
        ("DeleteObject", {"Bucket": "b", "Key": "k"}),
        ("ListObjectsV2", {"Bucket": "b", "Prefix": "p/", "MaxKeys": 10, "ContinuationToken": "t"}),
        ("ListObjects", {"Bucket": "b", "Marker": "m"}),
        ("ListBuckets", {}),
        (
            "CreateBucket",
            {"Bucket": "b", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}},
        ),
        ("CreateBucket", {"Bucket": "b"}),
        (
            "DeleteObjects",
            {
                "Bucket": "b",
                "Delete": {
                    "Objects": [{"Key": "a"}, {"Key": "b<&>", "VersionId": "1"}],
                    "Quiet": True,
                },
            },
        ),
        ("CreateMultipartUpload", {"Bucket": "b", "Key": "k"}),
        ("UploadPart", {"Bucket": "b", "Key": "k", "PartNumber": 1, "UploadId": "u", "Body": b"x"}),
        (
            "CompleteMultipartUpload",
            {
                "Bucket": "b",
                "Key": "k",
                "UploadId": "u",
                "MultipartUpload": {
                    "Parts": [{"ETag": '"e1"', "PartNumber": 1}, {"ETag": '"e2"', "PartNumber": 2}]
                },
            },
        ),
        ("CopyObject", {"Bucket": "b", "Key": "k", "CopySource": "src/k"}),
        (
            "PutObjectTagging",
            {"Bucket": "b", "Key": "k", "Tagging": {"TagSet": [{"Key": "a", "Value": "b"}]}},
        ),
        ("GetBucketTagging", {"Bucket": "b"}),
        ("DeleteBucket", {"Bucket": "b"}),
    ],
)
def test_botocore_requests_parse_to_their_params(
    s3: RestXmlCodec, operation: str, params: dict[str, Any]
) -> None:
    req = request("s3", operation, params)
    assert s3.operation(req) == operation
    parsed = s3.parse(operation, req)
    if "ContentMD5" in parsed and "ContentMD5" not in params:  # botocore adds checksums
        del parsed["ContentMD5"]
    parsed = {k: v for k, v in parsed.items() if not k.startswith(("Checksum", "ContentMD5"))}
    assert parsed == params


def test_virtual_hosted_bucket_comes_as_a_label(s3: RestXmlCodec) -> None:
    req = HttpRequest("GET", "/dir/key", "", {}, b"")
    assert s3.operation(req, labels={"Bucket": "b"}) == "GetObject"
    assert s3.parse("GetObject", req, labels={"Bucket": "b"}) == {"Bucket": "b", "Key": "dir/key"}
    req = HttpRequest("GET", "/", "list-type=2", {}, b"")
    assert s3.operation(req, labels={"Bucket": "b"}) == "ListObjectsV2"
    req = HttpRequest("GET", "/", "", {}, b"")
    assert s3.operation(req, labels={"Bucket": "b"}) == "ListObjects"
    assert s3.operation(req) == "ListBuckets"
    req = HttpRequest("PUT", "/", "", {}, b"")
    assert s3.operation(req, labels={"Bucket": "b"}) == "CreateBucket"
    assert s3.parse("CreateBucket", req, labels={"Bucket": "b"}) == {"Bucket": "b"}


@pytest.mark.parametrize(
    ("operation", "output"),
    [
        (
            "ListObjectsV2",
            {
                "IsTruncated": False,
                "Contents": [
                    {
                        "Key": "a&b",
                        "LastModified": STAMP,
                        "ETag": '"e"',
                        "Size": 3,
                        "StorageClass": "STANDARD",
                    },
                    {"Key": "c", "LastModified": STAMP, "Size": 0},
                ],
                "Name": "b",
                "Prefix": "",
                "MaxKeys": 1000,
                "CommonPrefixes": [{"Prefix": "d/"}],
                "KeyCount": 2,
            },
        ),
        (
            "ListBuckets",
            {
                "Buckets": [
                    {"Name": "a", "CreationDate": STAMP},
                    {"Name": "b", "CreationDate": STAMP},
                ],
                "Owner": {"DisplayName": "me", "ID": "1"},
            },
        ),
        (
            "GetObject",
            {
                "Body": b"\x00bytes",
                "ContentLength": 6,
                "ContentType": "application/octet-stream",
                "ETag": '"e"',
                "LastModified": STAMP,
                "Metadata": {"owner": "me"},
                "VersionId": "v",
            },
        ),
        ("CreateMultipartUpload", {"Bucket": "b", "Key": "k", "UploadId": "u"}),
        ("CopyObject", {"CopyObjectResult": {"ETag": '"e"', "LastModified": STAMP}}),
        ("GetObjectTagging", {"TagSet": [{"Key": "a", "Value": "b"}]}),
        (  # Grantee's Type is an XML attribute (xsi:type) of its element
            "GetBucketAcl",
            {
                "Owner": {"DisplayName": "me", "ID": "1"},
                "Grants": [
                    {
                        "Grantee": {"DisplayName": "me", "ID": "1", "Type": "CanonicalUser"},
                        "Permission": "FULL_CONTROL",
                    }
                ],
            },
        ),
        (
            "DeleteObjects",
            {"Deleted": [{"Key": "a"}], "Errors": [{"Key": "b", "Code": "AccessDenied"}]},
        ),
    ],
)
def test_serialized_outputs_parse_in_botocore(
    s3: RestXmlCodec, operation: str, output: dict[str, Any]
) -> None:
    resp = s3.serialize(operation, {**output, "NotAMember": 1}, "rid")
    parsed = parse_output(s3.model.operation_model(operation), resp, "rest-xml")
    if "Body" in parsed:
        body = parsed.pop("Body")
        assert (body.encode() if isinstance(body, str) else body) == output["Body"]
        output = {k: v for k, v in output.items() if k != "Body"}
    assert normalize(parsed) == normalize(output)


def test_get_object_headers(s3: RestXmlCodec) -> None:
    resp = s3.serialize(
        "GetObject", {"Body": b"x", "LastModified": STAMP, "Metadata": {"a": "b"}}, "r"
    )
    assert resp.headers["Last-Modified"] == "Tue, 01 Dec 2026 19:38:16 GMT"
    assert resp.headers["x-amz-meta-a"] == "b"
    assert resp.body == b"x"


@pytest.mark.parametrize(
    "err",
    [
        ResourceNotFoundException("The specified key does not exist.", Key="k"),
        MalformedXML("bad"),
        MethodNotAllowed("The specified method is not allowed against this resource."),
    ],
)
def test_errors_parse_in_botocore(s3: RestXmlCodec, err: ApiError) -> None:
    resp = s3.error(err, "rid")
    assert resp.status == err.status
    assert resp.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>')
    parsed = parse_error(resp, "rest-xml")
    assert (parsed["Code"], parsed["Message"]) == (err.code, err.message)


def test_unknown_method_is_s3s_method_not_allowed(s3: RestXmlCodec) -> None:
    with pytest.raises(MethodNotAllowed):
        s3.operation(HttpRequest("PATCH", "/b/k", "", {}, b""))


@pytest.mark.parametrize(
    "body",
    [
        b"<CreateBucketConfiguration><LocationConstraint>x",
        b"not xml",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CreateBucketConfiguration>'
        b"<LocationConstraint>&a;</LocationConstraint></CreateBucketConfiguration>",
        b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
        b"<a>" * 1000 + b"</a>" * 1000,
        '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'.encode("utf-16"),  # no byte-level escape
    ],
)
def test_hostile_or_broken_xml_is_malformed(s3: RestXmlCodec, body: bytes) -> None:
    req = HttpRequest("PUT", "/b", "", {}, body)
    with pytest.raises(MalformedXML):
        s3.parse("CreateBucket", req)


def test_bad_scalars_are_api_errors(s3: RestXmlCodec) -> None:
    bad = [
        ("DeleteObjects", "POST", "/b", "delete", b"<Delete><Quiet>maybe</Quiet></Delete>"),
        ("ListObjectsV2", "GET", "/b", "list-type=2&max-keys=x", b""),
        ("UploadPart", "PUT", "/b/k", "partNumber=x&uploadId=u", b""),
    ]
    for op, method, path, query, body in bad:
        with pytest.raises(ApiError) as ei:
            s3.parse(op, HttpRequest(method, path, query, {}, body))
        assert 400 <= ei.value.status < 500
