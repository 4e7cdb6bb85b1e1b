"""Lambda function operations (CRUD, tags, concurrency, Invoke): params -> use case -> output.
No business logic here."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from ovis.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
)
from ovis.invoke.async_queue import AsyncQueue, lineage_hops
from ovis.invoke.invoker import Invoker
from ovis.models.function import LATEST, FunctionConfig
from ovis.sandbox.instance import Invocation
from ovis.services.context import Handler, RequestContext
from ovis.services.lambda_.concurrency import ConcurrencyService
from ovis.services.lambda_.functions import FunctionService

MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 256 * 1024
MAX_CLIENT_CONTEXT = 3583


class LambdaApi:
    def __init__(
        self,
        functions: FunctionService,
        invoker: Invoker,
        queue: AsyncQueue,
        code_url: Callable[[str], str],
        concurrency: ConcurrencyService,
        publish: Callable[[str], Awaitable[FunctionConfig]] | None = None,
    ) -> None:
        self.publish = publish
        self.functions = functions
        self.invoker = invoker
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
        }

    # ---- functions -------------------------------------------------------------------------

    async def create_function(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cfg = await self.functions.create(p)
        if p.get("Publish") and self.publish is not None:
            await self.functions.wait_update(cfg.name)
            cfg = await self.publish(cfg.name)
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
        cfg = await self.functions.update_code(p)
        if p.get("Publish") and not p.get("DryRun") and self.publish is not None:
            await self.functions.wait_update(cfg.name)
            cfg = await self.publish(cfg.name)
        return self.functions.render(cfg)

    async def update_function_configuration(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        return self.functions.render(await self.functions.update_configuration(p))

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

    def _target(self, p: dict[str, Any]) -> tuple[str, str | None]:
        return self.functions.ref(p["FunctionName"], p.get("Qualifier"))

    async def invoke(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name, q = self._target(p)
        itype = p.get("InvocationType", "RequestResponse")
        payload: bytes = p.get("Payload") or b""
        limit = MAX_ASYNC_PAYLOAD if itype == "Event" else MAX_SYNC_PAYLOAD
        check_payload(payload, limit, "InvokeFunction")
        cfg = self.invoker.resolve(name, q)
        if itype == "DryRun":
            return {"StatusCode": 204}
        rid = ctx.request_id
        hops = lineage_hops(ctx.trace_header)
        if itype == "Event":
            await self.queue.submit(name, q or LATEST, payload, rid, hops)
            return {"StatusCode": 202}
        client_context = _client_context(p.get("ClientContext"))
        inv = Invocation(
            rid,
            payload,
            self.functions.arn(name, q),
            client_context,
            trace_id=_trace_id(rid, hops),
        )
        res = await self.invoker.invoke(
            cfg, inv, tail=p.get("LogType") == "Tail", target=(name, q) if q else None
        )
        return {
            "StatusCode": res.status_code,
            "Payload": res.payload,
            "FunctionError": res.function_error,
            "LogResult": res.log_result,
            "ExecutedVersion": res.executed_version,
        }

    async def invoke_async(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name, q = self._target(p)
        payload = p.get("InvokeArgs") or b""
        if len(payload) > MAX_ASYNC_PAYLOAD:
            raise RequestTooLargeException(
                f"Request must be smaller than {MAX_ASYNC_PAYLOAD} bytes for the "
                "InvokeAsync operation"
            )
        self.invoker.resolve(name, q)  # 404 or 409 before accepting the event
        hops = lineage_hops(ctx.trace_header)
        await self.queue.submit(name, q or LATEST, payload, ctx.request_id, hops)
        return {"Status": 202}


def check_payload(payload: bytes, limit: int, operation: str) -> None:
    """AWS's checks on an invocation payload: size, then that it is JSON."""
    if len(payload) > limit:
        raise RequestTooLargeException(
            f"Request must be smaller than {limit} bytes for the {operation} operation"
        )
    if payload:
        try:
            json.loads(payload)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: Could not parse payload into json: {e}"
            ) from None


def _client_context(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > MAX_CLIENT_CONTEXT:
        raise InvalidParameterValueException(
            f"Client context must be at most {MAX_CLIENT_CONTEXT} bytes, base64-encoded."
        )
    try:
        text = base64.b64decode(value, validate=True).decode()
        json.loads(text)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidRequestContentException(
            "Client context must be a valid Base64-encoded JSON object."
        ) from None
    return text


def _trace_id(rid: str, hops: int = 0) -> str:
    hexid = rid.replace("-", "")
    root = f"Root=1-{hexid[:8]}-{hexid[8:32]};Parent={hexid[:16]};Sampled=0"
    return f"{root};Lineage=ovis:{hops}" if hops else root
