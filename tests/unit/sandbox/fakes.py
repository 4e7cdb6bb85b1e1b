"""Structural fakes for the pool modules: instances without processes, a launcher, a clock."""

from __future__ import annotations

import asyncio
import itertools

from ovis.runtimes.base import LaunchSpec, Start
from ovis.sandbox.instance import InstanceSpec, Invocation, Outcome, State
from ovis.sandbox.isolation import Isolation


def spec(
    name: str = "fn", version: str = "$LATEST", revision: str = "r1", memory_mb: int = 128
) -> InstanceSpec:
    launch = LaunchSpec(
        start=Start.FORK, env={"A": "1"}, transport="channel", interpreter="python3", cwd="/"
    )
    return InstanceSpec((name, version, revision), launch, memory_mb=memory_mb, timeout_s=3)


def no_isolation() -> Isolation:
    return Isolation(False, None, False, "none (unit test)")


class Clock:
    """Monotonic time that moves only when a test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeInstance:
    """Satisfies ``sandbox.pooled.PooledInstance``; records what the pools did to it."""

    def __init__(self, spec: InstanceSpec, n: int, init_ms: float = 5.0) -> None:
        self._spec = spec
        self.id = f"i{n}"
        self.log_stream = f"stream-{n}"
        self.state = State.STARTING
        self.frozen = False
        self.last_used = 0.0
        self.invocations = 0
        self.reserved_mb = spec.memory_mb
        self.provisioned_for: tuple[str, str] | None = None
        self.init_ms: float | None = None
        self.killed = False
        self.freezes = 0
        self.thaws = 0
        self.runtime_alive = True  # False: the runtime exited after its last result
        self.fail_start: BaseException | None = None
        self.fail_freeze: OSError | None = None
        self._init = init_ms

    @property
    def spec(self) -> InstanceSpec:
        return self._spec

    async def start(self) -> None:
        await asyncio.sleep(0)
        if self.fail_start is not None:
            self.state = State.DEAD
            raise self.fail_start
        self.init_ms = self._init
        self.state = State.IDLE

    async def wait_for_runtime(self, timeout: float = 2.0) -> bool:
        if not self.runtime_alive:
            self.state = State.DEAD
        return self.state is State.IDLE

    async def invoke(self, inv: Invocation) -> Outcome:
        self.invocations += 1
        return Outcome("success", inv.payload, 1.0, 1)

    def freeze(self) -> None:
        if self.fail_freeze is not None:
            raise self.fail_freeze
        self.freezes += 1
        self.frozen = True

    def thaw(self) -> None:
        self.thaws += 1
        self.frozen = False

    def kill(self) -> None:
        self.killed = True
        self.state = State.DEAD

    def __repr__(self) -> str:
        return f"<{self.id} {self.state.value}>"


class FakeLauncher:
    """Satisfies ``sandbox.pooled.Launcher``: makes FakeInstances and remembers them."""

    def __init__(self, init_ms: float = 5.0) -> None:
        self.made: list[FakeInstance] = []
        self.init_ms = init_ms
        self.fail_next_start: BaseException | None = None
        self.started = False
        self.closed = 0
        self._ids = itertools.count(1)

    async def start(self) -> None:
        self.started = True

    async def create(self, spec: InstanceSpec) -> FakeInstance:
        inst = FakeInstance(spec, next(self._ids), self.init_ms)
        if self.fail_next_start is not None:
            inst.fail_start, self.fail_next_start = self.fail_next_start, None
        self.made.append(inst)
        return inst

    def close(self) -> None:
        self.closed += 1
