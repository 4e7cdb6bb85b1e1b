"""LoopScaler: AWS's SQS scaling shape (start 5, grow on full batches, halve on throttles, shrink
when idle), capped by the ceiling."""

from __future__ import annotations

from ovis.services.lambda_.esm.sqs_scaling import LoopScaler


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_starts_with_five_and_never_beyond_the_ceiling() -> None:
    assert LoopScaler(lambda: 1000).target == 5
    assert LoopScaler(lambda: 2).target == 2  # MaximumConcurrency 2 / reserved concurrency 2
    assert LoopScaler(lambda: 0).target == 1  # reserved 0: one loop keeps retrying
    cap = [1000]
    s = LoopScaler(lambda: cap[0])
    cap[0] = 3  # reserved concurrency lowered while running
    assert s.target == 3


def test_grows_by_step_per_interval_up_to_what_the_backlog_keeps_busy() -> None:
    clock = Clock()
    s = LoopScaler(lambda: 12, step=5, interval_s=1.0, clock=clock)
    assert s.grow(backlog=10_000, batch_size=10) == 10
    assert s.grow(backlog=10_000, batch_size=10) == 10  # once per interval
    clock.t += 1
    assert s.grow(backlog=10_000, batch_size=10) == 12  # the ceiling
    clock.t += 1
    assert not s.can_grow()
    small = LoopScaler(lambda: 100, clock=clock)
    assert small.grow(backlog=60, batch_size=10) == 6  # 60 messages keep 6 loops busy


def test_a_throttle_halves_and_holds_growth_for_the_cooldown() -> None:
    clock = Clock()
    s = LoopScaler(lambda: 100, interval_s=1.0, cooldown_s=2.0, clock=clock)
    clock.t += 1
    s.grow(1000, 10)
    assert s.target == 10
    assert s.throttled() == 5
    assert s.throttled() == 2
    clock.t += 1.5
    assert not s.can_grow()
    clock.t += 1
    assert s.grow(1000, 10) == 7


def test_idle_loops_end_down_to_the_floor() -> None:
    clock = Clock()
    s = LoopScaler(lambda: 100, clock=clock)
    clock.t += 1
    s.grow(1000, 10)
    assert s.target == 10
    ended = 0
    running = 10
    for _ in range(10):
        if s.idle(running):
            running -= 1
            ended += 1
    assert (running, ended, s.target) == (5, 5, 5)


def test_growth_at_least_step_at_most_doubling() -> None:
    clock = Clock()
    s = LoopScaler(lambda: 1000, step=5, interval_s=1.0, clock=clock)
    seen = []
    for _ in range(5):
        clock.t += 1
        seen.append(s.grow(backlog=1_000_000, batch_size=10))
    assert seen == [10, 20, 40, 80, 160]
