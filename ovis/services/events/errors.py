"""EventBridge's errors: JSON 1.1 ``__type`` codes with AWS's messages, all HTTP 400 except
InternalException. Invalid event patterns raise ``ovis.errors.InvalidEventPatternException``
(the shared matcher's error, same code)."""

from __future__ import annotations

from ovis.errors import ApiError


class EventsError(ApiError):
    code, status = "ValidationException", 400


class ValidationException(EventsError):
    code = "ValidationException"


class ResourceNotFoundException(EventsError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(EventsError):
    code = "ResourceAlreadyExistsException"


class LimitExceededException(EventsError):
    code = "LimitExceededException"


class InternalException(EventsError):
    code, status, fault = "InternalException", 500, "Service"


def bus_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Event bus {name} does not exist.")


def rule_not_found(name: str, bus: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Rule {name} does not exist on EventBus {bus}.")
