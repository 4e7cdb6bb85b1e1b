"""The durable timer: schedules fire once each, on time, and their fires are delivered at least
once, across restarts and kill -9.

Two supervised loops:

- ``scheduler-timer`` sleeps exactly until the earliest due schedule (the top of
  ScheduleService's heap of due times; an asyncio wait on the change event with that timeout, so
  an API change re-arms it; never a fixed-interval poll). When
  schedules are due it records their fires in ONE store transaction (``record_fires``): each
  schedule moves to its next fire (or is deleted: ActionAfterCompletion DELETE after its last
  fire) and the fire enters the outbox. The store refuses a fire already recorded, so a fire
  recorded before a crash is never recorded again: each fire happens once.
- ``scheduler-delivery`` delivers outbox fires that are due (at once, or their next retry),
  removing each from the outbox only after its target took it (at least once: a crash between
  delivery and removal delivers it again).

Missed fires (the server was down, or the loop fell behind): AWS never misses a fire; an
invocation that cannot be delivered within the target's RetryPolicy.MaximumEventAgeInSeconds
is dropped (or dead-lettered). So on waking late, a schedule fires ONCE for its latest missed
time if that is within MaximumEventAgeInSeconds (counted from when it was due), and otherwise
skips it (logged); then it continues with its next fire after now.

Retries: a delivery the target refuses is retried with exponential backoff and jitter (1 s,
doubling, at most 5 minutes; times ``retry_scale``, which tests shrink) until
MaximumRetryAttempts retries were made or the next attempt would exceed
MaximumEventAgeInSeconds; then the fire goes to the target's DeadLetterConfig queue with AWS's
attributes (ERROR_CODE, ERROR_MESSAGE, EXECUTION_ID, RETRY_ATTEMPTS, SCHEDULE_ARN,
TARGET_ARN), or is dropped when it has none or the DLQ refuses it (logged).

Close: both loops stop; deliveries in flight are cancelled and stay in the outbox (delivered
again on the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from dataclasses import replace

from ovis.models.schedule import Fire, FireRecord, Schedule
from ovis.services.scheduler.repository import ScheduleRepository
from ovis.services.scheduler.schedules import ScheduleService, due_for, now_ms
from ovis.services.scheduler.targets import TargetFailed, Targets
from ovis.storage.group_commit import GroupCommit
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)

TIMER = "scheduler-timer"  # supervised loop names, as /_ovis/health reports them
DELIVERY = "scheduler-delivery"
RETRY_BASE_S = 1.0
RETRY_MAX_S = 300.0
MAX_CATCH_UP_STEPS = 100_000  # bounds the walk over a schedule's missed fire times
MAX_DELIVERIES_IN_FLIGHT = 64


def retry_delay_s(attempts: int) -> float:
    """Backoff before retry number ``attempts`` (1-based): exponential with jitter."""
    base = min(RETRY_MAX_S, RETRY_BASE_S * 2.0 ** min(attempts - 1, 20))
    return base * random.uniform(0.5, 1.0)


class Firing:
    def __init__(
        self,
        store: ScheduleRepository,
        schedules: ScheduleService,
        targets: Targets,
        supervisor: Supervisor,
        retry_scale: float = 1.0,
    ) -> None:
        self.store = store
        self.schedules = schedules
        self.targets = targets
        self.supervisor = supervisor
        self.retry_scale = retry_scale
        self._timer_wake = asyncio.Event()
        self._delivery_wake = asyncio.Event()
        self._outbox: dict[str, Fire] = {}
        self._inflight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_DELIVERIES_IN_FLIGHT)
        self._finishes: GroupCommit[tuple[str, int | None, int]] = GroupCommit(self._finish)
        schedules.on_change = self.changed

    def _finish(self, items: list[tuple[str, int | None, int]]) -> None:
        done = [eid for eid, attempts, _ in items if attempts is None]
        retry = [(eid, attempts, due) for eid, attempts, due in items if attempts is not None]
        self.store.finish_fires(done, retry)

    def changed(self) -> None:
        """A schedule changed: the timer re-reads its next due time."""
        self._timer_wake.set()

    async def start(self) -> None:
        fires = await asyncio.to_thread(self.store.schedule_fires)
        self._outbox = {f.execution_id: f for f in fires}
        self.supervisor.loop(TIMER, self._timer_step)
        self.supervisor.loop(DELIVERY, self._delivery_step)

    async def close(self) -> None:
        await self.supervisor.stop(TIMER)
        await self.supervisor.stop(DELIVERY)
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    def pending(self) -> int:
        """Fires recorded and not yet delivered or dead-lettered."""
        return len(self._outbox)

    # ---- the timer ---------------------------------------------------------------------

    async def _timer_step(self) -> None:
        self._timer_wake.clear()
        now = now_ms()
        due = self.schedules.take_due(now)
        if not due:
            earliest = self.schedules.next_due()
            timeout = None if earliest is None else max(0.0, (earliest - now) / 1000)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timer_wake.wait(), timeout)
            return
        try:
            await self._fire(due, now)
        except BaseException:
            # Not recorded: back on the heap, retried by the supervisor's next step.
            for s in due:
                self.schedules.requeue(s)
            raise

    def _step(self, s: Schedule, now: int) -> tuple[FireRecord, Schedule | None]:
        assert s.next_fire_ms is not None and s.next_due_ms is not None
        nominal = latest = s.next_fire_ms
        missed = 0
        while missed < MAX_CATCH_UP_STEPS:
            n = s.next_after(latest)
            if n is None or n > now:
                break
            latest, missed = n, missed + 1
        # The event's age counts from when it was due (a flexible window's moment included).
        reference = s.next_due_ms if latest == nominal else latest
        fire: Fire | None = None
        if now - reference <= s.max_event_age_s * 1000:
            fire = Fire(str(uuid.uuid4()), s.arn, s.group, s.name, s.target, reference, now)
        else:
            log.warning(
                "schedule %s: skipped its fire due at %d, older than MaximumEventAgeInSeconds",
                s.arn,
                reference,
            )
        if missed:
            log.warning("schedule %s: %d missed fire times coalesced into one", s.arn, missed)
        nxt = s.next_after(latest)
        delete = nxt is None and s.action_after_completion == "DELETE"
        record = FireRecord(s.group, s.name, nominal, latest, nxt, due_for(s, nxt), delete, fire)
        after = (
            None
            if delete
            else replace(s, next_fire_ms=nxt, next_due_ms=record.next_due_ms, last_fired_ms=latest)
        )
        return record, after

    async def _fire(self, due: list[Schedule], now: int) -> None:
        steps = [(s, *self._step(s, now)) for s in due]
        applied = await asyncio.to_thread(self.store.record_fires, [r for _, r, _ in steps])
        for (s, record, after), ok in zip(steps, applied, strict=True):
            if not ok:
                # The API changed (or deleted) the schedule under this fire: its new state
                # decides (it re-enters the heap when memory catches up).
                log.info(
                    "schedule %s: fire at %d superseded by an API change", s.arn, record.fired_ms
                )
                continue
            self.schedules.fired(s, after)
            if record.fire is not None:
                self._outbox[record.fire.execution_id] = record.fire
        self._delivery_wake.set()

    # ---- delivery ----------------------------------------------------------------------

    async def _delivery_step(self) -> None:
        self._delivery_wake.clear()
        now = now_ms()
        earliest: int | None = None
        for f in list(self._outbox.values()):
            if f.execution_id in self._inflight:
                continue
            if f.due_ms <= now:
                self._inflight.add(f.execution_id)
                task = asyncio.get_running_loop().create_task(self._deliver(f))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif earliest is None or f.due_ms < earliest:
                earliest = f.due_ms
        timeout = None if earliest is None else max(0.0, (earliest - now) / 1000)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._delivery_wake.wait(), timeout)

    async def _deliver(self, fire: Fire) -> None:
        try:
            async with self._slots:
                try:
                    await self.targets.deliver(fire)
                except TargetFailed as e:
                    await self._failed(fire, e)
                except Exception as e:  # a bug or a store error: retried like a refusal
                    log.exception("schedule %s: delivering %s failed", fire.schedule_arn, fire)
                    await self._failed(fire, TargetFailed("InternalServerException", str(e)))
                else:
                    await self._finishes.submit((fire.execution_id, None, 0))
                    self._outbox.pop(fire.execution_id, None)
        finally:
            self._inflight.discard(fire.execution_id)
            self._delivery_wake.set()

    async def _failed(self, fire: Fire, failure: TargetFailed) -> None:
        attempts = fire.attempts + 1
        delay_ms = int(retry_delay_s(attempts) * self.retry_scale * 1000)
        now = now_ms()
        too_old = now + delay_ms - fire.fire_ms > fire.max_event_age_s * 1000
        if attempts > fire.max_retries or too_old:
            dead = replace(fire, attempts=attempts)
            try:
                sent = await self.targets.dead_letter(dead, failure)
            except TargetFailed as e:
                log.warning(
                    "schedule %s: fire %s dropped: %s; its dead-letter queue refused it: %s",
                    fire.schedule_arn,
                    fire.execution_id,
                    failure,
                    e,
                )
            else:
                log.warning(
                    "schedule %s: fire %s %s after %d attempts: %s",
                    fire.schedule_arn,
                    fire.execution_id,
                    "dead-lettered" if sent else "dropped",
                    attempts,
                    failure,
                )
            await self._finishes.submit((fire.execution_id, None, 0))
            self._outbox.pop(fire.execution_id, None)
            return
        retry = replace(fire, attempts=attempts, due_ms=now + delay_ms)
        await self._finishes.submit((fire.execution_id, attempts, retry.due_ms))
        self._outbox[fire.execution_id] = retry
