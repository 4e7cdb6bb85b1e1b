"""ProvisionedConcurrencyConfig of AWS::Lambda::Version and AWS::Lambda::Alias.

Contract: ``put_provisioned`` calls PutProvisionedConcurrencyConfig for the qualifier and waits
until the config is READY, as CloudFormation does (FAILED fails the resource with Lambda's
reason); ``delete_provisioned`` removes it, a config already gone being success.
"""

from __future__ import annotations

from typing import Any

from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceFailed
from ovis.services.cloudformation.resources.lambda_props import ignore_missing, poll, shape


def provisioned_count(value: Any) -> int:
    cfg = shape(value, "ProvisionedConcurrencyConfig", {"ProvisionedConcurrentExecutions": "int"})
    if "ProvisionedConcurrentExecutions" not in cfg:
        raise ResourceFailed(
            "Property validation failure: [#/ProvisionedConcurrencyConfig: required key "
            "[ProvisionedConcurrentExecutions] not found]"
        )
    return int(cfg["ProvisionedConcurrentExecutions"])


async def put_provisioned(
    calls: ServiceCalls, function: str, qualifier: str, count: int, caller: Caller
) -> None:
    target = {"FunctionName": function, "Qualifier": qualifier}
    await calls(
        "lambda",
        "PutProvisionedConcurrencyConfig",
        {**target, "ProvisionedConcurrentExecutions": count},
        caller,
    )

    async def ready() -> bool | None:
        cfg = await calls("lambda", "GetProvisionedConcurrencyConfig", target, caller)
        if cfg.get("Status") == "FAILED":
            raise ResourceFailed(
                f"Provisioned concurrency of {function}:{qualifier} failed: "
                f"{cfg.get('StatusReason', 'unknown')}"
            )
        return True if cfg.get("Status") == "READY" else None

    await poll(ready, f"Provisioned concurrency of {function}:{qualifier}")


async def delete_provisioned(
    calls: ServiceCalls, function: str, qualifier: str, caller: Caller
) -> None:
    await ignore_missing(
        calls,
        "DeleteProvisionedConcurrencyConfig",
        {"FunctionName": function, "Qualifier": qualifier},
        caller,
    )
