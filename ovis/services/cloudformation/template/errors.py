"""Errors a template can raise, worded as CloudFormation words them.

Every error is a ``ValidationError`` (the query protocol's 400), so a caller that lets one
escape answers the client exactly as AWS does; nothing here ever leaves state behind (the
template package is pure).
"""

from __future__ import annotations

from ovis.errors import ValidationError


class TemplateError(ValidationError):
    """A template the service refuses; ``message`` is AWS's whole sentence."""


def format_error(detail: str) -> TemplateError:
    """AWS's "Template format error: ..." for a template that is malformed as written."""
    return TemplateError(f"Template format error: {detail}")


def template_error(detail: str) -> TemplateError:
    """AWS's "Template error: ..." for a template that is well formed but cannot be evaluated
    (a mapping key that is not there, a Select index out of range)."""
    return TemplateError(f"Template error: {detail}")
