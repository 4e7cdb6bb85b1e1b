"""Typed commands of the Schemas use cases, built by the handlers from validated input."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CreateSchema:
    registry: str
    name: str
    type: str
    content: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateSchema:
    registry: str
    name: str
    type: str | None = None
    content: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Page:
    """A list request's paging: at most ``limit`` items after the opaque ``next_token``."""

    limit: int | None = None
    next_token: str | None = None
