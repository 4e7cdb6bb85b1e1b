"""Provisioned concurrency: pre-initialized instances for a version or alias.

Each config (function, qualifier) owns a reconcile task that brings the number of ready instances
to the requested count: Status IN_PROGRESS until then, READY after, FAILED with a reason if
instances cannot start. Invocations of that qualifier use these instances first and spill over
to on-demand ones. Configs survive restarts (re-provisioned at start) and follow an alias when it
moves to another version. Contract: event-loop thread only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from ovis.errors import (
    ApiError,
    InvalidParameterValueException,
    ResourceConflictException,
)
from ovis.invoke.invoker import Invoker
from ovis.invoke.repositories import ProvisionedConcurrencyRepository
from ovis.models.function import LATEST

log = logging.getLogger(__name__)


class ProvisionedConcurrencyConfigNotFoundException(ApiError):
    code, status = "ProvisionedConcurrencyConfigNotFoundException", 404


@dataclass
class ProvisionedConfig:
    function: str
    qualifier: str
    requested: int
    last_modified: str
    allocated: int = 0
    status: str = "IN_PROGRESS"
    reason: str | None = None


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class ProvisionedService:
    def __init__(self, invoker: Invoker, store: ProvisionedConcurrencyRepository) -> None:
        self.invoker = invoker
        self.store = store
        self.registry = invoker.registry
        self.manager = invoker.manager
        self.configs: dict[tuple[str, str], ProvisionedConfig] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.registry.on_change(self._on_function_change)

    def load(self) -> None:
        for function, qualifier, requested, modified in self.store.provisioned_configs():
            self.configs[(function, qualifier)] = ProvisionedConfig(
                function, qualifier, requested, modified
            )
        for target in list(self.configs):
            self._reconcile_soon(target)

    # ---- use cases -------------------------------------------------------------------------

    def _target(self, name: str, qualifier: str | None) -> tuple[str, str]:
        if not qualifier or qualifier == LATEST:
            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions."
            )
        self.invoker.resolve_version(name, qualifier)  # 404 for a missing version or alias
        return name, qualifier

    def _version_of(self, name: str, qualifier: str) -> str:
        return self.invoker.resolve_version(name, qualifier)

    async def put(self, name: str, qualifier: str | None, requested: int) -> ProvisionedConfig:
        target = self._target(name, qualifier)
        version = self._version_of(*target)
        for (fn, q), _cfg in self.configs.items():
            if fn == name and q != target[1] and self._safe_version(fn, q) == version:
                kind = "alias" if not q.isdigit() else "version"
                raise ResourceConflictException(
                    f"Alias and version cannot both have provisioned concurrency: {kind} {q} "
                    f"already has a provisioned concurrency config for version {version}."
                )
        reserved = self.invoker.limiter.reserved.get(name)
        total = requested + sum(
            c.requested for (fn, q), c in self.configs.items() if fn == name and q != target[1]
        )
        if reserved is not None and total > reserved:
            raise InvalidParameterValueException(
                "Requested Provisioned Concurrency should not be greater than the "
                f"reservedConcurrentExecution for function: {reserved}"
            )
        cfg = self.configs.get(target)
        modified = _now_iso()
        await asyncio.to_thread(self.store.put_provisioned, name, target[1], requested, modified)
        if cfg is None:
            cfg = self.configs[target] = ProvisionedConfig(name, target[1], requested, modified)
        cfg.requested, cfg.last_modified = requested, modified
        cfg.status, cfg.reason = "IN_PROGRESS", None
        self._reconcile_soon(target)
        return cfg

    def _safe_version(self, name: str, qualifier: str) -> str | None:
        try:
            return self._version_of(name, qualifier)
        except ApiError:
            return None

    def get(self, name: str, qualifier: str | None) -> ProvisionedConfig:
        cfg = self.configs.get((name, qualifier or ""))
        if cfg is None:
            raise ProvisionedConcurrencyConfigNotFoundException(
                "No Provisioned Concurrency Config found for this function"
            )
        return cfg

    async def delete(self, name: str, qualifier: str | None) -> None:
        target = (name, qualifier or "")
        if target not in self.configs:
            raise ProvisionedConcurrencyConfigNotFoundException(
                "No Provisioned Concurrency Config found for this function"
            )
        await asyncio.to_thread(self.store.put_provisioned, name, target[1], None)
        del self.configs[target]
        task = self._tasks.pop(target, None)
        if task is not None:
            task.cancel()
        self.manager.deprovision(target)

    def list(self, name: str) -> list[ProvisionedConfig]:
        return sorted(
            (c for (fn, _), c in self.configs.items() if fn == name), key=lambda c: c.qualifier
        )

    def utilization(self, name: str, qualifier: str) -> float:
        """Busy share of the allocated instances right now (0.0 when none)."""
        allocated, busy = self.manager.provisioned_counts((name, qualifier))
        return busy / allocated if allocated else 0.0

    # ---- reconciliation --------------------------------------------------------------------

    def _reconcile_soon(self, target: tuple[str, str]) -> None:
        old = self._tasks.get(target)
        if old is not None and not old.done():
            old.cancel()
        self._tasks[target] = asyncio.get_running_loop().create_task(self._reconcile(target))

    async def _reconcile(self, target: tuple[str, str]) -> None:
        cfg = self.configs.get(target)
        if cfg is None:
            return
        try:
            version_cfg = self.invoker.resolve(target[0], self._version_of(*target))
            spec = self.invoker.spec_for(version_cfg, provisioned=True)
            cfg.allocated = await self.manager.provision(target, spec, cfg.requested)
            cfg.status = "READY" if cfg.allocated >= cfg.requested else "IN_PROGRESS"
        except asyncio.CancelledError:
            raise
        except ApiError as e:
            cfg.status, cfg.reason = "FAILED", e.message
        except Exception as e:  # an instance failed to initialize
            log.warning("provisioned concurrency for %s:%s failed: %s", *target, e)
            cfg.status, cfg.reason = "FAILED", "FUNCTION_ERROR_INIT_FAILURE"
            cfg.allocated = self.manager.provisioned_counts(target)[0]

    def _on_function_change(self, name: str) -> None:
        if self.registry.get(name, LATEST) is None:  # function deleted
            for target in [t for t in self.configs if t[0] == name]:
                self.configs.pop(target)
                task = self._tasks.pop(target, None)
                if task is not None:
                    task.cancel()
                self.manager.deprovision(target)
            return
        for target in [t for t in self.configs if t[0] == name]:
            if self._safe_version(*target) is None:
                continue
            self._reconcile_soon(target)  # an alias may point elsewhere now

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
