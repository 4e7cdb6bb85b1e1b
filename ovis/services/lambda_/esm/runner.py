"""MappingRunner: the component that moves mappings through their states and keeps one poller
per enabled mapping.

Contract:
- On start it loads every stored mapping and reconciles each: a mapping stored in a
  transitional state (Creating, Enabling, Updating, Disabling, Deleting: the server stopped
  mid-way) is finished; an Enabled one gets its poller back.
- It is told of every change by ``MappingService`` (``notify(uuid)``; no polling of the store)
  and reconciles one mapping at a time in the supervised loop ``esm-runner``: an enabled
  mapping runs ``poller.run`` in the supervised loop ``esm:<uuid>`` and is then stored as
  Enabled; a disabled one has no poller and is stored as Disabled; a deleted one loses its
  poller, then its row. An update restarts the poller with the new configuration (a stream
  poller resumes from its stored checkpoints). A reconcile that fails is retried after the
  supervisor's backoff.
- Pollers come from ``factories`` by source kind; a kind without a factory still moves its
  mappings' states (and logs that nothing reads the source yet).
- ``close()`` stops the loop and every poller (``poller.close()``) and stores nothing: the
  mappings stay as they are, and the next start resumes them. Idempotent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping

from ovis.models.event_source_mapping import EventSourceMapping, MappingState, SourceKind
from ovis.services.lambda_.esm.mappings import MappingService
from ovis.services.lambda_.esm.poller import Poller, PollerFactory
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)

LOOP = "esm-runner"


def loop_name(uuid: str) -> str:
    return f"esm:{uuid}"


def _config(m: EventSourceMapping) -> EventSourceMapping:
    """What a poller is built from: the mapping without its state and bookkeeping."""
    return dataclasses.replace(
        m,
        state=MappingState.ENABLED,
        last_modified=0.0,
        state_transition_reason="",
        last_processing_result="",
    )


class MappingRunner:
    name = "event-source-mappings"

    def __init__(
        self,
        mappings: MappingService,
        supervisor: Supervisor,
        factories: Mapping[SourceKind, PollerFactory],
    ) -> None:
        self.mappings = mappings
        self.supervisor = supervisor
        self.factories = dict(factories)
        self._pollers: dict[str, Poller] = {}
        self._running: dict[str, EventSourceMapping] = {}  # uuid -> config its poller runs
        self._pending: dict[str, None] = {}  # uuids to reconcile, in order (a set)
        self._wake = asyncio.Event()
        self._started = False

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        await self.mappings.load()
        self.mappings.subscribe(self.notify)
        for m in self.mappings.all():
            self.notify(m.uuid)
        self._started = True
        self.supervisor.loop(LOOP, self.step)

    async def close(self) -> None:
        if not self._started:
            return
        self._started = False
        self.mappings.unsubscribe(self.notify)
        await self.supervisor.stop(LOOP)
        for uuid in list(self._running):
            await self._stop(uuid)

    # ---- reconciling ------------------------------------------------------------------------

    def notify(self, uuid: str) -> None:
        """The mapping ``uuid`` changed (or must be looked at): reconcile it soon."""
        self._pending[uuid] = None
        self._wake.set()

    def idle(self) -> bool:
        """Nothing left to reconcile (for tests and shutdown)."""
        return not self._pending

    async def step(self) -> None:
        if not self._pending:
            self._wake.clear()
            await self._wake.wait()
            return
        uuid = next(iter(self._pending))
        del self._pending[uuid]
        try:
            await self.reconcile(uuid)
        except Exception:
            self._pending.setdefault(uuid, None)  # tried again after the supervisor's backoff
            raise

    async def reconcile(self, uuid: str) -> None:
        m = self.mappings.current(uuid)
        if m is None:
            await self._stop(uuid)
            return
        if m.state == MappingState.DELETING:
            await self._stop(uuid)
            await self.mappings.forget(m)
            return
        if not m.enabled:
            await self._stop(uuid)
            if m.state != MappingState.DISABLED:
                await self.mappings.settle(m, MappingState.DISABLED)
            return
        running = self._running.get(uuid)
        if running is not None and running != _config(m):
            await self._stop(uuid)  # the configuration changed: a new poller runs it
            running = None
        if running is None:
            self._start(m)
        if m.state != MappingState.ENABLED:
            await self.mappings.settle(m, MappingState.ENABLED)

    def _start(self, m: EventSourceMapping) -> None:
        kind = m.source
        factory = self.factories.get(kind) if kind is not None else None
        if factory is None:
            self._running[m.uuid] = _config(m)
            log.info(
                "event source mapping %s is enabled, but this server has no poller for %s "
                "sources yet: nothing reads %s",
                m.uuid,
                kind.value if kind is not None else "its",
                m.event_source_arn,
            )
            return
        poller = factory(m)
        self._running[m.uuid] = _config(m)
        self._pollers[m.uuid] = poller
        self.mappings.stats[m.uuid] = poller.stats
        self.supervisor.loop(loop_name(m.uuid), poller.run)

    async def _stop(self, uuid: str) -> None:
        # Forgotten only once closed: a stop cancelled half-way (shutdown during a reconcile)
        # is done again by close(); poller.close() is idempotent.
        poller = self._pollers.get(uuid)
        if poller is not None:
            await self.supervisor.stop(loop_name(uuid))
            try:
                await poller.close()
            except Exception:
                log.exception("closing the poller of event source mapping %s failed", uuid)
            self._pollers.pop(uuid, None)
        self._running.pop(uuid, None)
