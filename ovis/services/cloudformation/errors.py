"""CloudFormation's errors, by their modeled shape names (the query codec sends the shape's
``error.code``, e.g. ``ChangeSetNotFound``, which boto3 maps back to
``client.exceptions.ChangeSetNotFoundException``). Most of CloudFormation's refusals are the
query protocol's plain ``ValidationError``; the helpers below word them as AWS does."""

from __future__ import annotations

import re

from ovis.errors import ApiError, ValidationError


class CloudFormationError(ApiError):
    status = 400


class AlreadyExistsException(CloudFormationError):
    code = "AlreadyExistsException"


class InsufficientCapabilitiesException(CloudFormationError):
    code = "InsufficientCapabilitiesException"


class ChangeSetNotFoundException(CloudFormationError):
    code, status = "ChangeSetNotFoundException", 404


class InvalidChangeSetStatusException(CloudFormationError):
    code = "InvalidChangeSetStatusException"


class LimitExceededException(CloudFormationError):
    code = "LimitExceededException"


class TokenAlreadyExistsException(CloudFormationError):
    code = "TokenAlreadyExistsException"


def no_such_stack(name_or_id: str) -> ValidationError:
    return ValidationError(f"Stack with id {name_or_id} does not exist")


def already_exists(name: str) -> AlreadyExistsException:
    return AlreadyExistsException(f"Stack [{name}] already exists")


def no_such_change_set(name: str) -> ChangeSetNotFoundException:
    return ChangeSetNotFoundException(f"ChangeSet [{name}] does not exist")


def busy(stack_id: str, status: str, verb: str = "updated") -> ValidationError:
    return ValidationError(f"Stack:{stack_id} is in {status} state and can not be {verb}.")


def no_updates() -> ValidationError:
    return ValidationError("No updates are to be performed.")


def insufficient_capabilities(needed: list[str]) -> InsufficientCapabilitiesException:
    return InsufficientCapabilitiesException(f"Requires capabilities : [{', '.join(needed)}]")


STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")


def check_new_stack_name(name: str) -> None:
    """A new stack's name as AWS constrains it (an existing stack may be named by its ARN)."""
    if not STACK_NAME.fullmatch(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )
