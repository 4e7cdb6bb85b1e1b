"""Application Auto Scaling of provisioned concurrency through boto3's application-autoscaling
client: targets, target tracking policies, the scaler under load, activities, errors, restart."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from ovis.services.autoscaling.scaling import (
    SCALE_IN_PERIODS,
    AutoscalingService,
    ScalableTarget,
    ScalingPolicy,
    _Window,
)
from ovis.settings import Settings
from tests.conftest import ServerProcess, create_python_function, make_client, start_server

INTERVAL = "0.3"
# CloudWatch's minute shrunk to the scaler's interval: one utilization datapoint per 0.3 s
TIME_SCALE = ("--cloudwatch-time-scale", "0.005")
NS = "lambda"
DIM = "lambda:function:ProvisionedConcurrency"
METRIC = {"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"}

CODE = """
import time
def handler(event, context):
    time.sleep(event.get("s", 0))
    return context.function_version
"""


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = start_server(
        tmp_path_factory.mktemp("autoscaling") / "data",
        "--autoscaling-interval",
        INTERVAL,
        *TIME_SCALE,
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def lam(srv: ServerProcess):
    return srv.client("lambda")


@pytest.fixture(scope="module")
def aas(srv: ServerProcess):
    return srv.client("application-autoscaling")


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def requested(lam, name: str, qualifier: str) -> int:
    try:
        cfg = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
    except lam.exceptions.ProvisionedConcurrencyConfigNotFoundException:
        return 0
    return int(cfg["RequestedProvisionedConcurrentExecutions"])


def ready(lam, name: str, qualifier: str) -> bool:
    cfg = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
    return bool(cfg["Status"] == "READY")


def error_code(e: pytest.ExceptionInfo[ClientError]) -> str:
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    headers = e.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"] == e.value.response["Error"]["Code"]
    return str(e.value.response["Error"]["Code"])


class Load:
    """``threads`` clients invoking ``name:qualifier`` back to back until stopped."""

    def __init__(self, url: str, name: str, qualifier: str, threads: int) -> None:
        self.stop_event = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [
            threading.Thread(target=self._run, args=(url, name, qualifier), daemon=True)
            for _ in range(threads)
        ]
        for t in self.threads:
            t.start()

    def _run(self, url: str, name: str, qualifier: str) -> None:
        client = make_client(url)
        while not self.stop_event.is_set():
            try:
                client.invoke(FunctionName=name, Qualifier=qualifier, Payload=b'{"s": 0.5}')
            except BaseException as e:  # pragma: no cover - reported by stop()
                self.errors.append(e)
                return

    def stop(self) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(30)
        assert not self.errors, self.errors


def test_target_tracking_scales_out_under_load_and_back_in(srv, lam, aas) -> None:
    name = uniq("as")
    create_python_function(lam, name, CODE, Publish=True, Timeout=10)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    wait_for("provisioned READY", lambda: ready(lam, name, "live"))
    rid = f"function:{name}:live"
    aas.register_scalable_target(
        ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, MinCapacity=1, MaxCapacity=4
    )
    assert requested(lam, name, "live") == 1  # already inside [1, 4]: untouched
    aas.put_scaling_policy(
        PolicyName="utilization",
        ServiceNamespace=NS,
        ResourceId=rid,
        ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 0.5,
            "PredefinedMetricSpecification": METRIC,
            "ScaleOutCooldown": 0,
            "ScaleInCooldown": 1,
        },
    )
    load = Load(srv.url, name, "live", threads=6)
    try:
        seen = set()

        def at_max() -> bool:
            seen.add(requested(lam, name, "live"))
            return 4 in seen

        wait_for("scale-out to MaxCapacity", at_max, timeout=25)
        assert seen <= {1, 2, 3, 4}  # 1 -> ceil(1 * ~1.0 / 0.5) = 2 -> 4: never past Max
        wait_for("4 allocated", lambda: ready(lam, name, "live"))
    finally:
        load.stop()
    wait_for("scale-in to MinCapacity", lambda: requested(lam, name, "live") == 1, timeout=25)
    acts = aas.describe_scaling_activities(
        ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM
    )["ScalingActivities"]
    descriptions = [a["Description"] for a in acts]  # newest first
    assert descriptions[0] == "Setting desired concurrency to 1."
    assert descriptions[-1] == "Setting desired concurrency to 2."
    last_out = descriptions.index("Setting desired concurrency to 4.")
    for a in acts:
        assert a["StatusCode"] == "Successful"
        assert a["ServiceNamespace"] == NS and a["ResourceId"] == rid
        assert isinstance(a["StartTime"], datetime) and isinstance(a["EndTime"], datetime)
        assert re.fullmatch(
            r"monitor alarm TargetTracking-function:.+-Alarm(High|Low)-[0-9a-f-]{36} in state "
            r"ALARM triggered policy utilization",
            a["Cause"],
        )
    assert all("-AlarmLow-" in a["Cause"] for a in acts[:last_out])
    assert all("-AlarmHigh-" in a["Cause"] for a in acts[last_out:])
    assert acts[0]["StatusMessage"] == (
        "Successfully set desired concurrency to 1. Change successfully fulfilled by lambda."
    )


def test_scaler_reads_the_utilization_metric_and_keeps_aws_alarms(srv, lam, aas) -> None:
    """No load at all: a customized metric's datapoints put through PutMetricData scale the alias
    out, so the scaler reads CloudWatch, not the instances; the policy's AlarmHigh/AlarmLow are
    CloudWatch alarms on that metric, gone with the policy. The predefined metric's alarms name
    the AWS/Lambda utilization metric the platform emits (read under load above)."""
    cw: Any = srv.client("cloudwatch")
    name = uniq("asm")
    create_python_function(lam, name, CODE, Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    rid = f"function:{name}:live"
    aas.register_scalable_target(
        ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, MinCapacity=1, MaxCapacity=3
    )
    wait_for("provisioned READY", lambda: ready(lam, name, "live"))
    predefined = aas.put_scaling_policy(
        PolicyName="predefined",
        ServiceNamespace=NS,
        ResourceId=rid,
        ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 0.9,
            "PredefinedMetricSpecification": METRIC,
            "DisableScaleIn": True,
        },
    )
    (lambda_high,) = cw.describe_alarms(AlarmNames=[a["AlarmName"] for a in predefined["Alarms"]])[
        "MetricAlarms"
    ]
    dims = [{"Name": "FunctionName", "Value": name}, {"Name": "Resource", "Value": f"{name}:live"}]
    assert (lambda_high["Namespace"], lambda_high["MetricName"]) == (
        "AWS/Lambda",
        "ProvisionedConcurrencyUtilization",
    )
    assert sorted(lambda_high["Dimensions"], key=lambda d: d["Name"]) == dims
    assert lambda_high["Statistic"] == "Maximum"
    load_dims = [{"Name": "Alias", "Value": rid}]
    policy = aas.put_scaling_policy(
        PolicyName="metric",
        ServiceNamespace=NS,
        ResourceId=rid,
        ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 0.4,
            "CustomizedMetricSpecification": {
                "Namespace": "Test/Load",
                "MetricName": "Utilization",
                "Dimensions": load_dims,
                "Statistic": "Maximum",
            },
        },
    )
    names = sorted(a["AlarmName"] for a in policy["Alarms"])
    assert [n.split("-")[-6] for n in names] == ["AlarmHigh", "AlarmLow"]
    assert all(n.startswith(f"TargetTracking-{rid}-Alarm") for n in names)
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    assert sorted(alarms) == names
    high, low = alarms[names[0]], alarms[names[1]]
    for a in (high, low):
        assert (a["Namespace"], a["MetricName"]) == ("Test/Load", "Utilization")
        assert a["Dimensions"] == load_dims
        assert a["Statistic"] == "Maximum" and a["Period"] == 60
        assert a["AlarmActions"] == [policy["PolicyARN"]]
    assert (high["ComparisonOperator"], high["Threshold"], high["EvaluationPeriods"]) == (
        "GreaterThanThreshold",
        0.4,
        3,
    )
    assert (low["ComparisonOperator"], low["EvaluationPeriods"]) == ("LessThanThreshold", 15)
    assert low["Threshold"] == pytest.approx(0.36)
    described = aas.describe_scaling_policies(
        ServiceNamespace=NS, ResourceId=rid, PolicyNames=["metric"]
    )["ScalingPolicies"]
    assert described[0]["Alarms"] == policy["Alarms"]

    def report_busy() -> bool:
        cw.put_metric_data(
            Namespace="Test/Load",
            MetricData=[
                {
                    "MetricName": "Utilization",
                    "Dimensions": load_dims,
                    "Value": 1.0,
                    "StorageResolution": 1,  # whole seconds: several of the 0.3 s periods
                }
            ],
        )
        return requested(lam, name, "live") > 1

    wait_for("scale-out from the metric", report_busy)
    assert requested(lam, name, "live") == 3  # ceil(1 * 1.0 / 0.4) = 3
    (act, *_) = aas.describe_scaling_activities(ServiceNamespace=NS, ResourceId=rid)[
        "ScalingActivities"
    ]
    assert names[0] in act["Cause"]
    aas.delete_scaling_policy(
        PolicyName="metric", ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM
    )
    assert cw.describe_alarms(AlarmNames=names)["MetricAlarms"] == []
    aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM)
    assert cw.describe_alarms(AlarmNamePrefix=f"TargetTracking-{rid}-")["MetricAlarms"] == []


def test_describe_shapes_register_clamps_and_cleanup(lam, aas) -> None:
    name = uniq("asd")
    create_python_function(lam, name, CODE, Publish=True)
    rid = f"function:{name}:1"
    arn = aas.register_scalable_target(
        ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, MinCapacity=2, MaxCapacity=5
    )["ScalableTargetARN"]
    assert re.fullmatch(
        r"arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/[0-9a-z]{36}", arn
    )
    assert requested(lam, name, "1") == 2  # no config yet: created at MinCapacity
    (target,) = aas.describe_scalable_targets(ServiceNamespace=NS, ResourceIds=[rid])[
        "ScalableTargets"
    ]
    assert target["ScalableTargetARN"] == arn
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 5)
    assert target["RoleARN"].endswith(
        "role/aws-service-role/lambda.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency"
    )
    assert isinstance(target["CreationTime"], datetime)
    assert target["SuspendedState"] == {
        "DynamicScalingInSuspended": False,
        "DynamicScalingOutSuspended": False,
        "ScheduledScalingSuspended": False,
    }
    with pytest.raises(ClientError) as e:
        aas.register_scalable_target(
            ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, MaxCapacity=1
        )
    assert error_code(e) == "ValidationException"
    # An update keeps what it does not name, and pulls the capacity into the new range.
    assert (
        aas.register_scalable_target(
            ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, MinCapacity=1, MaxCapacity=1
        )["ScalableTargetARN"]
        == arn
    )
    assert requested(lam, name, "1") == 1
    acts = aas.describe_scaling_activities(ServiceNamespace=NS, ResourceId=rid)["ScalingActivities"]
    assert [a["Cause"] for a in acts] == [
        "maximum capacity was set to 1",
        "minimum capacity was set to 2",
    ]

    put = aas.put_scaling_policy(
        PolicyName="p1",
        ServiceNamespace=NS,
        ResourceId=rid,
        ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 0.7,
            "PredefinedMetricSpecification": METRIC,
        },
    )
    assert re.fullmatch(
        r"arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:[0-9a-f-]{36}:"
        rf"resource/lambda/{rid}:policyName/p1",
        put["PolicyARN"],
    )
    kinds = [re.sub(r"-[0-9a-f-]{36}$", "", a["AlarmName"]) for a in put["Alarms"]]
    assert kinds == [f"TargetTracking-{rid}-AlarmHigh", f"TargetTracking-{rid}-AlarmLow"]
    for a in put["Alarms"]:
        assert a["AlarmARN"] == f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{a['AlarmName']}"
    again = aas.put_scaling_policy(
        PolicyName="p1",
        ServiceNamespace=NS,
        ResourceId=rid,
        ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 0.6,
            "PredefinedMetricSpecification": METRIC,
            "DisableScaleIn": True,
        },
    )
    assert again["PolicyARN"] == put["PolicyARN"]
    assert again["Alarms"] == put["Alarms"][:1]  # no scale-in: no AlarmLow
    (policy,) = aas.describe_scaling_policies(ServiceNamespace=NS, ResourceId=rid)[
        "ScalingPolicies"
    ]
    assert policy["PolicyARN"] == put["PolicyARN"] and policy["PolicyName"] == "p1"
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["ScalableDimension"] == DIM and policy["ServiceNamespace"] == NS
    assert policy["TargetTrackingScalingPolicyConfiguration"] == {
        "TargetValue": 0.6,
        "PredefinedMetricSpecification": METRIC,
        "DisableScaleIn": True,
    }
    assert isinstance(policy["CreationTime"], datetime)

    # pagination
    other = f"function:{name}:beta"
    lam.create_alias(FunctionName=name, Name="beta", FunctionVersion="1")
    aas.register_scalable_target(
        ServiceNamespace=NS, ResourceId=other, ScalableDimension=DIM, MinCapacity=0, MaxCapacity=3
    )
    first = aas.describe_scalable_targets(
        ServiceNamespace=NS, ResourceIds=[rid, other], MaxResults=1
    )
    assert len(first["ScalableTargets"]) == 1 and first["NextToken"]
    pages = aas.get_paginator("describe_scalable_targets").paginate(
        ServiceNamespace=NS, ResourceIds=[rid, other], PaginationConfig={"PageSize": 1}
    )
    assert [t["ResourceId"] for page in pages for t in page["ScalableTargets"]] == [rid, other]
    assert requested(lam, name, "beta") == 0  # MinCapacity 0: nothing to provision

    aas.delete_scaling_policy(
        PolicyName="p1", ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM
    )
    assert not aas.describe_scaling_policies(ServiceNamespace=NS, ResourceId=rid)["ScalingPolicies"]
    with pytest.raises(ClientError) as e:
        aas.delete_scaling_policy(
            PolicyName="p1", ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM
        )
    assert error_code(e) == "ObjectNotFoundException"
    assert "policy name: p1" in e.value.response["Error"]["Message"]
    for r in (rid, other):
        aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=r, ScalableDimension=DIM)
    assert not aas.describe_scalable_targets(ServiceNamespace=NS, ResourceIds=[rid, other])[
        "ScalableTargets"
    ]
    assert requested(lam, name, "1") == 1  # deregistering leaves the capacity where it is


def test_errors(lam, aas) -> None:
    name = uniq("ase")
    create_python_function(lam, name, CODE, Publish=True)
    rid = f"function:{name}:1"

    def register(**kw: Any) -> None:
        args = {
            "ServiceNamespace": NS,
            "ResourceId": rid,
            "ScalableDimension": DIM,
            "MinCapacity": 1,
            "MaxCapacity": 2,
            **kw,
        }
        aas.register_scalable_target(**{k: v for k, v in args.items() if v is not None})

    unsupported = "Unsupported service namespace, resource type or scalable dimension"
    for kw in (
        {"ScalableDimension": "ecs:service:DesiredCount"},
        {"ServiceNamespace": "ecs"},
        {"ResourceId": f"function:{name}:$LATEST"},
        {"ResourceId": name},
    ):
        with pytest.raises(ClientError) as e:
            register(**kw)
        assert error_code(e) == "ValidationException", kw
        assert e.value.response["Error"]["Message"] == unsupported
    with pytest.raises(ClientError) as e:
        register(ServiceNamespace="nope")
    assert error_code(e) == "ValidationException"
    assert e.value.response["Error"]["Message"].startswith(
        "1 validation error detected: Value 'nope' at 'serviceNamespace' failed to satisfy "
        "constraint: Member must satisfy enum value set: ["
    )
    with pytest.raises(ClientError) as e:
        register(MaxCapacity=None)
    assert error_code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        register(MinCapacity=3)
    assert error_code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        register(ResourceId=f"function:{name}:nope")
    assert error_code(e) == "ValidationException"
    assert "Function not found" in e.value.response["Error"]["Message"]

    # unknown targets
    with pytest.raises(ClientError) as e:
        aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM)
    assert error_code(e) == "ObjectNotFoundException"
    policy = {
        "PolicyName": "p",
        "ServiceNamespace": NS,
        "ResourceId": rid,
        "ScalableDimension": DIM,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 0.7,
            "PredefinedMetricSpecification": METRIC,
        },
    }
    with pytest.raises(ClientError) as e:
        aas.put_scaling_policy(**policy)
    assert error_code(e) == "ObjectNotFoundException"
    assert e.value.response["Error"]["Message"] == (
        f"No scalable target registered for service namespace: lambda, resource ID: {rid}, "
        f"scalable dimension: {DIM}"
    )

    register()
    for bad in (
        {"PolicyType": "StepScaling"},
        {"TargetTrackingScalingPolicyConfiguration": None},
        {
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 0.7,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
                },
            }
        },
        {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 0.7}},
        {
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 0,
                "PredefinedMetricSpecification": METRIC,
            }
        },
    ):
        args = {k: v for k, v in {**policy, **bad}.items() if v is not None}
        with pytest.raises(ClientError) as e:
            aas.put_scaling_policy(**args)
        assert error_code(e) == "ValidationException", bad
    custom = {
        "Namespace": "AWS/Lambda",
        "MetricName": "ProvisionedConcurrencyUtilization",
        "Dimensions": [{"Name": "FunctionName", "Value": name}, {"Name": "Resource", "Value": rid}],
        "Statistic": "Maximum",
    }
    tracking = {"TargetValue": 0.7, "CustomizedMetricSpecification": custom}
    aas.put_scaling_policy(**{**policy, "TargetTrackingScalingPolicyConfiguration": tracking})
    with pytest.raises(ClientError) as e:
        ec2 = {**tracking, "CustomizedMetricSpecification": {**custom, "Namespace": "AWS/EC2"}}
        aas.put_scaling_policy(**{**policy, "TargetTrackingScalingPolicyConfiguration": ec2})
    assert error_code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        aas.describe_scalable_targets(ServiceNamespace=NS, MaxResults=51)
    assert error_code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        aas.describe_scalable_targets(ServiceNamespace=NS, NextToken="garbage")
    assert error_code(e) == "InvalidNextTokenException"
    assert aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    with pytest.raises(ClientError) as e:
        aas.describe_scheduled_actions(ServiceNamespace=NS)
    assert error_code(e) == "UnknownOperationException"
    aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM)


def test_targets_and_policies_survive_a_restart(tmp_path: Path) -> None:
    first = start_server(tmp_path / "data", "--autoscaling-interval", INTERVAL, *TIME_SCALE)
    try:
        lam: Any = first.client("lambda")
        aas: Any = first.client("application-autoscaling")
        name = uniq("asr")
        create_python_function(lam, name, CODE, Publish=True)
        rid = f"function:{name}:1"
        arn = aas.register_scalable_target(
            ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, MinCapacity=1, MaxCapacity=3
        )["ScalableTargetARN"]
        aas.put_scaling_policy(
            PolicyName="keep",
            ServiceNamespace=NS,
            ResourceId=rid,
            ScalableDimension=DIM,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 0.5,
                "PredefinedMetricSpecification": METRIC,
                "ScaleInCooldown": 0,
            },
        )
        # Above what an idle function needs: the restarted scaler must bring it back in.
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=3
        )
        before = aas.describe_scaling_policies(ServiceNamespace=NS, ResourceId=rid)
        # alarms deleted by hand (AWS: "DO NOT EDIT OR DELETE") come back after a restart
        alarm_names = [a["AlarmName"] for a in before["ScalingPolicies"][0]["Alarms"]]
        first.client("cloudwatch").delete_alarms(AlarmNames=alarm_names)
    finally:
        first.stop()
    second = start_server(
        tmp_path / "data", "--autoscaling-interval", INTERVAL, *TIME_SCALE, port=first.port
    )
    try:
        lam = second.client("lambda")
        aas = second.client("application-autoscaling")
        (target,) = aas.describe_scalable_targets(ServiceNamespace=NS, ResourceIds=[rid])[
            "ScalableTargets"
        ]
        assert target["ScalableTargetARN"] == arn
        assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
        after = aas.describe_scaling_policies(ServiceNamespace=NS, ResourceId=rid)
        assert after["ScalingPolicies"] == before["ScalingPolicies"]
        wait_for("scale-in after restart", lambda: requested(lam, name, "1") == 1, timeout=20)
        cw: Any = second.client("cloudwatch")
        back = cw.describe_alarms(AlarmNames=alarm_names)["MetricAlarms"]
        assert sorted(a["AlarmName"] for a in back) == sorted(alarm_names)
    finally:
        second.stop()


def test_scaling_decisions() -> None:
    """The scaler's rules without a server: AlarmHigh/AlarmLow windows, clamping, cooldowns,
    DisableScaleIn, several policies, the Maximum statistic, suspended scaling."""
    svc = AutoscalingService(Settings(), cast(Any, None), cast(Any, None))
    target = ScalableTarget(NS, "function:f:live", DIM, 1, 6, "role", "arn", 0.0)
    now = 100.0

    def policy(name: str = "p", **config: Any) -> ScalingPolicy:
        config = {"TargetValue": 0.5, "PredefinedMetricSpecification": METRIC, **config}
        alarms = [
            {"AlarmName": f"TargetTracking-x-{k}-1", "AlarmARN": "a"}
            for k in ("AlarmHigh", "AlarmLow")
        ]
        return ScalingPolicy(
            name, NS, target.resource_id, DIM, "TargetTrackingScaling", "arn", config, alarms, 0.0
        )

    def decide(
        policies: list[ScalingPolicy],
        capacity: int,
        samples: list[float],
        last_out: float = -1e9,
        last_in: float = -1e9,
        on: ScalableTarget = target,
    ) -> tuple[int, str] | None:
        """(desired, "out"/"in") or None."""
        w = _Window(capacity=capacity, last_out=last_out, last_in=last_in)
        w.samples.extend(samples)
        d = svc._decide(on, policies, w, now)
        if d is None:
            return None
        assert ("AlarmHigh" if d[2] else "AlarmLow") in d[1]
        return d[0], "out" if d[2] else "in"

    busy, idle = [1.0] * 3, [0.0] * SCALE_IN_PERIODS
    assert decide([policy()], 1, busy[:2]) is None  # 2 datapoints: no alarm yet
    assert decide([policy()], 2, busy) == (4, "out")
    assert decide([policy()], 4, busy) == (6, "out")  # clamped to MaxCapacity
    assert decide([policy()], 6, busy) is None  # at MaxCapacity
    assert decide([policy(ScaleOutCooldown=5)], 2, busy, last_out=now - 2) is None
    assert decide([policy(ScaleOutCooldown=1)], 2, busy, last_out=now - 2) == (4, "out")

    assert decide([policy()], 4, idle) == (1, "in")  # clamped to MinCapacity
    assert decide([policy()], 4, idle[1:]) is None  # 14 datapoints: no AlarmLow yet
    assert decide([policy(DisableScaleIn=True)], 4, idle) is None
    assert decide([policy(ScaleInCooldown=10)], 4, idle, last_out=now - 5) is None
    assert decide([policy(ScaleInCooldown=10)], 4, idle, last_in=now - 11) == (1, "in")
    # every policy must agree to scale in; any one of them scales out
    two = [policy(), policy("q", TargetValue=0.05)]
    assert decide(two, 4, [0.04] * SCALE_IN_PERIODS) is None
    assert decide(two, 1, [0.2] * 3) == (4, "out")
    # a short spike: Average still scales in (to ceil(4 * 0.16 / 0.5) = 2), Maximum scales out
    spike = [0.1] * (SCALE_IN_PERIODS - 1) + [1.0]
    assert decide([policy()], 4, spike) == (2, "in")
    custom = {
        "Namespace": "AWS/Lambda",
        "MetricName": "ProvisionedConcurrencyUtilization",
        "Statistic": "Maximum",
    }
    maximum = policy(PredefinedMetricSpecification=None, CustomizedMetricSpecification=custom)
    assert decide([maximum], 4, spike) == (6, "out")
    suspended = dataclasses.replace(target, suspended={"DynamicScalingOutSuspended": True})
    assert decide([policy()], 2, busy, on=suspended) is None


def test_without_platform_metrics_the_scaler_samples_instances(tmp_path: Path) -> None:
    """--no-metrics: nothing emits ProvisionedConcurrencyUtilization, so a predefined policy
    falls back to sampling the instances; an idle alias still scales in."""
    s = start_server(tmp_path / "data", "--autoscaling-interval", INTERVAL, "--no-metrics")
    try:
        lam: Any = s.client("lambda")
        aas: Any = s.client("application-autoscaling")
        name = uniq("asn")
        create_python_function(lam, name, CODE, Publish=True)
        rid = f"function:{name}:1"
        aas.register_scalable_target(
            ServiceNamespace=NS, ResourceId=rid, ScalableDimension=DIM, MinCapacity=1, MaxCapacity=2
        )
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2
        )
        aas.put_scaling_policy(
            PolicyName="idle",
            ServiceNamespace=NS,
            ResourceId=rid,
            ScalableDimension=DIM,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 0.5,
                "PredefinedMetricSpecification": METRIC,
            },
        )
        wait_for("scale-in by sampling", lambda: requested(lam, name, "1") == 1, timeout=20)
    finally:
        s.stop()
