"""Application Auto Scaling of provisioned concurrency: scalable targets, target tracking
policies, scaling activities, and the scaler that applies the policies.

A scalable target is one Lambda alias or version (``function:NAME:QUALIFIER``, dimension
``lambda:function:ProvisionedConcurrency``) with a [MinCapacity, MaxCapacity] range; its capacity
is the qualifier's requested provisioned concurrency (0 without a config). Registering a target
brings the capacity into the range at once (AWS: "it changes the resource's current capacity to a
value that is inside of this range"); a target without a config and MinCapacity > 0 therefore gets
a config of MinCapacity, as Application Auto Scaling's PutProvisionedConcurrencyConfig call does.

The scaler reads what AWS's target tracking alarms read: the AWS/Lambda
``ProvisionedConcurrencyUtilization`` metric of the target (dimensions FunctionName and
Resource ``NAME:QUALIFIER``), one datapoint per period (a minute, times
``--cloudwatch-time-scale``) from the CloudWatch metric store, with the Maximum statistic (the
predefined metric's, as AWS's alarms use) or the customized specification's. The platform emits
that metric per invocation and as a gauge sampled at every flush (``PlatformMetrics.add_gauge``,
registered by ``watch``), so an idle alias reports 0. With ``--no-metrics`` nothing emits
that metric, so predefined policies fall back to sampling ``ProvisionedService.utilization``
once a tick (customized metrics are still read from the store). Every ``interval`` seconds
the scaler looks at the complete periods since the target's capacity last changed and became
READY:

- scale out (AlarmHigh: the metric of the last 3 datapoints above TargetValue): at once, subject
  only to ScaleOutCooldown since the previous scale-out;
- scale in (AlarmLow: the metric of the last 15 datapoints below 90% of TargetValue): only if
  every policy of the target agrees, none has DisableScaleIn, and ScaleInCooldown has passed
  since the last scaling activity of either direction (AWS counts it from the last scale-in, but
  its 15-minute AlarmLow keeps scale-in away from a fresh scale-out; with short windows we hold
  it explicitly);
- desired = ceil(capacity * metric / TargetValue), clamped to [MinCapacity, MaxCapacity], where
  the metric is the Average (default) or Maximum of those datapoints.

A target tracking policy also gets AWS's two CloudWatch alarms
(``TargetTracking-function:NAME:QUALIFIER-AlarmHigh-UUID`` / ``-AlarmLow-UUID``, on the same
metric, Period 60, 3 and 15 evaluation periods, thresholds TargetValue and 90% of it, their
action the policy's ARN), listed under the policy's ``Alarms``, visible in DescribeAlarms and
deleted with the policy (or its target). Without a metric store (unit tests) the scaler is idle.

Each change is a ``ProvisionedService.put`` (or delete, at 0) recorded as a scaling activity.
Targets and policies are persisted; activities are kept in memory (the newest 1000).
Contract: event-loop thread only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import re
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ovis.errors import ApiError
from ovis.invoke.metrics import LAMBDA, PlatformMetrics, ProvisionedSample
from ovis.invoke.provisioned import ProvisionedService
from ovis.models.arn import function_arn
from ovis.models.metric import MetricKey, dimensions
from ovis.services.autoscaling import policy_alarms
from ovis.services.autoscaling.commands import PutScalingPolicy, RegisterScalableTarget
from ovis.services.autoscaling.policy_alarms import (
    SCALE_IN_PERIODS,
    SCALE_IN_RATIO,
    SCALE_OUT_PERIODS,
)
from ovis.services.cloudwatch.alarms import AlarmService
from ovis.services.cloudwatch.metrics import MetricService
from ovis.services.cloudwatch.statistics import buckets
from ovis.services.lambda_.repositories import AutoscalingRepository
from ovis.settings import Settings

log = logging.getLogger(__name__)

NAMESPACE = "lambda"
DIMENSION = "lambda:function:ProvisionedConcurrency"
PREDEFINED_METRIC = "LambdaProvisionedConcurrencyUtilization"
TARGET_TRACKING = "TargetTrackingScaling"
UTILIZATION = "ProvisionedConcurrencyUtilization"
CUSTOM_STATISTICS = ("Average", "Minimum", "Maximum", "SampleCount", "Sum")
_RESOURCE = re.compile(r"function:([a-zA-Z0-9_-]{1,64}):([a-zA-Z0-9_-]{1,128})")

MAX_ACTIVITIES = 1000
# TargetValue range AWS accepts for any metric
MIN_TARGET, MAX_TARGET = 8.515920e-109, 1.174271e108

TargetKey = tuple[str, str, str]  # (namespace, resource id, dimension)


# ---- errors (JSON 1.1 shape) ---------------------------------------------------------------


class AutoscalingError(ApiError):
    """An Application Auto Scaling error: JSON 1.1 body, HTTP 400 as AWS sends them all."""

    code, status = "ValidationException", 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


class AutoscalingValidationException(AutoscalingError):
    code = "ValidationException"


class ObjectNotFoundException(AutoscalingError):
    code = "ObjectNotFoundException"


# ---- models -------------------------------------------------------------------------------

_SUSPENDED_KEYS = (
    "DynamicScalingInSuspended",
    "DynamicScalingOutSuspended",
    "ScheduledScalingSuspended",
)


@dataclass
class ScalableTarget:
    namespace: str
    resource_id: str
    dimension: str
    min_capacity: int
    max_capacity: int
    role_arn: str
    arn: str
    created: float
    suspended: dict[str, bool] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> TargetKey:
        return (self.namespace, self.resource_id, self.dimension)

    def to_api(self) -> dict[str, Any]:
        return {
            "ServiceNamespace": self.namespace,
            "ResourceId": self.resource_id,
            "ScalableDimension": self.dimension,
            "MinCapacity": self.min_capacity,
            "MaxCapacity": self.max_capacity,
            "RoleARN": self.role_arn,
            "CreationTime": self.created,
            "SuspendedState": {k: bool(self.suspended.get(k, False)) for k in _SUSPENDED_KEYS},
            "ScalableTargetARN": self.arn,
        }

    def to_json(self) -> dict[str, object]:
        return {**self.to_api(), "Tags": dict(self.tags)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ScalableTarget:
        return cls(
            d["ServiceNamespace"],
            d["ResourceId"],
            d["ScalableDimension"],
            int(d["MinCapacity"]),
            int(d["MaxCapacity"]),
            d["RoleARN"],
            d["ScalableTargetARN"],
            float(d["CreationTime"]),
            dict(d.get("SuspendedState") or {}),
            dict(d.get("Tags") or {}),
        )


@dataclass
class ScalingPolicy:
    name: str
    namespace: str
    resource_id: str
    dimension: str
    policy_type: str
    arn: str
    config: dict[str, Any]  # TargetTrackingScalingPolicyConfiguration as given
    alarms: list[dict[str, str]]
    created: float

    @property
    def target_key(self) -> TargetKey:
        return (self.namespace, self.resource_id, self.dimension)

    @property
    def target_value(self) -> float:
        return float(self.config["TargetValue"])

    @property
    def scale_in_cooldown(self) -> float:
        return float(self.config.get("ScaleInCooldown", 0))  # Lambda's default: 0

    @property
    def scale_out_cooldown(self) -> float:
        return float(self.config.get("ScaleOutCooldown", 0))

    @property
    def disable_scale_in(self) -> bool:
        return bool(self.config.get("DisableScaleIn", False))

    @property
    def statistic(self) -> str:
        custom = self.config.get("CustomizedMetricSpecification") or {}
        return str(custom.get("Statistic", "Average"))

    def metric(self, function: str, qualifier: str) -> tuple[MetricKey, str, str | None]:
        """(metric, per-period statistic, unit or None) the policy tracks: the target's
        AWS/Lambda ProvisionedConcurrencyUtilization (FunctionName, Resource), or the
        customized specification's metric."""
        custom = self.config.get("CustomizedMetricSpecification")
        if custom is None:
            dims = (("FunctionName", function), ("Resource", f"{function}:{qualifier}"))
            return MetricKey(LAMBDA, UTILIZATION, dims), "Maximum", None
        return (
            MetricKey(
                custom["Namespace"], custom["MetricName"], dimensions(custom.get("Dimensions"))
            ),
            str(custom["Statistic"]),
            custom.get("Unit"),
        )

    def alarm(self, kind: str) -> str:
        for a in self.alarms:
            if f"-{kind}-" in a["AlarmName"]:
                return a["AlarmName"]
        return f"TargetTracking-{self.resource_id}-{kind}"

    def to_api(self) -> dict[str, Any]:
        return {
            "PolicyARN": self.arn,
            "PolicyName": self.name,
            "ServiceNamespace": self.namespace,
            "ResourceId": self.resource_id,
            "ScalableDimension": self.dimension,
            "PolicyType": self.policy_type,
            "TargetTrackingScalingPolicyConfiguration": self.config,
            "Alarms": [dict(a) for a in self.alarms],
            "CreationTime": self.created,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ScalingPolicy:
        return cls(
            d["PolicyName"],
            d["ServiceNamespace"],
            d["ResourceId"],
            d["ScalableDimension"],
            d["PolicyType"],
            d["PolicyARN"],
            dict(d["TargetTrackingScalingPolicyConfiguration"]),
            [dict(a) for a in d.get("Alarms") or ()],
            float(d["CreationTime"]),
        )


@dataclass
class _Window:
    """The scaler's memory of one target: samples since its capacity last changed."""

    capacity: int = -1
    samples: deque[float] = field(default_factory=lambda: deque(maxlen=SCALE_IN_PERIODS))
    since_ms: int = 0  # periods starting before this (wall ms) predate the current capacity
    # each policy's datapoints when read from CloudWatch (policy name -> values, oldest first);
    # a policy missing here uses ``samples``
    by_policy: dict[str, list[float]] = field(default_factory=dict)
    last_out: float = -math.inf
    last_in: float = -math.inf


def _metric(samples: list[float], statistic: str) -> float:
    return max(samples) if statistic == "Maximum" else sum(samples) / len(samples)


def _desired(capacity: int, metric: float, target: float) -> int:
    return math.ceil(capacity * metric / target - 1e-9)


# ---- the service --------------------------------------------------------------------------


class AutoscalingService:
    def __init__(
        self, settings: Settings, store: AutoscalingRepository, provisioned: ProvisionedService
    ) -> None:
        self.settings = settings
        self.store = store
        self.provisioned = provisioned
        self.interval = settings.autoscaling_interval_s
        self.targets: dict[TargetKey, ScalableTarget] = {}
        self.policies: dict[tuple[str, str, str, str], ScalingPolicy] = {}
        self.activities: deque[dict[str, Any]] = deque(maxlen=MAX_ACTIVITIES)  # newest first
        self._windows: dict[TargetKey, _Window] = {}
        self.period_ms = max(100, int(60_000 * settings.cloudwatch_time_scale))
        self.metrics: MetricService | None = None
        self.alarms: AlarmService | None = None
        # --no-metrics: nothing emits the utilization metric, so predefined policies sample the
        # instances once a tick instead (customized metrics are still read from the store)
        self.sampling = False
        self._alarms_checked = False  # the first tick puts back alarms missing in CloudWatch

    def watch(
        self,
        metrics: MetricService,
        alarms: AlarmService | None,
        platform: PlatformMetrics | None,
    ) -> None:
        """Read utilization from ``metrics``, keep the policies' alarms in ``alarms``, and have
        ``platform`` sample every provisioned qualifier's utilization (composition root)."""
        self.metrics, self.alarms = metrics, alarms
        self.sampling = platform is None
        if platform is not None:
            self.period_ms = int(platform.resolution_s * 1000)
            platform.add_gauge(self.provisioned_samples)

    def provisioned_samples(self) -> list[ProvisionedSample]:
        """(function, NAME:QUALIFIER, busy, allocated) of every qualifier with instances."""
        out = []
        for function, qualifier in list(self.provisioned.configs):
            allocated, busy = self.provisioned.manager.provisioned_counts((function, qualifier))
            if allocated:
                out.append((function, f"{function}:{qualifier}", busy, allocated))
        return out

    def load(self) -> None:
        for d in self.store.scalable_targets():
            t = ScalableTarget.from_json(d)
            self.targets[t.key] = t
        for d in self.store.scaling_policies():
            p = ScalingPolicy.from_json(d)
            self.policies[(*p.target_key, p.name)] = p

    # ---- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _function(namespace: str, resource_id: str, dimension: str) -> tuple[str, str]:
        """(function, qualifier) of a Lambda target; anything else is not scalable here."""
        m = _RESOURCE.fullmatch(resource_id)
        if namespace != NAMESPACE or dimension != DIMENSION or m is None:
            raise AutoscalingValidationException(
                "Unsupported service namespace, resource type or scalable dimension"
            )
        return m.group(1), m.group(2)

    def _exists(self, function: str, qualifier: str) -> bool:
        try:
            self.provisioned.invoker.resolve_version(function, qualifier)
        except ApiError:
            return False
        return True

    def _capacity(self, function: str, qualifier: str) -> int:
        cfg = self.provisioned.configs.get((function, qualifier))
        return cfg.requested if cfg is not None else 0

    @staticmethod
    def _not_registered(key: TargetKey, found: str = "registered for") -> ObjectNotFoundException:
        return ObjectNotFoundException(
            f"No scalable target {found} service namespace: {key[0]}, resource ID: {key[1]}, "
            f"scalable dimension: {key[2]}"
        )

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.settings.region}:{self.settings.account_id}:{resource}"

    async def _set_capacity(
        self, target: ScalableTarget, function: str, qualifier: str, n: int, cause: str
    ) -> bool:
        """Set the provisioned concurrency and record the activity; False if Lambda refused."""
        start = time.time()
        activity: dict[str, Any] = {
            "ActivityId": str(uuid.uuid4()),
            "ServiceNamespace": target.namespace,
            "ResourceId": target.resource_id,
            "ScalableDimension": target.dimension,
            "Description": f"Setting desired concurrency to {n}.",
            "Cause": cause,
            "StartTime": start,
        }
        ok = True
        try:
            if n > 0:
                await self.provisioned.put(function, qualifier, n)
            elif (function, qualifier) in self.provisioned.configs:
                await self.provisioned.delete(function, qualifier)
        except ApiError as e:
            ok = False
            activity["StatusCode"] = "Failed"
            activity["StatusMessage"] = f"Failed to set desired concurrency to {n}. {e.message}"
        else:
            activity["StatusCode"] = "Successful"
            activity["StatusMessage"] = (
                f"Successfully set desired concurrency to {n}. "
                "Change successfully fulfilled by lambda."
            )
        activity["EndTime"] = time.time()
        self.activities.appendleft(activity)
        log.info("autoscaling %s: %s (%s)", target.resource_id, activity["StatusMessage"], cause)
        return ok

    # ---- scalable targets ------------------------------------------------------------------

    async def register(self, cmd: RegisterScalableTarget) -> ScalableTarget:
        namespace, resource_id, dimension = cmd.namespace, cmd.resource_id, cmd.dimension
        min_capacity, max_capacity, role_arn = cmd.min_capacity, cmd.max_capacity, cmd.role_arn
        suspended = dict(cmd.suspended) if cmd.suspended is not None else None
        tags = dict(cmd.tags) if cmd.tags is not None else None
        function, qualifier = self._function(namespace, resource_id, dimension)
        key = (namespace, resource_id, dimension)
        old = self.targets.get(key)
        if old is not None:
            min_capacity = old.min_capacity if min_capacity is None else min_capacity
            max_capacity = old.max_capacity if max_capacity is None else max_capacity
        if min_capacity is None or max_capacity is None:
            raise AutoscalingValidationException(
                "MinCapacity and MaxCapacity are required to register a new scalable target"
            )
        for label, v in (("Minimum", min_capacity), ("Maximum", max_capacity)):
            if v < 0:
                raise AutoscalingValidationException(f"{label} capacity cannot be less than 0")
        lo, hi = min_capacity, max_capacity
        if lo > hi:
            raise AutoscalingValidationException(
                "Minimum capacity cannot be greater than maximum capacity"
            )
        if not self._exists(function, qualifier):
            arn = function_arn(self.settings.region, self.settings.account_id, function, qualifier)
            raise AutoscalingValidationException(f"Function not found: {arn}")
        if old is None:
            target = ScalableTarget(
                namespace,
                resource_id,
                dimension,
                lo,
                hi,
                role_arn
                or f"arn:aws:iam::{self.settings.account_id}:role/aws-service-role/"
                "lambda.application-autoscaling.amazonaws.com/"
                "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency",
                self._arn("application-autoscaling", f"scalable-target/{secrets.token_hex(18)}"),
                time.time(),
            )
        else:
            target = dataclasses.replace(
                old, min_capacity=lo, max_capacity=hi, role_arn=role_arn or old.role_arn
            )
        if suspended:
            target.suspended = {**target.suspended, **suspended}
        if tags:
            target.tags = {**target.tags, **tags}
        await asyncio.to_thread(
            self.store.put_scalable_target, namespace, resource_id, dimension, target.to_json()
        )
        self.targets[key] = target
        current = self._capacity(function, qualifier)
        if current < lo:
            await self._set_capacity(
                target, function, qualifier, lo, f"minimum capacity was set to {lo}"
            )
        elif current > hi:
            await self._set_capacity(
                target, function, qualifier, hi, f"maximum capacity was set to {hi}"
            )
        return target

    def describe_targets(
        self, namespace: str, resource_ids: list[str] | None, dimension: str | None
    ) -> list[ScalableTarget]:
        return sorted(
            (
                t
                for t in self.targets.values()
                if t.namespace == namespace
                and (not resource_ids or t.resource_id in resource_ids)
                and (dimension is None or t.dimension == dimension)
            ),
            key=lambda t: t.created,
        )

    async def deregister(self, namespace: str, resource_id: str, dimension: str) -> None:
        """Delete the target and its policies; the capacity stays where it is (as AWS)."""
        self._function(namespace, resource_id, dimension)
        key = (namespace, resource_id, dimension)
        if key not in self.targets:
            raise self._not_registered(key, "found for")
        await asyncio.to_thread(self.store.put_scalable_target, *key, None)
        del self.targets[key]
        for pkey in [k for k in self.policies if k[:3] == key]:
            await self._delete_alarms(self.policies.pop(pkey).alarms)
        self._windows.pop(key, None)

    # ---- scaling policies ------------------------------------------------------------------

    async def put_policy(self, cmd: PutScalingPolicy) -> ScalingPolicy:
        name, namespace = cmd.name, cmd.namespace
        resource_id, dimension, policy_type = cmd.resource_id, cmd.dimension, cmd.policy_type
        config = dict(cmd.config) if cmd.config is not None else None
        self._function(namespace, resource_id, dimension)
        key = (namespace, resource_id, dimension)
        if key not in self.targets:
            raise self._not_registered(key)
        policy_type = policy_type or "StepScaling"  # AWS's default
        if policy_type != TARGET_TRACKING:
            raise AutoscalingValidationException(
                f"Unsupported policy type {policy_type} for scalable dimension {dimension}; "
                f"use {TARGET_TRACKING}"
            )
        if config is None:
            raise AutoscalingValidationException(
                "TargetTrackingScalingPolicyConfiguration is required for a "
                f"{TARGET_TRACKING} policy"
            )
        self._check_config(config)
        pkey = (*key, name)
        old = self.policies.get(pkey)
        alarms = list(old.alarms) if old is not None else []
        alarms = [a for a in alarms if "-AlarmLow-" not in a["AlarmName"]]
        if not any("-AlarmHigh-" in a["AlarmName"] for a in alarms):
            alarms.insert(0, self._alarm(resource_id, "AlarmHigh"))
        if not config.get("DisableScaleIn"):
            low = old.alarm("AlarmLow") if old is not None else ""
            alarms.append(
                {"AlarmName": low, "AlarmARN": self._arn("cloudwatch", f"alarm:{low}")}
                if "-AlarmLow-" in low
                else self._alarm(resource_id, "AlarmLow")
            )
        policy = ScalingPolicy(
            name,
            namespace,
            resource_id,
            dimension,
            policy_type,
            old.arn
            if old is not None
            else self._arn(
                "autoscaling",
                f"scalingPolicy:{uuid.uuid4()}:resource/{namespace}/{resource_id}"
                f":policyName/{name}",
            ),
            config,
            alarms,
            old.created if old is not None else time.time(),
        )
        await asyncio.to_thread(self.store.put_scaling_policy, *pkey, policy.to_api())
        self.policies[pkey] = policy
        kept = {a["AlarmName"] for a in alarms}
        await self._delete_alarms(
            [a for a in (old.alarms if old else []) if a["AlarmName"] not in kept]
        )
        await self._put_alarms(policy)
        return policy

    async def _put_alarms(self, policy: ScalingPolicy) -> None:
        """AWS's target tracking alarms of ``policy`` in CloudWatch (created or updated)."""
        function, qualifier = self._function(*policy.target_key)
        await policy_alarms.put(
            self.alarms,
            [a["AlarmName"] for a in policy.alarms],
            policy.arn,
            policy.metric(function, qualifier),
            policy.target_value,
        )

    async def _ensure_alarms(self) -> None:
        """Policies stored before their alarms were (or whose alarms were deleted by hand) get
        them back, once, at the first tick after a start."""
        self._alarms_checked = True
        if self.alarms is None:
            return
        known = await policy_alarms.existing(self.alarms)
        for policy in list(self.policies.values()):
            if any(a["AlarmName"] not in known for a in policy.alarms):
                await self._put_alarms(policy)

    async def _delete_alarms(self, alarms: list[dict[str, str]]) -> None:
        await policy_alarms.delete(self.alarms, [a["AlarmName"] for a in alarms])

    def _alarm(self, resource_id: str, kind: str) -> dict[str, str]:
        name = f"TargetTracking-{resource_id}-{kind}-{uuid.uuid4()}"
        return {"AlarmName": name, "AlarmARN": self._arn("cloudwatch", f"alarm:{name}")}

    @staticmethod
    def _check_config(config: dict[str, Any]) -> None:
        target = config["TargetValue"]
        if not MIN_TARGET <= target <= MAX_TARGET:
            raise AutoscalingValidationException(
                f"TargetValue must be between {MIN_TARGET:e} and {MAX_TARGET:e}"
            )
        for cooldown in ("ScaleInCooldown", "ScaleOutCooldown"):
            if config.get(cooldown, 0) < 0:
                raise AutoscalingValidationException(f"{cooldown} cannot be negative")
        predefined = config.get("PredefinedMetricSpecification")
        custom = config.get("CustomizedMetricSpecification")
        if (predefined is None) == (custom is None):
            raise AutoscalingValidationException(
                "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification "
                "must be specified"
            )
        if predefined is not None:
            metric = predefined["PredefinedMetricType"]
            if metric != PREDEFINED_METRIC:
                raise AutoscalingValidationException(
                    f"Unsupported predefined metric type {metric} for scalable dimension "
                    f"{DIMENSION}; use {PREDEFINED_METRIC}"
                )
            return
        spec: dict[str, Any] = custom or {}
        if spec.get("Metrics"):
            raise AutoscalingValidationException(
                "Metric math (Metrics) in a CustomizedMetricSpecification is not supported by "
                "this server; give Namespace, MetricName, Dimensions and Statistic"
            )
        if not spec.get("Namespace") or not spec.get("MetricName"):
            raise AutoscalingValidationException(
                "CustomizedMetricSpecification needs a Namespace and a MetricName"
            )
        namespace = str(spec["Namespace"])
        if namespace.startswith("AWS/") and namespace != LAMBDA:
            raise AutoscalingValidationException(
                f"This server emits no {namespace} metrics; track AWS/Lambda or your own "
                "namespace's metric"
            )
        if spec.get("Statistic") not in CUSTOM_STATISTICS:
            raise AutoscalingValidationException(
                f"CustomizedMetricSpecification Statistic must be one of "
                f"{', '.join(CUSTOM_STATISTICS)}"
            )

    def describe_policies(
        self,
        namespace: str,
        names: list[str] | None,
        resource_id: str | None,
        dimension: str | None,
    ) -> list[ScalingPolicy]:
        return sorted(
            (
                p
                for p in self.policies.values()
                if p.namespace == namespace
                and (not names or p.name in names)
                and (resource_id is None or p.resource_id == resource_id)
                and (dimension is None or p.dimension == dimension)
            ),
            key=lambda p: p.created,
        )

    async def delete_policy(
        self, name: str, namespace: str, resource_id: str, dimension: str
    ) -> None:
        self._function(namespace, resource_id, dimension)
        pkey = (namespace, resource_id, dimension, name)
        if pkey not in self.policies:
            raise ObjectNotFoundException(
                f"No scaling policy found for service namespace: {namespace}, resource ID: "
                f"{resource_id}, scalable dimension: {dimension}, policy name: {name}"
            )
        await asyncio.to_thread(self.store.put_scaling_policy, *pkey, None)
        await self._delete_alarms(self.policies.pop(pkey).alarms)

    def describe_activities(
        self, namespace: str, resource_id: str | None, dimension: str | None
    ) -> list[dict[str, Any]]:
        return [
            a
            for a in self.activities
            if a["ServiceNamespace"] == namespace
            and (resource_id is None or a["ResourceId"] == resource_id)
            and (dimension is None or a["ScalableDimension"] == dimension)
        ]

    # ---- the scaler --------------------------------------------------------------------------

    async def step(self) -> None:
        """One iteration of the target-tracking loop (``Supervisor.loop``): wait, then tick."""
        await asyncio.sleep(self.interval)
        await self.tick()

    async def tick(self, now: float | None = None) -> None:
        """Sample every target with a target tracking policy once, then scale where due."""
        now = time.monotonic() if now is None else now
        if not self._alarms_checked:
            await self._ensure_alarms()
        by_target: dict[TargetKey, list[ScalingPolicy]] = {}
        for p in self.policies.values():
            if p.policy_type == TARGET_TRACKING:
                by_target.setdefault(p.target_key, []).append(p)
        for key in [k for k in self._windows if k not in by_target]:
            del self._windows[key]
        for key, policies in by_target.items():
            target = self.targets.get(key)
            if target is None:
                continue
            function, qualifier = self._function(*key)
            if not self._exists(function, qualifier):
                continue
            win = self._windows.setdefault(key, _Window())
            cfg = self.provisioned.configs.get((function, qualifier))
            if cfg is None or cfg.status != "READY":  # nothing to measure, or still allocating
                win.samples.clear()
                win.since_ms = 0  # count periods again from when it is READY
                continue
            now_ms = int(time.time() * 1000)
            if cfg.requested != win.capacity or not win.since_ms:
                win.capacity = cfg.requested
                win.since_ms = now_ms
                win.samples.clear()
            if self.sampling:
                win.samples.append(self.provisioned.utilization(function, qualifier))
            await self._read(win, function, qualifier, policies, now_ms)
            decision = self._decide(target, policies, win, now)
            if decision is None:
                continue
            desired, cause, out = decision
            if await self._set_capacity(target, function, qualifier, desired, cause):
                if out:
                    win.last_out = now
                else:
                    win.last_in = now
            # A refused change (a Lambda limit) is retried once a fresh window agrees again.
            win.samples.clear()
            win.since_ms = int(time.time() * 1000)

    async def _read(
        self,
        win: _Window,
        function: str,
        qualifier: str,
        policies: list[ScalingPolicy],
        now_ms: int,
    ) -> None:
        """Fill ``win.by_policy`` with each policy's metric datapoints of the complete periods
        since ``win.since_ms`` (at most the last 15), oldest first; periods without data are
        skipped (AWS's alarms treat them as missing)."""
        win.by_policy.clear()
        if self.metrics is None:
            return
        if self.sampling:  # predefined policies use the sampled ``win.samples``
            policies = [p for p in policies if "CustomizedMetricSpecification" in p.config]
        else:
            win.samples.clear()
        p = self.period_ms
        first = -(-win.since_ms // p) * p  # the first period wholly after the change
        end = now_ms // p * p
        first = max(first, end - SCALE_IN_PERIODS * p)
        if first >= end:
            for policy in policies:
                win.by_policy[policy.name] = []
            return
        read: dict[tuple[MetricKey, str, str | None], list[float]] = {}
        for policy in policies:
            key, stat, unit = policy.metric(function, qualifier)
            values = read.get((key, stat, unit))
            if values is None:
                data = await asyncio.to_thread(self.metrics.store.data, key, first, end)
                if unit is not None:
                    data = [d for d in data if d.unit == unit]
                groups = buckets(data, first, p)
                values = [v for t in sorted(groups) if (v := groups[t].statistic(stat)) is not None]
                read[(key, stat, unit)] = values
            win.by_policy[policy.name] = values

    def _decide(
        self, target: ScalableTarget, policies: list[ScalingPolicy], win: _Window, now: float
    ) -> tuple[int, str, bool] | None:
        """(desired capacity, cause, is scale-out) if the target should scale now."""
        capacity = win.capacity
        default = list(win.samples)
        out: list[tuple[int, ScalingPolicy]] = []
        scale_in: list[tuple[int, ScalingPolicy]] = []
        all_in = True
        for p in policies:
            samples = win.by_policy.get(p.name, default)
            if len(samples) >= SCALE_OUT_PERIODS:
                m = _metric(samples[-SCALE_OUT_PERIODS:], p.statistic)
                if m > p.target_value:
                    out.append((_desired(capacity, m, p.target_value), p))
            low = len(samples) >= SCALE_IN_PERIODS and not p.disable_scale_in
            if low:
                m = _metric(samples[-SCALE_IN_PERIODS:], p.statistic)
                low = m < SCALE_IN_RATIO * p.target_value
                if low:
                    scale_in.append((_desired(capacity, m, p.target_value), p))
            all_in = all_in and low

        def clamp(n: int) -> int:
            return max(target.min_capacity, min(target.max_capacity, n))

        if out and not target.suspended.get("DynamicScalingOutSuspended"):
            desired, p = max(out, key=lambda d: d[0])
            desired = clamp(desired)
            if desired > capacity and now - win.last_out >= p.scale_out_cooldown:
                return desired, self._cause(p, "AlarmHigh"), True
        if scale_in and all_in and not target.suspended.get("DynamicScalingInSuspended"):
            desired, p = max(scale_in, key=lambda d: d[0])
            desired = clamp(desired)
            cooldown = max(q.scale_in_cooldown for q in policies)
            if desired < capacity and now - max(win.last_out, win.last_in) >= cooldown:
                return desired, self._cause(p, "AlarmLow"), False
        return None

    @staticmethod
    def _cause(policy: ScalingPolicy, kind: str) -> str:
        return f"monitor alarm {policy.alarm(kind)} in state ALARM triggered policy {policy.name}"
