"""EventBridge Scheduler's errors, as its rest-json API sends them: the code in
``x-amzn-ErrorType`` and ``{"Message": ...}`` as the body (the modeled member)."""

from __future__ import annotations

from typing import Any

from ovis.errors import ApiError


class SchedulerError(ApiError):
    code, status = "InternalServerException", 500

    def body(self) -> dict[str, Any]:
        return {"Message": self.message, **self.extra}


class ValidationException(SchedulerError):
    code, status = "ValidationException", 400


class ConflictException(SchedulerError):
    code, status = "ConflictException", 409


class ResourceNotFoundException(SchedulerError):
    code, status = "ResourceNotFoundException", 404


class ServiceQuotaExceededException(SchedulerError):
    code, status = "ServiceQuotaExceededException", 402


def schedule_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Schedule {name} does not exist.")


def group_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Schedule group {name} does not exist.")
