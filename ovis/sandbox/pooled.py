"""What the pools need of an instance and of whatever makes instances, and a pool itself.

The pool modules (on_demand, provisioned_pools, eviction, freezing) program against these
protocols only, so unit tests drive them with structural fakes instead of processes.
"""

from __future__ import annotations

from typing import Protocol

from ovis.sandbox.instance import InstanceSpec, Invocation, Outcome, State


class PooledInstance(Protocol):
    """An instance as a pool sees it (``sandbox.instance.Instance`` is the real one)."""

    id: str
    log_stream: str
    state: State
    frozen: bool
    last_used: float  # monotonic time of its last release
    invocations: int
    reserved_mb: int  # counted against the memory budget; 0 once dropped
    provisioned_for: tuple[str, str] | None  # (function, qualifier) of a provisioned pool
    init_ms: float | None  # reported on its first invocation; None: initialized ahead of time

    @property
    def spec(self) -> InstanceSpec: ...

    async def start(self) -> None: ...

    async def wait_for_runtime(self, timeout: float = 2.0) -> bool: ...

    async def invoke(self, inv: Invocation) -> Outcome: ...

    def freeze(self) -> None: ...

    def thaw(self) -> None: ...

    def kill(self) -> None: ...


class Launcher(Protocol):
    """Makes (not starts) instances. ``close()`` is idempotent and ends everything it made."""

    async def start(self) -> None: ...

    async def create(self, spec: InstanceSpec) -> PooledInstance: ...

    def close(self) -> None: ...


class Pool:
    """Instances of one spec: ``idle`` (most recently released last) and ``busy``."""

    def __init__(self, spec: InstanceSpec) -> None:
        self.spec = spec
        self.idle: list[PooledInstance] = []
        self.busy: set[PooledInstance] = set()
        self.retired = False  # no new instances; busy ones die when released
        self.prestarting = False  # a spare instance is being initialized ahead of demand
        self.last_init_ms = 0.0  # how long this pool's latest cold start took

    def size(self) -> int:
        return len(self.idle) + len(self.busy)
