"""Where stack operations run: a ``cfn-operations`` supervisor loop takes queued operations
and runs each as its own task (stacks proceed side by side; one stack runs one at a time).

Contract:
- ``submit(stack_id)`` queues ``engine.drive`` for the stack; ``running`` holds the stacks
  with an operation queued or running. A drive that raises (a storage error) is retried with
  ``resumed=True`` after a pause, so a stack never rests ``*_IN_PROGRESS`` while served.
- ``after(stack_id, job)`` runs ``job`` once the stack's operation rests (now, if none runs);
  ``delete_after`` queues a DeleteStack that arrived during an operation (kept in memory
  only: after a crash the interrupted operation is rolled back and the delete must be
  asked again).
- ``submit_job(job)`` runs a one-off coroutine (change set computations).
- ``close()`` cancels what runs and waits for it: what was persisted is what the next start
  resumes from.
- ``settle(done)`` returns once ``done()`` holds or ``settle_s`` has passed (at once when 0):
  the handlers of CreateChangeSet, ExecuteChangeSet and DeleteStack await it so that a tool's
  first poll sees the end state (see Settings.cfn_settle_s). Nothing depends on it: an answer
  given before the work ends is still right, the work goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from ovis.services.cloudformation.engine import Engine
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
RETRY_S = 0.5
SETTLE_POLL_S = 0.01
ATTEMPTS = 5  # drives of one operation that raise before the stack is marked failed
# where an operation that keeps failing rests (so no stack stays *_IN_PROGRESS)
GIVE_UP = {
    "CREATE_IN_PROGRESS": "ROLLBACK_FAILED",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK_FAILED",
    "UPDATE_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_ROLLBACK_COMPLETE",
    "DELETE_IN_PROGRESS": "DELETE_FAILED",
}


class Operations:
    name = "cfn-operations"

    def __init__(self, engine: Engine, supervisor: Supervisor, settle_s: float = 0.0) -> None:
        self.engine = engine
        self.supervisor = supervisor
        self.settle_s = settle_s
        self.running: set[str] = set()
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._after: dict[str, list[Job]] = {}
        self._deletes: dict[str, str | None] = {}
        self._started = False

    def submit(self, stack_id: str, resumed: bool = False) -> None:
        self.running.add(stack_id)
        self._queue.put_nowait(lambda: self._drive(stack_id, resumed))

    def submit_job(self, job: Job) -> None:
        self._queue.put_nowait(job)

    def after(self, stack_id: str, job: Job) -> None:
        if stack_id in self.running:
            self._after.setdefault(stack_id, []).append(job)
        else:
            self.submit_job(job)

    async def settle(self, done: Callable[[], bool]) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + self.settle_s
        while not done() and loop.time() < end:
            await asyncio.sleep(SETTLE_POLL_S)

    def delete_after(self, stack_id: str, token: str | None) -> None:
        self._deletes[stack_id] = token

    async def _drive(self, stack_id: str, resumed: bool) -> None:
        failures = 0
        try:
            while True:
                try:
                    await self.engine.drive(stack_id, resumed)
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    self.supervisor.failed(self.name, e)
                    failures += 1
                    await asyncio.sleep(RETRY_S)
                    if failures >= ATTEMPTS:
                        await self._give_up(stack_id, e)
                        break
                    resumed = True
                    continue
                if stack_id in self._deletes:
                    token = self._deletes.pop(stack_id)
                    stack = self.engine.book.stacks[stack_id]
                    if stack.status != "DELETE_COMPLETE":
                        await self.engine.set_status(
                            replace(stack, client_request_token=token),
                            "DELETE_IN_PROGRESS",
                            "User Initiated",
                        )
                        resumed = False
                        continue
                break
        finally:
            self.running.discard(stack_id)
            for job in self._after.pop(stack_id, []):
                self.submit_job(job)

    async def _give_up(self, stack_id: str, error: Exception) -> None:
        stack = self.engine.book.stacks[stack_id]
        final = GIVE_UP.get(stack.status)
        if final is not None:
            reason = f"Internal failure: {type(error).__name__}: {error}"
            await self.engine.set_status(stack, final, reason)

    async def _step(self) -> None:
        job = await self._queue.get()
        task = asyncio.get_running_loop().create_task(self._run(job), name="ovis:cfn-operation")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Job) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.supervisor.failed(self.name, e)

    async def start(self) -> None:
        if not self._started:
            self._started = True
            self.supervisor.loop(self.name, self._step)

    async def close(self) -> None:
        if not self._started:
            return
        self._started = False
        await self.supervisor.stop(self.name)
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    async def idle(self) -> None:
        """Wait until nothing is queued or running (tests)."""
        while self._tasks or not self._queue.empty():
            await asyncio.sleep(0.01)
