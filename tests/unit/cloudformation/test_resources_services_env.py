"""The in-process harness of the service resource tests: a real ``Server`` on a tmp data dir
(started, not listening), its providers, and requests shaped as the stack engine makes them."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ovis.server import Server
from ovis.services.calls import Caller
from ovis.services.cloudformation.resources import registry
from ovis.services.cloudformation.resources.base import (
    ResourceProvider,
    ResourceRequest,
    ResourceResult,
    StackInfo,
)
from ovis.settings import Settings

ACCOUNT = "000000000000"
REGION = "us-east-1"
CALLER = Caller(ACCOUNT, REGION)
STACK = StackInfo(
    "teststack",
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/teststack/1234",
    REGION,
    ACCOUNT,
    CALLER,
)
_tokens = itertools.count(1)


@dataclass
class Env:
    server: Server
    providers: dict[str, ResourceProvider]

    async def call(self, service: str, op: str, params: dict[str, Any] | None = None) -> Any:
        return await self.server.calls(service, op, params or {}, CALLER)

    def request(
        self, type_name: str, props: dict[str, Any], logical_id: str = "Res"
    ) -> ResourceRequest:
        return ResourceRequest(STACK, logical_id, type_name, props, f"TOK{next(_tokens):09d}")

    async def create(
        self, type_name: str, props: dict[str, Any], logical_id: str = "Res"
    ) -> tuple[ResourceRequest, ResourceResult]:
        req = self.request(type_name, props, logical_id)
        out = await self.providers[type_name].create(req)
        return replace(req, physical_id=out.physical_id, previous_attributes=out.attributes), out

    async def update(
        self, req: ResourceRequest, props: dict[str, Any]
    ) -> tuple[ResourceRequest, ResourceResult]:
        upd = replace(req, properties=props, previous_properties=req.properties)
        out = await self.providers[req.type_name].update(upd)
        return replace(
            upd,
            physical_id=out.physical_id,
            previous_properties=None,
            previous_attributes=out.attributes,
        ), out

    async def delete(self, req: ResourceRequest) -> None:
        await self.providers[req.type_name].delete(req)


def run(tmp_path: Path, body: Callable[[Env], Awaitable[None]], **settings: Any) -> None:
    async def main() -> None:
        server = Server(Settings(data_dir=tmp_path / "data", **settings))
        await server.lifecycle.start()
        try:
            await body(Env(server, registry.providers(server.calls)))
        finally:
            await server.lifecycle.close()

    asyncio.run(main())
