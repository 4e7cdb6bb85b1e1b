"""One exception tree for everything Ovis reports to a client.

Each API error class carries its AWS error code (``code``, sent as ``x-amzn-ErrorType`` and in the
JSON body) and its HTTP status, so boto3 raises the modeled exception class. Code that raises these
never formats HTTP; the front door (``ovis.frontdoor``) renders them.
"""

from __future__ import annotations

from typing import Any


class OvisError(Exception):
    """Base of every error Ovis raises on purpose."""


class ApiError(OvisError):
    """An error a client sees as an AWS-shaped response."""

    code: str = "ServiceException"
    status: int = 500
    # Lambda sends {"Type": "User"|"Service", "message": ...}; most 4xx are "User".
    fault: str = "User"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra  # additional body members (e.g. Reason for throttles)
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
        return {"Type": self.fault, "message": self.message, **self.extra}


class ValidationException(ApiError):
    code, status = "ValidationException", 400


class InvalidParameterValueException(ApiError):
    code, status = "InvalidParameterValueException", 400


class InvalidRequestContentException(ApiError):
    code, status = "InvalidRequestContentException", 400


class ResourceNotFoundException(ApiError):
    code, status = "ResourceNotFoundException", 404


class ResourceConflictException(ApiError):
    code, status = "ResourceConflictException", 409


class PreconditionFailedException(ApiError):
    code, status = "PreconditionFailedException", 412


class RequestTooLargeException(ApiError):
    code, status = "RequestTooLargeException", 413


class RequestEntityTooLargeException(ApiError):
    # Not a modeled Lambda exception but what AWS's front door answers for oversized uploads.
    code, status = "RequestEntityTooLargeException", 413


class TooManyRequestsException(ApiError):
    code, status = "TooManyRequestsException", 429


class UnsupportedMediaTypeException(ApiError):
    code, status = "UnsupportedMediaTypeException", 415


class UnknownOperationException(ApiError):
    code, status = "UnknownOperationException", 404


class MethodNotAllowedException(ApiError):
    code, status = "MethodNotAllowedException", 405


class ServiceException(ApiError):
    code, status, fault = "ServiceException", 500, "Service"


# --- authentication (the AWS front door; body shape differs slightly: {"message": ...}) ---


class AuthError(ApiError):
    status = 403

    def body(self) -> dict[str, Any]:
        return {"message": self.message}


class InvalidSignatureException(AuthError):
    code = "InvalidSignatureException"


class UnrecognizedClientException(AuthError):
    code = "UnrecognizedClientException"


class InvalidClientTokenId(AuthError):
    """STS's and IAM's wording of UnrecognizedClientException (query-protocol services)."""

    code = "InvalidClientTokenId"


class ExpiredTokenException(AuthError):
    """Temporary credentials used after their expiry."""

    code = "ExpiredTokenException"


class QueryExpiredToken(AuthError):
    """STS's and IAM's wording of ExpiredTokenException."""

    code, status = "ExpiredToken", 400


class MissingAuthenticationTokenException(AuthError):
    code = "MissingAuthenticationTokenException"


class IncompleteSignatureException(AuthError):
    code = "IncompleteSignatureException"
    status = 400


# --- platform-internal errors (never rendered directly) ---


class SandboxError(OvisError):
    """An instance could not be started or died; the invoke layer maps it to a function error."""


# --- protocol codecs (ovis.protocols): errors of the wire formats other than rest-json ---


class SerializationException(ApiError):
    """A JSON-protocol body that is not a JSON object, or a member of the wrong JSON type."""

    code, status = "SerializationException", 400


class UnknownTargetException(ApiError):
    """A JSON-protocol ``X-Amz-Target`` naming no operation: AWS answers 400, not 404."""

    code, status = "UnknownOperationException", 400


class InvalidAction(ApiError):
    """A query-protocol ``Action`` naming no operation of the service."""

    code, status = "InvalidAction", 400


class ValidationError(ApiError):
    """The query protocol's spelling of ValidationException (IAM, STS, CloudFormation)."""

    code, status = "ValidationError", 400


class InvalidParameterValue(ApiError):
    """A query-protocol parameter that is not of its member's type (an integer, base64)."""

    code, status = "InvalidParameterValue", 400


class MalformedQueryString(ApiError):
    """A query-protocol form or query string that cannot be decoded."""

    code, status = "MalformedQueryString", 400


class MalformedXML(ApiError):
    """A rest-xml body that is not well-formed XML, or declares a DTD or entities."""

    code, status = "MalformedXML", 400


class MethodNotAllowed(ApiError):
    """S3's spelling of a known resource called with the wrong HTTP method."""

    code, status = "MethodNotAllowed", 405


class InvalidArgument(ApiError):
    """S3's error for a URI, query or header value that is not of its member's type."""

    code, status = "InvalidArgument", 400


class OperationNotSupported(ApiError):
    """An operation a service's model has but this server does not implement, or any operation
    of a service it lacks. Its code is what AWS answers, in the protocol the request came in,
    for an action its endpoint does not know; each codec renders it like any other error."""

    status = 400
    _CODES = {
        "rest-json": "UnsupportedOperationException",
        "json": "UnknownOperationException",
        "query": "InvalidAction",
        "rest-xml": "NotImplemented",
    }

    def __init__(self, service: str, operation: str, protocol: str) -> None:
        super().__init__(f"The operation {operation} of {service} is not supported by this server.")
        self.code = self._CODES.get(protocol, "UnknownOperationException")
        self.operation = operation


# --- event patterns (ovis.models.event_pattern): EventBridge rules, event source filters ---


class InvalidEventPatternException(ApiError):
    """An event pattern EventBridge would refuse; the message reads as AWS's does
    (``Event pattern is not valid. Reason: ...``)."""

    code, status = "InvalidEventPatternException", 400
