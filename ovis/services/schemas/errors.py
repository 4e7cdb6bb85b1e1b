"""EventBridge Schemas' errors, as its rest-json API sends them: the code in
``x-amzn-ErrorType`` and ``{"Code": ..., "Message": ...}`` as the body (both modeled members)."""

from __future__ import annotations

from typing import Any

from ovis.errors import ApiError


class SchemasError(ApiError):
    code, status = "InternalServerErrorException", 500

    def body(self) -> dict[str, Any]:
        return {"Code": self.code, "Message": self.message, **self.extra}


class BadRequestException(SchemasError):
    code, status = "BadRequestException", 400


class NotFoundException(SchemasError):
    code, status = "NotFoundException", 404


class ConflictException(SchemasError):
    code, status = "ConflictException", 409


def registry_not_found(name: str) -> NotFoundException:
    return NotFoundException(f"Registry with name {name} does not exist.")


def schema_not_found(registry: str, name: str) -> NotFoundException:
    return NotFoundException(f"Schema with name {name} does not exist in registry {registry}.")
