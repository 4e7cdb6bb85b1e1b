"""STS's errors, worded as AWS's (the query codec sends the modeled shapes' legacy codes)."""

from __future__ import annotations

from ovis.errors import ApiError


class AccessDenied(ApiError):
    code, status = "AccessDenied", 403


class MalformedPolicyDocumentException(ApiError):
    code, status = "MalformedPolicyDocumentException", 400


class PackedPolicyTooLargeException(ApiError):
    code, status = "PackedPolicyTooLargeException", 400
