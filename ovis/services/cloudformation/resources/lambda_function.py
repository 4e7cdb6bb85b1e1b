"""AWS::Lambda::Function: CreateFunction and its companions, as CloudFormation drives them.

Ref = the function name; Fn::GetAtt: ``Arn``, ``SnapStartResponse`` (and its members
``SnapStartResponse.ApplyOn`` / ``SnapStartResponse.OptimizationStatus``).

Contract:
- create calls CreateFunction (tags included, plus CloudFormation's ``aws:cloudformation:*``
  tags), waits until the function is Active (as CloudFormation does), then applies
  ReservedConcurrentExecutions (PutFunctionConcurrency) and RecursiveLoop
  (PutFunctionRecursionConfig). When anything after CreateFunction fails, the function is
  deleted before the error is raised: no half-made function stays behind.
- update applies only what changed: code (UpdateFunctionCode, for ZipFile/S3/ImageUri
  changes), configuration (one UpdateFunctionConfiguration carrying every setting, removed
  ones reset to Lambda's defaults), tags added and removed, concurrency put or deleted,
  recursion mode; each write waits for LastUpdateStatus to leave InProgress.
- delete is DeleteFunction; a function already gone is success; with no physical id the
  deterministic name (FunctionName or the generated one) is deleted.
- Properties this server cannot honour fail the resource naming them: FileSystemConfigs (no
  EFS), a VpcConfig with subnets or security groups (no VPC networking), CodeSigningConfigArn
  (no code signing), RuntimeManagementConfig other than Auto/FunctionUpdate (runtimes are
  the host's; a pinned runtime version cannot be served), and a change of Architectures.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.errors import ResourceNotFoundException
from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_int, as_str
from ovis.services.cloudformation.resources.lambda_inline import inline_package
from ovis.services.cloudformation.resources.lambda_props import (
    as_str_list,
    check_known,
    ignore_missing,
    poll,
    required,
    shape,
    stack_tags,
    tags_of,
)

FUNCTION_PROPERTIES = (
    "Architectures",
    "Code",
    "CodeSigningConfigArn",
    "DeadLetterConfig",
    "Description",
    "Environment",
    "EphemeralStorage",
    "FileSystemConfigs",
    "FunctionName",
    "Handler",
    "ImageConfig",
    "KmsKeyArn",
    "Layers",
    "LoggingConfig",
    "MemorySize",
    "PackageType",
    "RecursiveLoop",
    "ReservedConcurrentExecutions",
    "Role",
    "Runtime",
    "RuntimeManagementConfig",
    "SnapStart",
    "Tags",
    "Timeout",
    "TracingConfig",
    "VpcConfig",
)
CODE = {
    "ZipFile": "str",
    "S3Bucket": "str",
    "S3Key": "str",
    "S3ObjectVersion": "str",
    "ImageUri": "str",
    "SourceKMSKeyArn": "str",
}
CONFIG_PROPERTIES = (
    "Role",
    "Handler",
    "Runtime",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "DeadLetterConfig",
    "TracingConfig",
    "KmsKeyArn",
    "Layers",
    "ImageConfig",
    "EphemeralStorage",
    "SnapStart",
    "LoggingConfig",
    "VpcConfig",
)
_PROPERTY_OF = {"KMSKeyArn": "KmsKeyArn"}  # API member -> template property, where they differ


def _code(props: dict[str, Any]) -> dict[str, Any]:
    if "Code" not in props:
        raise ResourceFailed("Property validation failure: [#: required key [Code] not found]")
    code = shape(props["Code"], "Code", CODE)
    out: dict[str, Any] = {k: v for k, v in code.items() if k != "ZipFile"}
    if "ZipFile" in code:
        if set(code) & {"S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri"}:
            raise ResourceFailed(
                "Properties validation failed for resource: Code: ZipFile cannot be combined "
                "with S3Bucket, S3Key, S3ObjectVersion or ImageUri"
            )
        runtime = as_str(props["Runtime"], "Runtime") if "Runtime" in props else None
        out["ZipFile"] = inline_package(code["ZipFile"], runtime)
    return out


def _refuse_unservable(props: dict[str, Any]) -> None:
    if props.get("CodeSigningConfigArn"):
        raise ResourceFailed(
            "CodeSigningConfigArn is not supported by this server: it has no code signing "
            "(AWS Signer) to check packages against."
        )
    if props.get("FileSystemConfigs"):
        raise ResourceFailed(
            "FileSystemConfigs is not supported by this server: it has no EFS file systems "
            "to mount."
        )
    if "VpcConfig" in props:
        vpc = shape(
            props["VpcConfig"],
            "VpcConfig",
            {"SubnetIds": "strs", "SecurityGroupIds": "strs", "Ipv6AllowedForDualStack": "bool"},
        )
        if vpc.get("SubnetIds") or vpc.get("SecurityGroupIds"):
            raise ResourceFailed(
                "VpcConfig with SubnetIds or SecurityGroupIds is not supported by this server: "
                "functions run on the host's network, not in a VPC."
            )
    if "RuntimeManagementConfig" in props:
        rmc = shape(
            props["RuntimeManagementConfig"],
            "RuntimeManagementConfig",
            {"UpdateRuntimeOn": "str", "RuntimeVersionArn": "str"},
        )
        mode = rmc.get("UpdateRuntimeOn", "Auto")
        if mode not in ("Auto", "FunctionUpdate") or rmc.get("RuntimeVersionArn"):
            raise ResourceFailed(
                f"RuntimeManagementConfig UpdateRuntimeOn {mode} is not supported by this "
                "server: runtimes are the host's own and cannot be pinned to a runtime version "
                "(Auto and FunctionUpdate are)."
            )
    if "RecursiveLoop" in props:
        mode = as_str(props["RecursiveLoop"], "RecursiveLoop")
        if mode not in ("Allow", "Terminate"):
            raise ResourceFailed(
                f"Property RecursiveLoop: {mode} is not a valid enum value (Allow, Terminate)"
            )


def _config(props: dict[str, Any], *, defaults: bool) -> dict[str, Any]:
    """The configuration members of CreateFunction / UpdateFunctionConfiguration from the
    template; with ``defaults`` every member is present (Lambda's default when not given), so
    an update also resets settings the template no longer names."""
    image = props.get("PackageType") == "Image"
    out: dict[str, Any] = {}
    if "Role" in props:
        out["Role"] = as_str(props["Role"], "Role")
    for name in ("Handler", "Runtime"):
        if name in props:
            out[name] = as_str(props[name], name)
    if "Description" in props:
        out["Description"] = as_str(props["Description"], "Description")
    elif defaults:
        out["Description"] = ""
    for name, default in (("Timeout", 3), ("MemorySize", 128)):
        if name in props:
            out[name] = as_int(props[name], name)
        elif defaults:
            out[name] = default
    if "Environment" in props:
        env = shape(props["Environment"], "Environment", {"Variables": "dict"})
        variables = env.get("Variables") or {}
        out["Environment"] = {
            "Variables": {
                str(k): as_str(v, f"Environment.Variables.{k}") for k, v in variables.items()
            }
        }
    elif defaults:
        out["Environment"] = {"Variables": {}}
    if "DeadLetterConfig" in props:
        dlq = shape(props["DeadLetterConfig"], "DeadLetterConfig", {"TargetArn": "str"})
        out["DeadLetterConfig"] = {"TargetArn": dlq.get("TargetArn", "")}
    elif defaults:
        out["DeadLetterConfig"] = {"TargetArn": ""}
    if "TracingConfig" in props:
        out["TracingConfig"] = shape(props["TracingConfig"], "TracingConfig", {"Mode": "str"})
    elif defaults:
        out["TracingConfig"] = {"Mode": "PassThrough"}
    if "KmsKeyArn" in props:
        out["KMSKeyArn"] = as_str(props["KmsKeyArn"], "KmsKeyArn")
    elif defaults:
        out["KMSKeyArn"] = ""
    if "Layers" in props:
        out["Layers"] = as_str_list(props["Layers"], "Layers")
    elif defaults and not image:
        out["Layers"] = []
    if "ImageConfig" in props:
        out["ImageConfig"] = shape(
            props["ImageConfig"],
            "ImageConfig",
            {"Command": "strs", "EntryPoint": "strs", "WorkingDirectory": "str"},
        )
    elif defaults and image:
        out["ImageConfig"] = {}
    if "EphemeralStorage" in props:
        out["EphemeralStorage"] = shape(
            props["EphemeralStorage"], "EphemeralStorage", {"Size": "int"}
        )
    elif defaults:
        out["EphemeralStorage"] = {"Size": 512}
    if "SnapStart" in props:
        out["SnapStart"] = shape(props["SnapStart"], "SnapStart", {"ApplyOn": "str"})
    elif defaults:
        out["SnapStart"] = {"ApplyOn": "None"}
    if "LoggingConfig" in props:
        out["LoggingConfig"] = shape(
            props["LoggingConfig"],
            "LoggingConfig",
            {
                "ApplicationLogLevel": "str",
                "LogFormat": "str",
                "LogGroup": "str",
                "SystemLogLevel": "str",
            },
        )
    elif defaults:
        out["LoggingConfig"] = {"LogFormat": "Text"}
    if "VpcConfig" in props:
        out["VpcConfig"] = shape(
            props["VpcConfig"],
            "VpcConfig",
            {"SubnetIds": "strs", "SecurityGroupIds": "strs", "Ipv6AllowedForDualStack": "bool"},
        )
    return out


async def wait_settled(calls: ServiceCalls, name: str, caller: Caller) -> dict[str, Any]:
    """Wait until the function leaves Pending and its LastUpdateStatus leaves InProgress, as
    CloudFormation waits (its stabilization); a Failed state fails the resource."""

    async def probe() -> dict[str, Any] | None:
        cfg = await calls("lambda", "GetFunctionConfiguration", {"FunctionName": name}, caller)
        state, status = cfg.get("State"), cfg.get("LastUpdateStatus")
        if state == "Failed" or status == "Failed":
            reason = cfg.get("StateReason") or cfg.get("LastUpdateStatusReason") or "unknown"
            raise ResourceFailed(f"Function {name} failed to stabilize: {reason}")
        return cfg if state != "Pending" and status != "InProgress" else None

    return await poll(probe, f"Function {name}")


def _attributes(cfg: dict[str, Any]) -> dict[str, Any]:
    snap = cfg.get("SnapStart") or {}
    response = {
        "ApplyOn": snap.get("ApplyOn", "None"),
        "OptimizationStatus": snap.get("OptimizationStatus", "Off"),
    }
    return {
        "Arn": cfg["FunctionArn"],
        "SnapStartResponse": response,
        "SnapStartResponse.ApplyOn": response["ApplyOn"],
        "SnapStartResponse.OptimizationStatus": response["OptimizationStatus"],
    }


class FunctionProvider:
    type_name: ClassVar[str] = "AWS::Lambda::Function"
    create_only: ClassVar[frozenset[str]] = frozenset({"FunctionName", "PackageType"})
    # the properties naming the resource itself (a replacement keeping one fails)
    custom_names: ClassVar[frozenset[str]] = frozenset({"FunctionName"})
    attributes: ClassVar[frozenset[str]] = frozenset(
        {
            "Arn",
            "SnapStartResponse",
            "SnapStartResponse.ApplyOn",
            "SnapStartResponse.OptimizationStatus",
        }
    )

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    def _check(self, props: dict[str, Any]) -> None:
        check_known(props, FUNCTION_PROPERTIES)
        required(props, "Code", "Role")
        _refuse_unservable(props)
        # every value is coerced once before any call, so a bad one changes nothing
        _config(props, defaults=False)
        tags_of(props.get("Tags", []))
        if props.get("ReservedConcurrentExecutions") is not None:
            as_int(props["ReservedConcurrentExecutions"], "ReservedConcurrentExecutions")
        if "Architectures" in props:
            as_str_list(props["Architectures"], "Architectures")

    async def create(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        self._check(props)
        name = req.physical_name("FunctionName", 64)
        params: dict[str, Any] = {
            "FunctionName": name,
            "Code": _code(props),
            **_config(props, defaults=False),
            "Tags": {**tags_of(props.get("Tags", [])), **stack_tags(req)},
        }
        if "PackageType" in props:
            params["PackageType"] = as_str(props["PackageType"], "PackageType")
        if "Architectures" in props:
            params["Architectures"] = as_str_list(props["Architectures"], "Architectures")
        reserved = props.get("ReservedConcurrentExecutions")
        caller = req.stack.caller
        await self.calls("lambda", "CreateFunction", params, caller)
        try:
            cfg = await wait_settled(self.calls, name, caller)
            if reserved is not None:
                await self._put_concurrency(name, reserved, caller)
            if "RecursiveLoop" in props:
                await self._put_recursion(name, props["RecursiveLoop"], caller)
        except BaseException:
            await ignore_missing(self.calls, "DeleteFunction", {"FunctionName": name}, caller)
            raise
        return ResourceResult(name, _attributes(cfg))

    async def _put_concurrency(self, name: str, value: Any, caller: Caller) -> None:
        n = as_int(value, "ReservedConcurrentExecutions")
        await self.calls(
            "lambda",
            "PutFunctionConcurrency",
            {"FunctionName": name, "ReservedConcurrentExecutions": n},
            caller,
        )

    async def _put_recursion(self, name: str, value: Any, caller: Caller) -> None:
        mode = as_str(value, "RecursiveLoop")
        await self.calls(
            "lambda",
            "PutFunctionRecursionConfig",
            {"FunctionName": name, "RecursiveLoop": mode},
            caller,
        )

    async def update(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        old = req.previous_properties or {}
        self._check(props)
        name = req.physical_id or req.physical_name("FunctionName", 64)
        caller = req.stack.caller
        if props.get("Architectures") != old.get("Architectures"):
            before = old.get("Architectures") or ["x86_64"]
            after = props.get("Architectures") or ["x86_64"]
            if as_str_list(before, "Architectures") != as_str_list(after, "Architectures"):
                raise ResourceFailed(
                    "Changing Architectures of an existing function is not supported by this "
                    "server; give the function a new name to replace it."
                )
        code_changed = props.get("Code") != old.get("Code") or (
            "ZipFile" in (props.get("Code") or {}) and props.get("Runtime") != old.get("Runtime")
        )
        code = _code(props)  # built (and checked) before anything changes
        code.pop("SourceKMSKeyArn", None)  # not an UpdateFunctionCode member
        await wait_settled(self.calls, name, caller)
        if code_changed:
            await self.calls("lambda", "UpdateFunctionCode", {"FunctionName": name, **code}, caller)
            await wait_settled(self.calls, name, caller)
        if any(props.get(k) != old.get(k) for k in CONFIG_PROPERTIES):
            named = set(props) | set(old)
            config = {
                k: v
                for k, v in _config(props, defaults=True).items()
                if _PROPERTY_OF.get(k, k) in named  # settings never named keep their value
            }
            if "VpcConfig" not in props and "VpcConfig" in old:
                config["VpcConfig"] = {"SubnetIds": [], "SecurityGroupIds": []}
            await self.calls(
                "lambda",
                "UpdateFunctionConfiguration",
                {"FunctionName": name, **config},
                caller,
            )
            await wait_settled(self.calls, name, caller)
        await self._update_tags(name, req, old, caller)
        if props.get("ReservedConcurrentExecutions") != old.get("ReservedConcurrentExecutions"):
            if props.get("ReservedConcurrentExecutions") is None:
                await self.calls(
                    "lambda", "DeleteFunctionConcurrency", {"FunctionName": name}, caller
                )
            else:
                await self._put_concurrency(name, props["ReservedConcurrentExecutions"], caller)
        if props.get("RecursiveLoop") != old.get("RecursiveLoop"):
            await self._put_recursion(name, props.get("RecursiveLoop", "Terminate"), caller)
        cfg = await wait_settled(self.calls, name, caller)
        return ResourceResult(name, _attributes(cfg))

    async def _update_tags(
        self, name: str, req: ResourceRequest, old: dict[str, Any], caller: Caller
    ) -> None:
        new_tags = tags_of(req.properties.get("Tags", []))
        old_tags = tags_of(old.get("Tags", []))
        if new_tags == old_tags:
            return
        cfg = await self.calls("lambda", "GetFunctionConfiguration", {"FunctionName": name}, caller)
        arn = cfg["FunctionArn"]
        gone = [k for k in old_tags if k not in new_tags]
        if gone:
            await self.calls("lambda", "UntagResource", {"Resource": arn, "TagKeys": gone}, caller)
        changed = {k: v for k, v in new_tags.items() if old_tags.get(k) != v}
        if changed:
            await self.calls("lambda", "TagResource", {"Resource": arn, "Tags": changed}, caller)

    async def delete(self, req: ResourceRequest) -> None:
        name = req.physical_id or req.physical_name("FunctionName", 64)
        try:
            await self.calls("lambda", "DeleteFunction", {"FunctionName": name}, req.stack.caller)
        except ResourceNotFoundException:
            return
