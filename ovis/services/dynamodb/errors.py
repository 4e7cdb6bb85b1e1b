"""DynamoDB errors: the modeled exception shapes of botocore's ``dynamodb`` model, HTTP 400
(``__type`` is the code; boto3 raises ``client.exceptions.<Code>``)."""

from __future__ import annotations

from typing import Any

from ovis.errors import ApiError


class DynamoDbError(ApiError):
    status = 400

    def body(self) -> dict[str, object]:
        return {"message": self.message, **self.extra}


class ValidationException(DynamoDbError):
    code = "ValidationException"


class ResourceNotFoundException(DynamoDbError):
    code = "ResourceNotFoundException"


class ResourceInUseException(DynamoDbError):
    code = "ResourceInUseException"


class LimitExceededException(DynamoDbError):
    code = "LimitExceededException"


class ConditionalCheckFailedException(DynamoDbError):
    """``Item``: the item as it was, when ReturnValuesOnConditionCheckFailure is ALL_OLD."""

    code = "ConditionalCheckFailedException"


class TransactionCanceledException(DynamoDbError):
    code = "TransactionCanceledException"


class TransactionConflictException(DynamoDbError):
    code = "TransactionConflictException"


class IdempotentParameterMismatchException(DynamoDbError):
    code = "IdempotentParameterMismatchException"


def invalid(message: str) -> ValidationException:
    """AWS's "One or more parameter values were invalid" family."""
    return ValidationException(f"One or more parameter values were invalid: {message}")


def table_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")


def not_found() -> ResourceNotFoundException:
    return ResourceNotFoundException("Requested resource not found")


def condition_failed(item: dict[str, Any] | None) -> ConditionalCheckFailedException:
    """``item`` in its JSON form (``values.wire_item``: error bodies are plain JSON)."""
    extra: dict[str, Any] = {} if item is None else {"Item": item}
    return ConditionalCheckFailedException("The conditional request failed", **extra)
