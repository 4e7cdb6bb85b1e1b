"""What a user sees of an invocation besides its result: REPORT lines, refusals by State."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest

from ovis.errors import ResourceConflictException
from ovis.invoke.invoker import Invoker
from ovis.invoke.registry import FunctionRegistry
from ovis.invoke.repositories import FunctionRepository, ReservedConcurrencyRepository
from ovis.logs.repository import LogRepository
from ovis.logs.sink import LogSink
from ovis.models.function import State
from ovis.sandbox.instance import Outcome
from ovis.sandbox.pool import InstanceManager
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from tests.unit.runtimes.configs import config
from tests.unit.sandbox.fakes import FakeLauncher, no_isolation


class Store:
    def reserved_concurrency(self) -> dict[str, int]:
        return {}

    def put_function(self, cfg: Any) -> None:
        pass


def invoker(tmp_path: Path) -> Invoker:
    store = Store()
    return Invoker(
        Settings(),
        FunctionRegistry(cast(FunctionRepository, store)),
        InstanceManager(no_isolation(), launcher=FakeLauncher()),
        CodeStore(tmp_path / "code"),
        LogSink(cast(LogRepository, store)),
        {},
        concurrency=cast(ReservedConcurrencyRepository, store),
    )


def report(outcome: Outcome) -> str:
    lines = Invoker._log_lines(config(memory_size=512), "rid", outcome)
    assert lines[-1].startswith("REPORT ")
    return lines[-1]


def test_report_fields_are_tab_separated_with_no_trailing_tab() -> None:
    warm = report(Outcome("success", b"1", 12.3, 64))
    assert warm == (
        "REPORT RequestId: rid\tDuration: 12.30 ms\tBilled Duration: 13 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 64 MB"
    )
    cold = report(Outcome("success", b"1", 2.0, 40, init_ms=8.5))
    assert cold.endswith("Max Memory Used: 40 MB\tInit Duration: 8.50 ms")
    timeout = report(Outcome("timeout", b"{}", 3000.0, 70))
    assert timeout.endswith("Max Memory Used: 70 MB\tStatus: timeout")


def test_a_failed_init_reports_the_payloads_error_type() -> None:
    payload = b'{"errorType": "Runtime.ImportModuleError", "errorMessage": "x"}'
    failed = report(Outcome("init_error", payload, 50.0, 9, init_ms=50.0))
    assert failed.endswith(
        "Init Duration: 50.00 ms\tStatus: error\tError Type: Runtime.ImportModuleError"
    )
    crash = report(Outcome("crash", b"{}", 5.0, 9))
    assert crash.endswith("Status: error\tError Type: Runtime.ExitError")


@pytest.mark.parametrize("state", [State.PENDING, State.INACTIVE, State.FAILED])
def test_a_function_that_is_not_active_is_refused_with_awss_message(
    tmp_path: Path, state: str
) -> None:
    async def main() -> None:
        inv = invoker(tmp_path)
        await inv.registry.put(config(state=state))
        with pytest.raises(ResourceConflictException) as e:
            inv.resolve("fn", None)
        assert str(e.value) == (
            "The operation cannot be performed at this time. "
            f"The function is currently in the following state: {state}"
        )
        await inv.registry.put(config(state=State.ACTIVE))
        assert inv.resolve("fn", "$LATEST").state == State.ACTIVE

    asyncio.run(main())
