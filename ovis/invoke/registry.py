"""The in-memory view of function configurations, written through to the store.

The invoke hot path reads configurations from here only (never from the database). Writers
(the control layer) go through ``put``/``delete``, which persist first, then update the cache and
notify listeners (so the sandbox retires instances of an old configuration).
Contract: event-loop thread only; ``load()`` once at start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ovis.models.function import FunctionConfig
from ovis.storage.store import Store

Listener = Callable[[str], None]


class FunctionRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._configs: dict[tuple[str, str], FunctionConfig] = {}
        self._listeners: list[Listener] = []

    def load(self) -> None:
        self._configs = {(c.name, c.version): c for c in self.store.list_functions()}

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def get(self, name: str, version: str) -> FunctionConfig | None:
        return self._configs.get((name, version))

    def versions(self, name: str) -> list[FunctionConfig]:
        return [c for (n, _v), c in self._configs.items() if n == name]

    def names(self) -> list[str]:
        return sorted({n for n, _v in self._configs})

    def all(self) -> list[FunctionConfig]:
        return list(self._configs.values())

    async def put(self, cfg: FunctionConfig) -> None:
        await asyncio.to_thread(self.store.put_function, cfg)
        self._configs[(cfg.name, cfg.version)] = cfg
        self._notify(cfg.name)

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(self.store.delete_function, name)
        for key in [k for k in self._configs if k[0] == name]:
            del self._configs[key]
        self._notify(name)

    def _notify(self, name: str) -> None:
        for listener in self._listeners:
            listener(name)
