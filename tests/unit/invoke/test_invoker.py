"""Invoker: specs asked of the runtime adapter once per revision; provisioned instances first."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

from ovis.invoke.invoker import Invoker
from ovis.invoke.registry import FunctionRegistry
from ovis.invoke.repositories import FunctionRepository, ReservedConcurrencyRepository
from ovis.logs.repository import LogRepository
from ovis.logs.sink import LogSink
from ovis.models.function import FunctionConfig
from ovis.runtimes.base import LaunchContext, LaunchSpec, Start
from ovis.runtimes.python.adapter import PythonAdapter
from ovis.runtimes.registry import RuntimeRegistry
from ovis.sandbox.instance import Invocation
from ovis.sandbox.pool import InstanceManager
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from tests.unit.runtimes.configs import config
from tests.unit.sandbox.fakes import FakeLauncher, no_isolation


class NoStore:
    def reserved_concurrency(self) -> dict[str, int]:
        return {}


class CountingAdapter(PythonAdapter):
    def __init__(self) -> None:
        self.calls: list[LaunchContext] = []

    def launch(self, cfg: FunctionConfig, ctx: LaunchContext) -> LaunchSpec:
        self.calls.append(ctx)
        return super().launch(cfg, ctx)


def invoker(tmp_path: Path, adapter: CountingAdapter) -> Invoker:
    store = NoStore()
    return Invoker(
        Settings(python_transport="http"),
        FunctionRegistry(cast(FunctionRepository, store)),
        InstanceManager(no_isolation(), launcher=FakeLauncher()),
        CodeStore(tmp_path / "code"),
        LogSink(cast(LogRepository, store)),
        {"python3.11": "/usr/bin/python3.11"},
        concurrency=cast(ReservedConcurrencyRepository, store),
        runtimes=RuntimeRegistry([adapter]),
    )


def test_the_spec_is_built_once_per_revision_and_reused(tmp_path: Path) -> None:
    async def main() -> None:
        adapter = CountingAdapter()
        inv = invoker(tmp_path, adapter)
        cfg = config("python3.11", memory_size=256, timeout=7, ephemeral_storage=1024)
        first = inv.spec_for(cfg)
        assert inv.spec_for(cfg) is first  # the warm path: a dict lookup, nothing built
        assert len(adapter.calls) == 1
        assert first.key == ("fn", "$LATEST", "r1")
        assert (first.memory_mb, first.timeout_s, first.tmp_mb) == (256, 7, 1024)
        assert first.launch.start is Start.FORK and first.launch.transport == "http"
        ctx = adapter.calls[0]
        assert ctx.code_dir == str(tmp_path / "code" / "trees" / "abc")
        assert not ctx.namespaces and ctx.isolation == "none (unit test)"
        assert ctx.lambda_env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:8910"
        assert ctx.lambda_env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
        inv.spec_for(cfg.replace(revision_id="r2"))
        assert len(adapter.calls) == 2

    asyncio.run(main())


def test_provisioned_specs_say_so_in_the_environment(tmp_path: Path) -> None:
    async def main() -> None:
        inv = invoker(tmp_path, CountingAdapter())
        cfg = config("python3.11")
        on_demand = inv.spec_for(cfg)
        provisioned = inv.spec_for(cfg, provisioned=True)
        assert on_demand.env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
        assert provisioned.env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "provisioned-concurrency"
        assert provisioned.key == on_demand.key
        assert inv.spec_for(cfg) is on_demand  # the cached one is untouched

    asyncio.run(main())


def test_an_invocation_of_a_provisioned_qualifier_runs_on_a_provisioned_instance_first(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        inv = invoker(tmp_path, CountingAdapter())
        launcher = inv.manager.launcher
        assert isinstance(launcher, FakeLauncher)
        cfg = config("python3.11", version="1")
        await inv.manager.provision(("fn", "live"), inv.spec_for(cfg, provisioned=True), 1)
        provisioned = launcher.made[0]
        event = Invocation("rid-1", b"{}", "arn:aws:lambda:us-east-1:000000000000:function:fn:live")
        result = await inv.invoke(cfg, event, target=("fn", "live"))
        assert result.function_error is None and result.executed_version == "1"
        assert provisioned.invocations == 1 and len(launcher.made) == 1
        assert inv.manager.provisioned_counts(("fn", "live")) == (1, 0)  # back in its pool
        other = Invocation("rid-2", b"{}", "arn:aws:lambda:us-east-1:000000000000:function:fn:1")
        await inv.invoke(cfg, other, target=("fn", "1"))  # no provisioned pool: on demand
        assert len(launcher.made) == 2 and launcher.made[1].invocations == 1

    asyncio.run(main())
