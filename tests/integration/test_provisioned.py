"""Provisioned concurrency: READY, used first by its qualifier, conflicts and errors as AWS."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import create_python_function

CODE = """
import os, time
def handler(event, context):
    time.sleep(event.get("s", 0))
    return {"init": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"], "version": context.function_version}
"""


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_ready(lam, name: str, qualifier: str, timeout: float = 30) -> dict:  # type: ignore[no-untyped-def,type-arg]
    deadline = time.monotonic() + timeout
    while True:
        cfg = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        if cfg["Status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return cfg
        time.sleep(0.05)


def run(lam, name: str, qualifier: str, s: float = 0) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = lam.invoke(FunctionName=name, Qualifier=qualifier, Payload=json.dumps({"s": s}).encode())
    return json.loads(r["Payload"].read())


def test_provisioned_version_ready_and_used_first(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("pc")
    create_python_function(lam, name, CODE, Publish=True, Timeout=10)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    put = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["Status"] in ("IN_PROGRESS", "READY")
    cfg = wait_ready(lam, name, "1")
    assert cfg["Status"] == "READY"
    assert cfg["AllocatedProvisionedConcurrentExecutions"] == 2
    assert cfg["AvailableProvisionedConcurrentExecutions"] == 2
    assert run(lam, name, "1") == {"init": "provisioned-concurrency", "version": "1"}
    assert run(lam, name, "$LATEST")["init"] == "on-demand"
    with ThreadPoolExecutor(3) as pool:
        kinds = sorted(r["init"] for r in pool.map(lambda _: run(lam, name, "1", 1.0), range(3)))
    assert kinds == ["on-demand", "provisioned-concurrency", "provisioned-concurrency"]
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)[
        "ProvisionedConcurrencyConfigs"
    ]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed] == ["1"]
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    assert run(lam, name, "1")["init"] == "on-demand"


def test_alias_and_its_version_conflict(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("pca")
    create_python_function(lam, name, CODE, Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    assert wait_ready(lam, name, "live")["Status"] == "READY"
    assert run(lam, name, "live")["init"] == "provisioned-concurrency"
    assert run(lam, name, "1")["init"] == "on-demand"  # only the alias's invocations use them
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
        )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="nope", ProvisionedConcurrentExecutions=1
        )


def test_provisioned_limited_by_reserved(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("pcr")
    create_python_function(lam, name, CODE, Publish=True)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2
        )


def test_failed_init_reports_failed(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("pcf")
    create_python_function(lam, name, "raise RuntimeError('no')\n", Publish=True)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
    )
    cfg = wait_ready(lam, name, "1")
    assert cfg["Status"] == "FAILED" and cfg["StatusReason"]
