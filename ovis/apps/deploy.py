"""The deploy stage: the built directory packaged as ``sam package`` would
(``ovis.blueprints.package.package_files``: each function's ``CodeUri`` zipped to the server's
S3), then a CloudFormation change set created and executed through the service calls, waiting
for the stack to settle.

Contract: ``await deploy(...)`` returns a one-line summary (the stack's final status, or that
there were no changes) or raises ``DeployError`` with CloudFormation's own reason. A stack left
ROLLBACK_COMPLETE by a failed first create is deleted first (CloudFormation cannot update one).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ovis.blueprints.package import PackageError, package_files
from ovis.errors import ApiError
from ovis.services.calls import Caller, ServiceCalls

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
SKIP_DIRS = frozenset({".git", ".home", "__pycache__", ".pytest_cache"})
WAIT_S = 300.0
POLL_S = 0.1


class DeployError(RuntimeError):
    pass


def built_files(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS for part in rel.parts) or not path.is_file():
            continue
        out[rel.as_posix()] = path.read_bytes()
    return out


async def _stack(calls: ServiceCalls, caller: Caller, name: str) -> dict[str, Any] | None:
    try:
        out = await calls("cloudformation", "DescribeStacks", {"StackName": name}, caller)
    except ApiError as e:
        if "does not exist" in e.message:
            return None
        raise
    stacks = out.get("Stacks") or []
    return stacks[0] if stacks else None


async def _until(
    probe: Callable[[], Any], done: Callable[[Any], bool], what: str, wait_s: float = WAIT_S
) -> Any:
    end = time.monotonic() + wait_s
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > end:
            raise DeployError(f"timed out waiting for {what}")
        await asyncio.sleep(POLL_S)


def _settled(stack: dict[str, Any] | None) -> bool:
    return stack is None or not str(stack["StackStatus"]).endswith("_IN_PROGRESS")


async def deploy(
    calls: ServiceCalls,
    caller: Caller,
    root: Path,
    stack_name: str,
    change_set: str,
    log: Callable[[str], None],
) -> str:
    template = root / "template.yaml"
    if not template.is_file():
        raise DeployError("the build left no template.yaml to deploy")
    bucket = f"ovis-pipelines-{caller.account_id}-{caller.region}"
    try:
        pkg = package_files(template.read_text(), built_files(root), bucket)
    except (PackageError, ValueError) as e:
        raise DeployError(f"cannot package template.yaml: {e}") from None
    try:
        await calls("s3", "CreateBucket", {"Bucket": bucket}, caller)
    except ApiError as e:
        if e.code != "BucketAlreadyOwnedByYou":
            raise
    for key, blob in pkg.artifacts.items():
        await calls("s3", "PutObject", {"Bucket": bucket, "Key": key, "Body": blob}, caller)
        log(f"uploaded s3://{bucket}/{key} ({len(blob)} bytes)")

    async def stack() -> dict[str, Any] | None:
        return await _stack(calls, caller, stack_name)

    current = await _until(stack, _settled, f"stack {stack_name} to settle")
    if current is not None and current["StackStatus"] == "ROLLBACK_COMPLETE":
        log(f"stack {stack_name} is ROLLBACK_COMPLETE: deleting it before creating it again")
        await calls("cloudformation", "DeleteStack", {"StackName": stack_name}, caller)
        current = await _until(stack, lambda s: s is None, f"stack {stack_name} to be deleted")
    kind = (
        "CREATE" if current is None or current["StackStatus"] == "REVIEW_IN_PROGRESS" else "UPDATE"
    )
    out = await calls(
        "cloudformation",
        "CreateChangeSet",
        {
            "StackName": stack_name,
            "ChangeSetName": change_set,
            "ChangeSetType": kind,
            "TemplateBody": pkg.template_body(),
            "Capabilities": CAPABILITIES,
        },
        caller,
    )
    cs_id = out["Id"]
    log(f"change set {change_set} ({kind}) created")

    async def change() -> dict[str, Any]:
        return await calls("cloudformation", "DescribeChangeSet", {"ChangeSetName": cs_id}, caller)

    cs = await _until(
        change,
        lambda c: c["Status"] in ("CREATE_COMPLETE", "FAILED"),
        f"change set {change_set}",
    )
    if cs["Status"] == "FAILED":
        reason = str(cs.get("StatusReason", ""))
        if "didn't contain changes" in reason or "No updates" in reason:
            log("the change set has no changes: the stack is already up to date")
            return "no changes"
        raise DeployError(f"change set {change_set} failed: {reason}")
    for c in cs.get("Changes") or []:
        rc = c.get("ResourceChange") or {}
        log(f"  {rc.get('Action')} {rc.get('LogicalResourceId')} ({rc.get('ResourceType')})")
    await calls("cloudformation", "ExecuteChangeSet", {"ChangeSetName": cs_id}, caller)
    final = await _until(stack, _settled, f"stack {stack_name}")
    status = str(final["StackStatus"]) if final else "DELETED"
    log(f"stack {stack_name}: {status}")
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        reason = final.get("StackStatusReason", "") if final else ""
        raise DeployError(f"stack {stack_name} ended {status}" + (f": {reason}" if reason else ""))
    return status
