"""The one qualifier resolver: names, ARNs, versions, aliases (weighted when invoking)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from ovis.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ovis.invoke.qualifiers import Qualifiers, is_alias
from ovis.invoke.registry import FunctionRegistry
from ovis.invoke.repositories import FunctionRepository
from ovis.models.alias import Alias
from ovis.models.function import LATEST, FunctionConfig, State

ACCOUNT = "123456789012"


class _Store:
    def put_function(self, cfg: FunctionConfig) -> None: ...

    def put_alias(self, function: str, name: str, doc: dict[str, Any]) -> None: ...


def _cfg(version: str, state: str = State.ACTIVE) -> FunctionConfig:
    return FunctionConfig(
        "f", version, "python3.11", "role", "app.handler", "sha", 1, "d", "now", "rev", state=state
    )


@pytest.fixture
def q() -> Qualifiers:
    registry = FunctionRegistry(cast(FunctionRepository, _Store()))

    async def fill() -> None:
        for cfg in (_cfg(LATEST), _cfg("1"), _cfg("2"), _cfg("3", State.PENDING)):
            await registry.put(cfg)
        await registry.put_alias(Alias("f", "live", "1", "r"))
        await registry.put_alias(Alias("f", "canary", "1", "r", weights={"2": 0.5}))

    asyncio.run(fill())
    return Qualifiers(registry, "us-east-1", ACCOUNT)


def test_is_alias() -> None:
    assert is_alias("live") and not is_alias(LATEST) and not is_alias("7") and not is_alias(None)


def test_ref_accepts_every_function_name_form(q: Qualifiers) -> None:
    assert q.ref("f") == ("f", None)
    assert q.ref("f:live") == ("f", "live")
    assert q.ref(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:2") == ("f", "2")
    assert q.ref(f"{ACCOUNT}:function:f", "live") == ("f", "live")
    with pytest.raises(InvalidParameterValueException):
        q.ref("f:live", "1")  # the ARN's qualifier and the parameter disagree
    with pytest.raises(ResourceNotFoundException):
        q.ref("arn:aws:lambda:us-east-1:999999999999:function:f")  # another account
    with pytest.raises(ValidationException):
        q.ref("not a name!")


def test_config_and_version_follow_aliases(q: Qualifiers) -> None:
    assert q.config("f").version == LATEST
    assert q.config("f", "live").version == "1"
    assert q.version("f", "canary") == "1"
    assert q.version("f", "2") == "2"
    for bad in ("9", "nope"):
        with pytest.raises(ResourceNotFoundException) as ei:
            q.config("f", bad)
        assert f"function:f:{bad}" in ei.value.message
        with pytest.raises(ResourceNotFoundException):
            q.version("f", bad)


def test_for_invoke_picks_by_weight_and_needs_active(q: Qualifiers) -> None:
    assert q.for_invoke("f", None).version == LATEST
    picked = {q.for_invoke("f", "canary").version for _ in range(200)}
    assert picked == {"1", "2"}
    with pytest.raises(ResourceConflictException):
        q.for_invoke("f", "3")
    with pytest.raises(ResourceNotFoundException):
        q.for_invoke("g", None)
