"""In-process harness for the Lambda family's resource providers: a real ``Server`` on a
temporary data directory (no HTTP), its providers, and helpers to build requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ovis.server import Server
from ovis.services.calls import Caller
from ovis.services.cloudformation.resources import registry
from ovis.services.cloudformation.resources.base import (
    ResourceProvider,
    ResourceRequest,
    StackInfo,
)
from ovis.settings import Settings

REGION = "us-east-1"
ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"
CALLER = Caller(ACCOUNT, REGION, f"arn:aws:iam::{ACCOUNT}:root", "test")
STACK = StackInfo(
    "teststack",
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/teststack/0123-4567",
    REGION,
    ACCOUNT,
    CALLER,
)
PY_HANDLER = "def handler(event, context):\n    return {'echo': event, 'v': 1}\n"


@dataclass
class Env:
    server: Server
    providers: dict[str, ResourceProvider]

    async def call(self, op: str, **params: Any) -> dict[str, Any]:
        return await self.server.calls("lambda", op, params, CALLER)

    def provider(self, type_name: str) -> ResourceProvider:
        return self.providers[type_name]


def request(
    type_name: str,
    logical_id: str,
    properties: dict[str, Any],
    *,
    token: str = "ABCDEF123456",
    physical_id: str | None = None,
    previous: dict[str, Any] | None = None,
) -> ResourceRequest:
    return ResourceRequest(
        STACK,
        logical_id,
        type_name,
        properties,
        token,
        physical_id=physical_id,
        previous_properties=previous,
    )


def run(tmp_path: Path, scenario: Callable[[Env], Awaitable[None]], **settings: Any) -> None:
    async def main() -> None:
        server = Server(Settings(data_dir=tmp_path / "data", port=0, **settings))
        await server.lifecycle.start()
        try:
            await scenario(Env(server, registry.providers(server.calls)))
        finally:
            await server.lifecycle.close()

    asyncio.run(main())


def function_props(**extra: Any) -> dict[str, Any]:
    return {
        "Runtime": "python3.11",
        "Handler": "index.handler",
        "Role": ROLE,
        "Code": {"ZipFile": PY_HANDLER},
        **extra,
    }
