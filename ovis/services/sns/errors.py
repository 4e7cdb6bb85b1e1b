"""SNS errors, with the query codes and HTTP statuses of the botocore model (``NotFound``,
``InvalidParameter``...): boto3 raises the modeled class (``NotFoundException``) for each.

Messages read as AWS's: ``Topic does not exist``, ``Invalid parameter: TopicArn``... They are
``ApiError``s, so in-process callers can catch them like any other Ovis error.
"""

from __future__ import annotations

from ovis.errors import ApiError


class SnsError(ApiError):
    code = query_code = "InternalError"
    status = 400
    fault = "Sender"


class NotFound(SnsError):
    code = query_code = "NotFound"
    status = 404


class InvalidParameter(SnsError):
    code = query_code = "InvalidParameter"

    def __init__(self, what: str) -> None:
        super().__init__(f"Invalid parameter: {what}")


class InvalidParameterValue(SnsError):
    code = query_code = "ParameterValueInvalid"


class AuthorizationError(SnsError):
    code = query_code = "AuthorizationError"
    status = 403


class ResourceNotFound(SnsError):
    code = query_code = "ResourceNotFound"
    status = 404


class TagLimitExceeded(SnsError):
    code = query_code = "TagLimitExceeded"


class FilterPolicyLimitExceeded(SnsError):
    code = query_code = "FilterPolicyLimitExceeded"
    status = 403


class BatchEntryIdsNotDistinct(SnsError):
    code = query_code = "BatchEntryIdsNotDistinct"


class BatchRequestTooLong(SnsError):
    code = query_code = "BatchRequestTooLong"


class EmptyBatchRequest(SnsError):
    code = query_code = "EmptyBatchRequest"


class InvalidBatchEntryId(SnsError):
    code = query_code = "InvalidBatchEntryId"


class TooManyEntriesInBatchRequest(SnsError):
    code = query_code = "TooManyEntriesInBatchRequest"


class InternalError(SnsError):
    code = query_code = "InternalError"
    status = 500
    fault = "Receiver"


def topic_not_found() -> NotFound:
    return NotFound("Topic does not exist")


def subscription_not_found() -> NotFound:
    return NotFound("Subscription does not exist")
