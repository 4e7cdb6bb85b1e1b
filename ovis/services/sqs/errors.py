"""SQS errors. Each has two spellings, as on AWS since SQS moved to the JSON protocol:

* ``code``: the modeled shape name, sent as ``__type`` (``com.amazonaws.sqs#QueueDoesNotExist``);
  botocore names its exception classes after it (``client.exceptions.QueueDoesNotExist``);
* ``query_code``: the legacy query-protocol code (``AWS.SimpleQueueService.NonExistentQueue``),
  sent in the ``x-amzn-query-error`` header (which boto3 shows as ``Error.Code``), in XML error
  responses, and as the ``Code`` of a failed batch entry.

They are ``ApiError``s, so in-process callers (``QueueService.send_message``) can catch them like
any other Ovis error; the SQS codecs of ``ovis.protocols`` render them for either protocol
(``type_name`` as the JSON ``__type``, ``query_code`` and ``fault`` in XML and in the header).
"""

from __future__ import annotations

from ovis.errors import ApiError


class SqsError(ApiError):
    code = "InternalError"
    query_code = "InternalError"
    status = 400
    fault = "Sender"

    @property
    def type_name(self) -> str:
        """The error's shape id, as SQS sends it: ``com.amazonaws.sqs#QueueDoesNotExist``."""
        return f"com.amazonaws.sqs#{self.code}"


class QueueDoesNotExist(SqsError):
    code, query_code = "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameExists(SqsError):
    code, query_code = "QueueNameExists", "QueueAlreadyExists"


class PurgeQueueInProgress(SqsError):
    code, query_code = "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress"


class MessageNotInflight(SqsError):
    code, query_code = "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"


class ReceiptHandleIsInvalid(SqsError):
    code = query_code = "ReceiptHandleIsInvalid"


class BatchEntryIdsNotDistinct(SqsError):
    code, query_code = "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"


class BatchRequestTooLong(SqsError):
    code, query_code = "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong"


class EmptyBatchRequest(SqsError):
    code, query_code = "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"


class InvalidBatchEntryId(SqsError):
    code, query_code = "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId"


class TooManyEntriesInBatchRequest(SqsError):
    code = "TooManyEntriesInBatchRequest"
    query_code = "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"


class InvalidAttributeName(SqsError):
    code = query_code = "InvalidAttributeName"


class InvalidAttributeValue(SqsError):
    code = query_code = "InvalidAttributeValue"


class InvalidMessageContents(SqsError):
    code = query_code = "InvalidMessageContents"


class InvalidAddress(SqsError):
    code = query_code = "InvalidAddress"


class UnsupportedOperation(SqsError):
    code, query_code = "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation"


class ResourceNotFoundException(SqsError):
    code = query_code = "ResourceNotFoundException"


# Not modeled (no exception class in botocore): boto3 raises ClientError with Error.Code set to
# the query code, as against AWS.
class InvalidParameterValue(SqsError):
    code, query_code = "InvalidParameterValueException", "InvalidParameterValue"


class MissingParameter(SqsError):
    code = query_code = "MissingParameter"
