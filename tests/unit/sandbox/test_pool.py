"""The InstanceManager facade: the supervised reaper loop, and its lifecycle."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from ovis.sandbox.pool import REAPER, InstanceManager
from ovis.supervisor import Supervisor
from tests.unit.sandbox.fakes import FakeLauncher, no_isolation


class FlakyReaper(InstanceManager):
    """A manager whose first idle sweep hits an error (as a store or kernel error would)."""

    def __init__(self, supervisor: Supervisor) -> None:
        super().__init__(
            no_isolation(), freeze_after_s=0.01, supervisor=supervisor, launcher=FakeLauncher()
        )
        self.sweeps = 0
        self.health: list[dict[str, Any]] = []
        self.failed = asyncio.Event()
        self.swept_again = asyncio.Event()

    def reap_idle(self) -> None:
        self.sweeps += 1
        if self.sweeps == 1:
            self.failed.set()
            raise OSError("disk I/O error")
        super().reap_idle()
        self.swept_again.set()


def test_the_reaper_survives_an_error_and_reports_failing_then_ok(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        sup = Supervisor(backoff_s=(0.001, 0.001))
        m = FlakyReaper(sup)
        with caplog.at_level(logging.ERROR):
            await m.start()
            await asyncio.wait_for(m.failed.wait(), 5)
            failing = sup.health()  # the step raised; the loop is backing off
            await asyncio.wait_for(m.swept_again.wait(), 5)
            await asyncio.sleep(0)  # let the step return so the loop reports recovery
            healthy = sup.health()
        await m.close()
        await sup.close()
        return failing, healthy

    failing, healthy = asyncio.run(main())
    assert failing["status"] == "degraded"
    assert failing["components"] == {REAPER: "failing"}
    assert "OSError: disk I/O error" in failing["failing"][REAPER]["error"]
    assert healthy == {"status": "ok", "components": {REAPER: "ok"}}
    assert any(f"{REAPER} failed" in r.getMessage() for r in caplog.records)


async def forever() -> None:
    await asyncio.Event().wait()


def test_a_shared_supervisor_outlives_the_manager_a_private_one_does_not() -> None:
    async def main() -> None:
        shared = Supervisor()
        m = InstanceManager(no_isolation(), supervisor=shared, launcher=FakeLauncher())
        await m.start()
        assert shared.health()["components"] == {REAPER: "ok"}
        await m.close()
        assert shared.health()["components"] == {}  # its loop is gone
        shared.loop("other", forever)  # and the supervisor still runs loops
        await shared.close()

        own = InstanceManager(no_isolation(), launcher=FakeLauncher())
        await own.start()
        await own.close()
        with pytest.raises(RuntimeError):
            own.supervisor.loop("late", forever)

    asyncio.run(main())


def test_start_starts_the_launcher() -> None:
    async def main() -> FakeLauncher:
        launcher = FakeLauncher()
        m = InstanceManager(no_isolation(), launcher=launcher)
        await m.start()
        await m.close()
        return launcher

    launcher = asyncio.run(main())
    assert launcher.started and launcher.closed == 1
