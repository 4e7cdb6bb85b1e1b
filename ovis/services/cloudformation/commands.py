"""Typed commands of the CloudFormation use cases (built by operations.py from the API's
parameters, which the query codec has already checked against the model)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TemplateSource:
    """Where a template comes from: its body, an S3 URL, or (updates) the stack's own."""

    body: str | None = None
    url: str | None = None
    use_previous: bool = False


@dataclass(frozen=True)
class StackChange:
    """What CreateStack, UpdateStack and CreateChangeSet share."""

    stack_name: str
    template: TemplateSource
    parameters: tuple[tuple[str, str | None], ...] = ()  # None: UsePreviousValue
    capabilities: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] | None = None  # None: not given
    notification_arns: tuple[str, ...] | None = None
    role_arn: str | None = None
    client_request_token: str | None = None


@dataclass(frozen=True)
class CreateStack:
    change: StackChange
    disable_rollback: bool = False
    on_failure: str | None = None
    timeout_minutes: int | None = None
    termination_protection: bool = False


@dataclass(frozen=True)
class CreateChangeSet:
    change: StackChange
    change_set_name: str
    change_set_type: str = "UPDATE"
    description: str | None = None
    on_stack_failure: str | None = None
