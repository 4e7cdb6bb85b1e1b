"""Typed commands of the scheduler's use cases (built by the handlers from validated input)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PutSchedule:
    """CreateSchedule and UpdateSchedule: the whole definition (Update replaces it all)."""

    name: str
    group: str
    expression: str
    timezone: str | None
    start_ms: int | None
    end_ms: int | None
    description: str | None
    state: str
    flexible_mode: str
    flexible_window_min: int | None
    action_after_completion: str
    kms_key_arn: str | None
    target: dict[str, Any] = field(hash=False)
    client_token: str = ""


@dataclass(frozen=True)
class ListSchedules:
    group: str | None = None
    name_prefix: str | None = None
    state: str | None = None
    next_token: str | None = None
    max_results: int | None = None
