"""How many concurrent batch loops an SQS mapping runs, after AWS's scaling rules for SQS
("Using Lambda with Amazon SQS": scaling and processing).

AWS starts five pollers, adds up to 300 a minute while messages keep coming (batches come
back full, the backlog stays), never beyond ScalingConfig.MaximumConcurrency nor the
function's concurrency, and backs off when the function is throttled or the queue is idle.
On one machine a batch loop is a coroutine (and, while it invokes, one sandbox instance), so
we scale in the same shape at a pace one host absorbs: every ``interval_s`` (0.5 s) at least
``step`` (5) more loops and at most twice as many (AWS's 300 a minute is 5 a second; doubling
reaches a useful size within two seconds, where concurrent loops also share store commits),
and only as many as the backlog can keep busy.

Contract (pure state, no I/O, event-loop thread only):
- ``target`` is how many loops should run; it is always within ``1 .. ceiling()``.
- ``ceiling()`` is re-read on every decision: MaximumConcurrency, the function's reserved
  concurrency (a function with reserved concurrency N never gets more than N loops, so never
  more than N concurrent batches from this mapping) and the account limit.
- ``grow`` (a loop saw a full batch) raises ``target`` (by ``step`` up to doubling, within
  what the backlog keeps busy) at most once per ``interval_s``, never
  within ``cooldown_s`` of a throttle; ``throttled`` halves it; ``idle`` (a loop's long poll
  came back empty) lowers it by one down to ``min(start, ceiling())`` and says whether that
  loop should end.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

START_LOOPS = 5


class LoopScaler:
    def __init__(
        self,
        ceiling: Callable[[], int],
        *,
        start: int = START_LOOPS,
        step: int = 5,
        interval_s: float = 0.5,
        cooldown_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ceiling = ceiling
        self.start = start
        self.step = step
        self.interval_s = interval_s
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._target = min(start, self.ceiling())
        self._last_grow = -math.inf
        self._last_throttle = -math.inf

    def ceiling(self) -> int:
        return max(1, self._ceiling())

    @property
    def target(self) -> int:
        return max(1, min(self._target, self.ceiling()))

    @property
    def floor(self) -> int:
        return max(1, min(self.start, self.ceiling()))

    def can_grow(self) -> bool:
        now = self.clock()
        return (
            now - self._last_grow >= self.interval_s
            and now - self._last_throttle >= self.cooldown_s
            and self.target < self.ceiling()
        )

    def grow(self, backlog: int, batch_size: int) -> int:
        """Add loops for a backlog of ``backlog`` visible messages; the new target."""
        if not self.can_grow():
            return self.target
        self._last_grow = self.clock()
        wanted = math.ceil(backlog / max(1, batch_size))  # loops the backlog keeps busy
        if wanted > self.target:  # at least ``step`` more, at most double
            self._target = min(self.target + max(self.step, self.target), wanted, self.ceiling())
        return self.target

    def throttled(self) -> int:
        self._last_throttle = self.clock()
        self._target = max(1, self.target // 2)
        return self._target

    def idle(self, running: int) -> bool:
        """A loop of ``running`` found the queue empty: True if it should end."""
        if running <= self.floor:
            self._target = max(self.target, min(running, self.floor))
            return False
        self._target = max(self.floor, min(self.target, running - 1))
        return running > self._target
