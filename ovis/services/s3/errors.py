"""S3's errors, with S3's codes, statuses and wording (rendered by the rest-xml codec as
``<Error><Code/><Message/>...</Error>``; ``extra`` members such as ``BucketName`` or ``Key`` go in
the document as S3 sends them)."""

from __future__ import annotations

from typing import Any

from ovis.errors import ApiError


class S3Error(ApiError):
    code, status = "InternalError", 500
    default = "We encountered an internal error. Please try again."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        super().__init__(message or self.default, **extra)


class NoSuchBucket(S3Error):
    code, status = "NoSuchBucket", 404
    default = "The specified bucket does not exist"


class NoSuchKey(S3Error):
    code, status = "NoSuchKey", 404
    default = "The specified key does not exist."


class NoSuchTagSet(S3Error):
    code, status = "NoSuchTagSet", 404
    default = "The TagSet does not exist"


class NoSuchBucketPolicy(S3Error):
    code, status = "NoSuchBucketPolicy", 404
    default = "The bucket policy does not exist"


class BucketNotEmpty(S3Error):
    code, status = "BucketNotEmpty", 409
    default = "The bucket you tried to delete is not empty"


class InvalidBucketName(S3Error):
    code, status = "InvalidBucketName", 400
    default = "The specified bucket is not valid."


class InvalidLocationConstraint(S3Error):
    code, status = "InvalidLocationConstraint", 400
    default = "The specified location-constraint is not valid"


class MalformedPolicy(S3Error):
    code, status = "MalformedPolicy", 400
    default = "Policies must be valid JSON and the first byte must be '{'"


class InvalidRequest(S3Error):
    code, status = "InvalidRequest", 400
    default = "Invalid Request"


class InvalidArgumentS3(S3Error):
    code, status = "InvalidArgument", 400
    default = "Invalid Argument"


class InvalidRange(S3Error):
    code, status = "InvalidRange", 416
    default = "The requested range is not satisfiable"


class PreconditionFailed(S3Error):
    code, status = "PreconditionFailed", 412
    default = "At least one of the pre-conditions you specified did not hold"


class NotModified(S3Error):
    code, status = "NotModified", 304
    default = "Not Modified"


class BadDigest(S3Error):
    code, status = "BadDigest", 400
    default = "The Content-MD5 you specified did not match what we received."


class InvalidDigest(S3Error):
    code, status = "InvalidDigest", 400
    default = "The Content-MD5 you specified is not valid."


class EntityTooLarge(S3Error):
    code, status = "EntityTooLarge", 400
    default = "Your proposed upload exceeds the maximum allowed size"


class EntityTooSmall(S3Error):
    code, status = "EntityTooSmall", 400
    default = "Your proposed upload is smaller than the minimum allowed size"


class IncompleteBody(S3Error):
    code, status = "IncompleteBody", 400
    default = "The request body terminated unexpectedly"


class MissingContentLength(S3Error):
    code, status = "MissingContentLength", 411
    default = "You must provide the Content-Length HTTP header."


class InvalidChunkSizeError(S3Error):
    code, status = "InvalidChunkSizeError", 403
    default = "Only the last chunk is allowed to have a size less than 8192 bytes"


class NotImplementedS3(S3Error):
    code, status = "NotImplemented", 501
    default = "A header you provided implies functionality that is not implemented"


class InvalidTag(S3Error):
    code, status = "InvalidTag", 400
    default = "The TagKey you have provided is invalid"


def bad_checksum(algorithm: str) -> S3Error:
    """S3's answer to an x-amz-checksum-* that does not match the body."""
    return BadDigest(
        f"The {algorithm.upper()} you specified did not match the calculated checksum."
    )


class SignatureDoesNotMatch(S3Error):
    code, status = "SignatureDoesNotMatch", 403
    default = (
        "The request signature we calculated does not match the signature you provided. Check "
        "your key and signing method."
    )


class BucketAlreadyOwnedByYou(S3Error):
    code, status = "BucketAlreadyOwnedByYou", 409
    default = "Your previous request to create the named bucket succeeded and you already own it."


class IllegalLocationConstraintException(S3Error):
    code, status = "IllegalLocationConstraintException", 400
    default = (
        "The unspecified location constraint is incompatible for the region specific endpoint "
        "this request was sent to."
    )


class MalformedXML(S3Error):
    code, status = "MalformedXML", 400
    default = (
        "The XML you provided was not well-formed or did not validate against our published schema"
    )


class XAmzContentSHA256Mismatch(S3Error):
    code, status = "XAmzContentSHA256Mismatch", 400
    default = "The provided 'x-amz-content-sha256' header does not match what was computed."


class InvalidPart(S3Error):
    code, status = "InvalidPart", 400
    default = (
        "One or more of the specified parts could not be found.  The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag."
    )


class InvalidPartOrder(S3Error):
    code, status = "InvalidPartOrder", 400
    default = "The list of parts was not in ascending order. Parts must be ordered by part number."


class NoSuchUpload(S3Error):
    code, status = "NoSuchUpload", 404
    default = (
        "The specified upload does not exist. The upload ID may be invalid, or the upload may "
        "have been aborted or completed."
    )


class KeyTooLongError(S3Error):
    code, status = "KeyTooLongError", 400
    default = "Your key is too long"


class MetadataTooLarge(S3Error):
    code, status = "MetadataTooLarge", 400
    default = "Your metadata headers exceed the maximum allowed metadata size"


# ---- "not set" answers of bucket sub-resources (what S3 answers for a bucket that never had
# the configuration; clients such as Terraform's provider read them and treat the code as unset)


class NoSuchCORSConfiguration(S3Error):
    code, status = "NoSuchCORSConfiguration", 404
    default = "The CORS configuration does not exist"


class NoSuchWebsiteConfiguration(S3Error):
    code, status = "NoSuchWebsiteConfiguration", 404
    default = "The specified bucket does not have a website configuration"


class NoSuchLifecycleConfiguration(S3Error):
    code, status = "NoSuchLifecycleConfiguration", 404
    default = "The lifecycle configuration does not exist"


class ReplicationConfigurationNotFoundError(S3Error):
    code, status = "ReplicationConfigurationNotFoundError", 404
    default = "The replication configuration was not found"


class ObjectLockConfigurationNotFoundError(S3Error):
    code, status = "ObjectLockConfigurationNotFoundError", 404
    default = "Object Lock configuration does not exist for this bucket"


class NoSuchPublicAccessBlockConfiguration(S3Error):
    code, status = "NoSuchPublicAccessBlockConfiguration", 404
    default = "The public access block configuration was not found"


class OwnershipControlsNotFoundError(S3Error):
    code, status = "OwnershipControlsNotFoundError", 404
    default = "The bucket ownership controls were not found"
