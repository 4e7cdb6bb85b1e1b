"""Components and the supervisor that runs every background loop.

Contract:
- A ``Component`` has ``name``, ``async start()`` and ``async close()``. The composition root
  keeps an ordered list: ``Lifecycle.start()`` starts them in order, ``Lifecycle.close()`` closes
  the ones that started, in reverse order. ``close()`` must be idempotent and must not raise
  (an error is logged and the remaining components still close).
- A background loop is a ``step``: one iteration, awaited again and again by
  ``Supervisor.loop(name, step)``. The step does its own waiting (a sleep or an event). When a
  step raises, the error is logged with the loop's name, the loop is reported failing, waits
  (exponential backoff from ``backoff_s[0]`` up to ``backoff_s[1]``) and runs the step again: a
  loop never dies of an error. The first step that returns normally marks it healthy again.
- ``Supervisor.health()`` is ``ok`` while nothing fails and ``degraded`` naming every failing
  component while one does. Components without a loop report with ``failed()`` / ``recovered()``.
- After ``Supervisor.close()`` every loop is cancelled and awaited; new loops are refused.
- Everything runs on one event loop; nothing here is thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[None]]


class Component(Protocol):
    """A long-lived part of the server with a start and an end (see the module contract)."""

    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class _Status:
    failures: int = 0  # consecutive failures; 0 means healthy
    error: str = ""
    since: float = 0.0  # wall-clock time of the first failure in the current run of them
    total_failures: int = 0


class Supervisor:
    """Runs loops with an error boundary and keeps every component's health."""

    name = "supervisor"

    def __init__(self, backoff_s: tuple[float, float] = (0.05, 5.0)) -> None:
        self.backoff_s = backoff_s
        self._status: dict[str, _Status] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    # ---- loops ------------------------------------------------------------------------------

    def loop(self, name: str, step: Step) -> None:
        """Run ``step`` forever under ``name`` (unique among live loops)."""
        if self._closed:
            raise RuntimeError(f"supervisor closed: cannot start loop {name}")
        if name in self._tasks and not self._tasks[name].done():
            raise ValueError(f"a loop named {name} is already running")
        self._status.setdefault(name, _Status())
        self._tasks[name] = asyncio.get_running_loop().create_task(
            self._run(name, step), name=f"ovis:{name}"
        )

    async def stop(self, name: str) -> None:
        """Cancel one loop and wait for it to end; a no-op if it is not running."""
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._status.pop(name, None)

    async def _run(self, name: str, step: Step) -> None:
        while True:
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                delay = self._fail(name, e)
                await asyncio.sleep(delay)
            else:
                self.recovered(name)

    # ---- health -----------------------------------------------------------------------------

    def failed(self, name: str, error: BaseException | str) -> None:
        """Report a failure of ``name`` (logged with its traceback when it is an exception)."""
        self._fail(name, error)

    def _fail(self, name: str, error: BaseException | str) -> float:
        st = self._status.setdefault(name, _Status())
        if st.failures == 0:
            st.since = time.time()
        st.failures += 1
        st.total_failures += 1
        st.error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        delay = min(self.backoff_s[1], self.backoff_s[0] * 2.0 ** min(st.failures - 1, 16))
        if isinstance(error, BaseException):
            log.error(
                "%s failed (%d in a row; retrying in %.2fs)",
                name,
                st.failures,
                delay,
                exc_info=error,
            )
        else:
            log.error("%s failed: %s", name, error)
        return delay

    def recovered(self, name: str) -> None:
        st = self._status.setdefault(name, _Status())
        if st.failures:
            log.info("%s recovered after %d failures", name, st.failures)
            st.failures = 0
            st.error = ""

    def health(self) -> dict[str, Any]:
        failing = {
            name: {"error": st.error, "failures": st.failures, "since": st.since}
            for name, st in sorted(self._status.items())
            if st.failures
        }
        return {
            "status": "degraded" if failing else "ok",
            "components": {
                name: ("failing" if st.failures else "ok")
                for name, st in sorted(self._status.items())
            },
            **({"failing": failing} if failing else {}),
        }

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        for name in list(self._tasks):
            await self.stop(name)


class Lifecycle:
    """Starts components in order and closes the started ones in reverse (module contract)."""

    def __init__(self, components: Sequence[Component]) -> None:
        names = [c.name for c in components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        self.components = list(components)
        self._started: list[Component] = []

    async def start(self) -> None:
        for c in self.components:
            log.debug("starting %s", c.name)
            try:
                await c.start()
            except BaseException:
                await self.close()
                raise
            self._started.append(c)

    async def close(self) -> None:
        while self._started:
            c = self._started.pop()
            log.debug("closing %s", c.name)
            try:
                await c.close()
            except Exception:
                log.exception("closing %s failed", c.name)
