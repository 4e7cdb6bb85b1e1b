"""Kinesis errors: the modeled exception shapes of the botocore ``kinesis`` model, all HTTP 400
as AWS sends them (``__type`` is the code; boto3 raises ``client.exceptions.<Code>``)."""

from __future__ import annotations

from ovis.errors import ApiError


class KinesisError(ApiError):
    status = 400

    def body(self) -> dict[str, object]:
        return {"message": self.message, **self.extra}


class ResourceNotFoundException(KinesisError):
    code = "ResourceNotFoundException"


class ResourceInUseException(KinesisError):
    code = "ResourceInUseException"


class InvalidArgumentException(KinesisError):
    code = "InvalidArgumentException"


class LimitExceededException(KinesisError):
    code = "LimitExceededException"


class ExpiredIteratorException(KinesisError):
    code = "ExpiredIteratorException"


class ExpiredNextTokenException(KinesisError):
    code = "ExpiredNextTokenException"


class ValidationException(KinesisError):
    code = "ValidationException"


class DryRunOperationException(KinesisError):
    code = "DryRunOperationException"


class InternalFailureException(KinesisError):
    code, status, fault = "InternalFailureException", 500, "Service"


def stream_not_found(name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Stream {name} under account {account} not found.")


def shard_not_found(shard: str, name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(
        f"Shard {shard} in stream {name} under account {account} does not exist"
    )
