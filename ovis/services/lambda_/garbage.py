"""Reclaiming code nothing references: the supervised ``code-garbage`` loop.

A pass is a mark and sweep over the CodeStore (zips and their extracted trees):

1. ``before`` = now - grace. Anything written or reused since then is spared whatever the
   references say: a CreateFunction/PublishLayerVersion stores its code first and records the
   reference right after, and that window must stay under the grace period (milliseconds here,
   an hour by default).
2. mark: the digests every stored function version (``$LATEST`` and published versions: their
   code and the layers they were built with, which stay usable after the layer version is
   deleted, as on Lambda) and every live layer version references, read from the repositories
   after ``before`` was chosen;
3. sweep: every other digest whose zip and tree are both older than ``before`` is deleted
   (``CodeStore.remove_stale`` re-checks the age under the store's lock, so a reuse that races
   the pass either keeps the digest or writes it again).

Container images are not swept here (the image store is a registry the operator imports into;
an image stays until removed with ``ovis image``).

Counters (``stats()``): passes, digests and bytes removed, the last pass's time; the server's
health shows them, so a test can wait for a pass rather than sleep.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ovis.models.function import FunctionConfig
from ovis.models.layer import LayerVersion
from ovis.storage.code import CodeStore
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)

LOOP = "code-garbage"
DEFAULT_GRACE_S = 3600.0
DEFAULT_INTERVAL_S = 600.0


class FunctionVersions(Protocol):
    def list_functions(self) -> list[FunctionConfig]: ...


class LayerVersions(Protocol):
    def list_layer_versions(self, name: str | None = None) -> list[LayerVersion]: ...


@dataclass
class GarbageStats:
    passes: int = 0
    removed: int = 0
    bytes_freed: int = 0
    last_pass_s: float = 0.0


class CodeCollector:
    """A ``Component``: starts the loop on ``start()``, stops it on ``close()``.

    ``grace_s`` and ``interval_s`` default to an hour and ten minutes; the environment variables
    ``OVIS_CODE_GC_GRACE_S`` and ``OVIS_CODE_GC_INTERVAL_S`` scale them (tests use a second)."""

    name = LOOP

    def __init__(
        self,
        code: CodeStore,
        functions: FunctionVersions,
        layers: LayerVersions,
        supervisor: Supervisor,
        grace_s: float | None = None,
        interval_s: float | None = None,
    ) -> None:
        self.code = code
        self.functions = functions
        self.layers = layers
        self.supervisor = supervisor
        self.grace_s = (
            grace_s if grace_s is not None else _env("OVIS_CODE_GC_GRACE_S", DEFAULT_GRACE_S)
        )
        self.interval_s = (
            interval_s
            if interval_s is not None
            else _env("OVIS_CODE_GC_INTERVAL_S", DEFAULT_INTERVAL_S)
        )
        self.counters = GarbageStats()

    async def start(self) -> None:
        self.supervisor.loop(LOOP, self._step)

    async def close(self) -> None:
        await self.supervisor.stop(LOOP)

    def stats(self) -> dict[str, Any]:
        c = self.counters
        return {
            "passes": c.passes,
            "removed": c.removed,
            "bytes_freed": c.bytes_freed,
            "last_pass_s": c.last_pass_s,
            "grace_s": self.grace_s,
        }

    async def _step(self) -> None:
        await asyncio.sleep(self.interval_s)
        await asyncio.to_thread(self.sweep)

    def referenced(self) -> set[str]:
        """Every digest a stored function version or live layer version needs."""
        refs: set[str] = set()
        for cfg in self.functions.list_functions():
            refs.add(cfg.code_digest)
            refs.update(cfg.layer_digests)
        refs.update(v.digest for v in self.layers.list_layer_versions())
        return refs

    def sweep(self) -> int:
        """One pass; the number of digests removed."""
        before = time.time() - self.grace_s  # chosen before the references are read
        candidates = self.code.digests()
        refs = self.referenced()
        removed = 0
        for digest in sorted(candidates - refs):
            freed = self.code.remove_stale(digest, before)
            if freed:
                removed += 1
                self.counters.bytes_freed += freed
        if removed:
            log.info("code-garbage: removed %d unreferenced code digests", removed)
        self.counters.removed += removed
        self.counters.passes += 1
        self.counters.last_pass_s = time.time()
        return removed


def _env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %s", name, raw, default)
        return default
    return max(value, 0.0)
