"""Errors the event source mapping API raises beyond ``ovis.errors``."""

from __future__ import annotations

from ovis.errors import ApiError, ResourceNotFoundException


class ResourceInUseException(ApiError):
    """The mapping is being deleted: it cannot be updated any more."""

    code, status = "ResourceInUseException", 400


def mapping_not_found() -> ResourceNotFoundException:
    return ResourceNotFoundException("The resource you requested does not exist.")
