"""Application Auto Scaling's typed commands, built at the edge from the validated request.
``None`` means "not given" (RegisterScalableTarget on an existing target keeps that setting)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RegisterScalableTarget:
    namespace: str
    resource_id: str
    dimension: str
    min_capacity: int | None = None
    max_capacity: int | None = None
    role_arn: str | None = None
    suspended: Mapping[str, bool] | None = None  # SuspendedState as sent
    tags: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class PutScalingPolicy:
    name: str
    namespace: str
    resource_id: str
    dimension: str
    policy_type: str | None = None  # AWS's default: StepScaling
    config: Mapping[str, Any] | None = None  # TargetTrackingScalingPolicyConfiguration as sent
