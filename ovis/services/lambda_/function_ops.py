"""Lambda function operations (CRUD, tags, concurrency, Invoke): params -> use case -> output.
No business logic here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ovis.invoke.async_queue import AsyncQueue
from ovis.invoke.invoker import Invoker
from ovis.models.function import PASSTHROUGH, FunctionConfig
from ovis.services.context import Handler, RequestContext
from ovis.services.lambda_.commands import (
    CodeSource,
    CreateFunction,
    Invoke,
    InvokeAsync,
    PublishVersion,
    UpdateFunctionCode,
    UpdateFunctionConfiguration,
)
from ovis.services.lambda_.concurrency import ConcurrencyService
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.invocation import Invocations
from ovis.services.lambda_.limits import check_ephemeral_storage, check_tag_count


class LambdaApi:
    def __init__(
        self,
        functions: FunctionService,
        invoker: Invoker,
        queue: AsyncQueue,
        code_url: Callable[[str], str],
        concurrency: ConcurrencyService,
        publish: Callable[[PublishVersion], Awaitable[FunctionConfig]] | None = None,
    ) -> None:
        self.publish = publish
        self.functions = functions
        self.invoker = invoker
        self.invocations = Invocations(functions, invoker, queue)
        self.queue = queue
        self.code_url = code_url
        self.concurrency = concurrency
        self.handlers: dict[str, Handler] = {
            "CreateFunction": self.create_function,
            "GetFunction": self.get_function,
            "GetFunctionConfiguration": self.get_function_configuration,
            "ListFunctions": self.list_functions,
            "UpdateFunctionCode": self.update_function_code,
            "UpdateFunctionConfiguration": self.update_function_configuration,
            "DeleteFunction": self.delete_function,
            "Invoke": self.invoke,
            "InvokeAsync": self.invoke_async,
            "GetAccountSettings": self.get_account_settings,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTags": self.list_tags,
            "PutFunctionConcurrency": self.put_function_concurrency,
            "GetFunctionConcurrency": self.get_function_concurrency,
            "DeleteFunctionConcurrency": self.delete_function_concurrency,
            "GetFunctionCodeSigningConfig": self.get_function_code_signing_config,
        }

    # ---- functions -------------------------------------------------------------------------

    async def create_function(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = create_command(p)
        cfg = await self.functions.create(cmd)
        if cmd.publish and self.publish is not None:
            await self.functions.wait_update(cfg.name)
            cfg = await self.publish(PublishVersion(cfg.name))
        return self.functions.render(cfg)

    async def get_function(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cfg = self.functions.get_config(p["FunctionName"], p.get("Qualifier"))
        out: dict[str, Any] = {
            "Configuration": self.functions.render(cfg),
            "Code": {"RepositoryType": "S3", "Location": self.code_url(cfg.code_digest)},
        }
        if cfg.package_type == "Image":
            out["Code"] = {
                "RepositoryType": "ECR",
                "ImageUri": cfg.image_uri,
                "ResolvedImageUri": cfg.resolved_image_uri,
            }
        tags = await self.functions.tags_of(cfg.name)
        if tags:
            out["Tags"] = tags
        reserved = self.concurrency.limiter.reserved.get(cfg.name)
        if reserved is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return out

    # ---- concurrency -----------------------------------------------------------------------

    async def put_function_concurrency(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        n = await self.concurrency.put(p["FunctionName"], p["ReservedConcurrentExecutions"])
        return {"ReservedConcurrentExecutions": n}

    async def get_function_code_signing_config(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        # Code signing configurations do not exist here (no signer service): every function
        # has none, which AWS reports as an empty ARN (deployment tools read this after each
        # write, e.g. Terraform's aws_lambda_function).
        cfg = self.functions.get_config(p["FunctionName"])
        return {"CodeSigningConfigArn": "", "FunctionName": cfg.name}

    async def get_function_concurrency(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        n = self.concurrency.get(p["FunctionName"])
        return {} if n is None else {"ReservedConcurrentExecutions": n}

    async def delete_function_concurrency(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.concurrency.delete(p["FunctionName"])
        return {}

    async def get_function_configuration(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        cfg = self.functions.get_config(p["FunctionName"], p.get("Qualifier"))
        return self.functions.render(cfg)

    async def list_functions(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        configs, marker = self.functions.list_functions(p.get("Marker"), p.get("MaxItems"))
        out: dict[str, Any] = {"Functions": [self.functions.render(c) for c in configs]}
        if marker:
            out["NextMarker"] = marker
        return out

    async def update_function_code(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = UpdateFunctionCode(
            p["FunctionName"],
            code_source(p),
            p.get("RevisionId"),
            bool(p.get("DryRun")),
            bool(p.get("Publish")),
        )
        cfg = await self.functions.update_code(cmd)
        if cmd.publish and not cmd.dry_run and self.publish is not None:
            await self.functions.wait_update(cfg.name)
            cfg = await self.publish(PublishVersion(cfg.name))
        return self.functions.render(cfg)

    async def update_function_configuration(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        cmd = update_configuration_command(p)
        return self.functions.render(await self.functions.update_configuration(cmd))

    async def delete_function(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.functions.delete(p["FunctionName"], p.get("Qualifier"))
        return {"StatusCode": 204}  # AWS: 204 No Content

    async def get_account_settings(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.functions.account_settings(self.concurrency.limiter.unreserved_limit)

    # ---- tags ------------------------------------------------------------------------------

    async def tag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.functions.tag(p["Resource"], p["Tags"])
        return {}

    async def untag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.functions.untag(p["Resource"], p["TagKeys"])
        return {}

    async def list_tags(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": await self.functions.tags(p["Resource"])}

    # ---- invoke ----------------------------------------------------------------------------

    async def invoke(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = Invoke.of(p, ctx.request_id, ctx.trace_header)
        res = await self.invocations.invoke(cmd)
        if res is None:  # accepted without running: an Event, or a DryRun's permission check
            return {"StatusCode": 202 if cmd.invocation_type == "Event" else 204}
        return {
            "StatusCode": res.status_code,
            "Payload": res.payload,
            "FunctionError": res.function_error,
            "LogResult": res.log_result,
            "ExecutedVersion": res.executed_version,
        }

    async def invoke_async(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = InvokeAsync(
            p["FunctionName"],
            p.get("InvokeArgs") or b"",
            ctx.request_id,
            ctx.trace_header,
        )
        await self.invocations.invoke_async(cmd)
        return {"Status": 202}


# ---- wire members -> commands ------------------------------------------------------------------


def code_source(code: dict[str, Any]) -> CodeSource:
    """A FunctionCode structure, or UpdateFunctionCode's own members (the same names)."""
    return CodeSource(
        code.get("ZipFile"),
        code.get("ImageUri"),
        code.get("S3Bucket"),
        code.get("S3Key"),
        code.get("S3ObjectVersion"),
    )


def _passthrough(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p[k] for k in PASSTHROUGH if k in p}


def create_command(p: dict[str, Any]) -> CreateFunction:
    check_ephemeral_storage((p.get("EphemeralStorage") or {}).get("Size"))
    check_tag_count(p.get("Tags") or {})
    return CreateFunction(
        function_name=p["FunctionName"],
        role=p["Role"],
        code=code_source(p["Code"]),
        runtime=p.get("Runtime"),
        handler=p.get("Handler"),
        package_type=p.get("PackageType", "Zip"),
        description=p.get("Description", ""),
        timeout=p.get("Timeout", 3),
        memory_size=p.get("MemorySize", 128),
        environment=p.get("Environment"),
        architectures=tuple(p.get("Architectures") or ("x86_64",)),
        ephemeral_storage_mb=(p.get("EphemeralStorage") or {}).get("Size", 512),
        tracing_mode=(p.get("TracingConfig") or {}).get("Mode", "PassThrough"),
        dead_letter_target=(p.get("DeadLetterConfig") or {}).get("TargetArn"),
        logging_config=p.get("LoggingConfig") or {},
        layers=tuple(p.get("Layers") or ()),
        tags=p.get("Tags") or {},
        passthrough=_passthrough(p),
        publish=bool(p.get("Publish")),
    )


def update_configuration_command(p: dict[str, Any]) -> UpdateFunctionConfiguration:
    """Members not sent stay None (the codec leaves out members sent as null)."""
    storage = p.get("EphemeralStorage")
    tracing = p.get("TracingConfig")
    dlq = p.get("DeadLetterConfig")
    layers = p.get("Layers")
    check_ephemeral_storage(storage.get("Size") if storage is not None else None)
    return UpdateFunctionConfiguration(
        function_name=p["FunctionName"],
        revision_id=p.get("RevisionId"),
        role=p.get("Role"),
        runtime=p.get("Runtime"),
        handler=p.get("Handler"),
        description=p.get("Description"),
        timeout=p.get("Timeout"),
        memory_size=p.get("MemorySize"),
        environment=p.get("Environment"),
        ephemeral_storage_mb=storage.get("Size", 512) if storage is not None else None,
        tracing_mode=tracing.get("Mode", "PassThrough") if tracing is not None else None,
        dead_letter_target=(dlq.get("TargetArn") or "") if dlq is not None else None,
        logging_config=p.get("LoggingConfig"),
        layers=tuple(layers) if layers is not None else None,
        image_config=(p["ImageConfig"] or {}) if "ImageConfig" in p else None,
        passthrough=_passthrough(p),
    )
