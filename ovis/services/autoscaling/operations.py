"""The Application Auto Scaling operations (JSON 1.1, ``X-Amz-Target: AnyScaleFrontendService.*``)
for provisioned concurrency: input arrives checked against botocore's
``application-autoscaling`` model by the front door's codec, then goes to ``scaling``."""

from __future__ import annotations

from typing import Any, TypeVar

from ovis.services.autoscaling.commands import PutScalingPolicy, RegisterScalableTarget
from ovis.services.autoscaling.scaling import (
    AutoscalingError,
    AutoscalingService,
    AutoscalingValidationException,
)
from ovis.services.context import Handler, RequestContext

T = TypeVar("T")


class InvalidNextTokenException(AutoscalingError):
    code = "InvalidNextTokenException"


def _page(items: list[T], p: dict[str, Any], most: int) -> tuple[list[T], str | None]:
    """One page of ``items`` by MaxResults (1..most, default most) and NextToken."""
    n = p.get("MaxResults", most)
    if not 1 <= n <= most:
        bound = f"less than or equal to {most}" if n > most else "greater than or equal to 1"
        raise AutoscalingValidationException(
            f"1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value {bound}"
        )
    start = 0
    token = p.get("NextToken")
    if token:
        try:
            start = int(token)
        except ValueError:
            start = -1
        if not 0 < start < len(items):
            raise InvalidNextTokenException("Invalid NextToken")
    end = start + n
    return items[start:end], (str(end) if end < len(items) else None)


class AutoscalingApi:
    def __init__(self, service: AutoscalingService) -> None:
        self.service = service
        self.handlers: dict[str, Handler] = {
            "RegisterScalableTarget": self.register_scalable_target,
            "DescribeScalableTargets": self.describe_scalable_targets,
            "DeregisterScalableTarget": self.deregister_scalable_target,
            "PutScalingPolicy": self.put_scaling_policy,
            "DescribeScalingPolicies": self.describe_scaling_policies,
            "DeleteScalingPolicy": self.delete_scaling_policy,
            "DescribeScalingActivities": self.describe_scaling_activities,
        }

    # ---- scalable targets ------------------------------------------------------------------

    async def register_scalable_target(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        cmd = RegisterScalableTarget(
            p["ServiceNamespace"],
            p["ResourceId"],
            p["ScalableDimension"],
            p.get("MinCapacity"),
            p.get("MaxCapacity"),
            p.get("RoleARN"),
            p.get("SuspendedState"),
            p.get("Tags"),
        )
        target = await self.service.register(cmd)
        return {"ScalableTargetARN": target.arn}

    async def describe_scalable_targets(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        targets = self.service.describe_targets(
            p["ServiceNamespace"], p.get("ResourceIds"), p.get("ScalableDimension")
        )
        page, token = _page(targets, p, 50)
        out: dict[str, Any] = {"ScalableTargets": [t.to_api() for t in page]}
        if token:
            out["NextToken"] = token
        return out

    async def deregister_scalable_target(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.service.deregister(
            p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"]
        )
        return {}

    # ---- scaling policies ------------------------------------------------------------------

    async def put_scaling_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = PutScalingPolicy(
            p["PolicyName"],
            p["ServiceNamespace"],
            p["ResourceId"],
            p["ScalableDimension"],
            p.get("PolicyType"),
            p.get("TargetTrackingScalingPolicyConfiguration"),
        )
        policy = await self.service.put_policy(cmd)
        return {"PolicyARN": policy.arn, "Alarms": [dict(a) for a in policy.alarms]}

    async def describe_scaling_policies(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        policies = self.service.describe_policies(
            p["ServiceNamespace"],
            p.get("PolicyNames"),
            p.get("ResourceId"),
            p.get("ScalableDimension"),
        )
        page, token = _page(policies, p, 10)
        out: dict[str, Any] = {"ScalingPolicies": [x.to_api() for x in page]}
        if token:
            out["NextToken"] = token
        return out

    async def delete_scaling_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.service.delete_policy(
            p["PolicyName"], p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"]
        )
        return {}

    async def describe_scaling_activities(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        # IncludeNotScaledActivities is accepted; this server records only scaling it did.
        activities = self.service.describe_activities(
            p["ServiceNamespace"], p.get("ResourceId"), p.get("ScalableDimension")
        )
        page, token = _page(activities, p, 50)
        out: dict[str, Any] = {"ScalingActivities": page}
        if token:
            out["NextToken"] = token
        return out
