"""Which zygote forks an instance: the preloaded one, unless the function ships its own SDK."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from ovis.runtimes.base import LaunchSpec, Start
from ovis.runtimes.python import sdk
from ovis.runtimes.python.adapter import OWN_PYTHON
from ovis.sandbox.launcher import ZygoteLauncher
from tests.unit.sandbox.fakes import no_isolation


class RecordingZygotes:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str, bool]] = []

    async def get(self, interpreter: str, sdk_dir: str = "", preload: bool = True) -> Any:
        self.asked.append((interpreter, sdk_dir, preload))
        return object()


def launch(start: Start, **kw: Any) -> LaunchSpec:
    return LaunchSpec(
        start=start, env={}, transport="channel", interpreter="/usr/bin/python3.12", cwd="/", **kw
    )


def test_python_forks_from_its_interpreters_zygote_preloaded_or_not() -> None:
    async def main() -> list[tuple[str, str, bool]]:
        launcher = ZygoteLauncher(no_isolation())
        zygotes = launcher.zygotes = RecordingZygotes()  # type: ignore[assignment]
        await launcher._zygote_for(launch(Start.FORK, sdk_dir="/sdk/python3.12"))
        await launcher._zygote_for(launch(Start.FORK, sdk_dir="/sdk/python3.12", preload_sdk=False))
        await launcher._zygote_for(launch(Start.EXEC, argv=("/usr/bin/node", "b.mjs")))
        await launcher.start()
        return zygotes.asked

    own = (sys.executable, str(sdk.sdk_dir(OWN_PYTHON)), True)
    assert asyncio.run(main()) == [
        ("/usr/bin/python3.12", "/sdk/python3.12", True),
        ("/usr/bin/python3.12", "/sdk/python3.12", False),  # ships boto3: nothing preloaded
        own,  # everything that execs forks from the server's own zygote
        own,
    ]
