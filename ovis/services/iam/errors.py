"""IAM's errors, by their modeled shape names (the query codec sends the shape's legacy code,
e.g. ``NoSuchEntity``, which boto3 maps back to ``client.exceptions.NoSuchEntityException``).
Messages are AWS's wording."""

from __future__ import annotations

from ovis.errors import ApiError


class IamError(ApiError):
    status = 400


class NoSuchEntityException(IamError):
    code, status = "NoSuchEntityException", 404


class EntityAlreadyExistsException(IamError):
    code, status = "EntityAlreadyExistsException", 409


class DeleteConflictException(IamError):
    code, status = "DeleteConflictException", 409


class LimitExceededException(IamError):
    code, status = "LimitExceededException", 409


class InvalidInputException(IamError):
    code = "InvalidInputException"


class MalformedPolicyDocumentException(IamError):
    code = "MalformedPolicyDocumentException"


class PolicyNotAttachableException(IamError):
    code = "PolicyNotAttachableException"


class UnsupportedOperation(IamError):
    """An IAM operation this server does not implement (IAM's InvalidAction wording)."""

    code = "InvalidAction"


def no_such_role(name: str) -> NoSuchEntityException:
    return NoSuchEntityException(f"The role with name {name} cannot be found.")


def no_such_policy(arn: str) -> NoSuchEntityException:
    return NoSuchEntityException(f"Policy {arn} was not found.")


def not_attachable(arn: str) -> NoSuchEntityException:
    return NoSuchEntityException(f"Policy {arn} does not exist or is not attachable.")
