"""The in-memory view of function configurations, written through to the store.

The invoke hot path reads configurations from here only (never from the database). Writers
(the control layer) go through ``put``/``delete``, which persist first, then update the cache and
notify listeners (so the sandbox retires instances of an old configuration).
Contract: event-loop thread only; ``load()`` once at start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ovis.invoke.repositories import FunctionRepository
from ovis.models.alias import Alias
from ovis.models.function import FunctionConfig

Listener = Callable[[str], None]


class FunctionRegistry:
    def __init__(self, store: FunctionRepository) -> None:
        self.store = store
        self._configs: dict[tuple[str, str], FunctionConfig] = {}
        self._aliases: dict[tuple[str, str], Alias] = {}
        self._listeners: list[Listener] = []

    def load(self) -> None:
        self._configs = {(c.name, c.version): c for c in self.store.list_functions()}
        aliases = (Alias.from_json(d) for d in self.store.list_aliases())
        self._aliases = {(a.function, a.name): a for a in aliases}

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

    async def publish(self, cfg: FunctionConfig) -> None:
        await asyncio.to_thread(self.store.publish_version, cfg)
        self._configs[(cfg.name, cfg.version)] = cfg
        self._notify(cfg.name)

    async def delete_version(self, name: str, version: str) -> None:
        await asyncio.to_thread(self.store.delete_version, name, version)
        self._configs.pop((name, version), None)
        self._notify(name)

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(self.store.delete_function, name)
        for key in [k for k in self._configs if k[0] == name]:
            del self._configs[key]
        for key in [k for k in self._aliases if k[0] == name]:
            del self._aliases[key]
        self._notify(name)

    # aliases
    def alias(self, function: str, name: str) -> Alias | None:
        return self._aliases.get((function, name))

    def aliases(self, function: str) -> list[Alias]:
        return sorted(
            (a for (f, _), a in self._aliases.items() if f == function), key=lambda a: a.name
        )

    async def put_alias(self, alias: Alias) -> None:
        await asyncio.to_thread(self.store.put_alias, alias.function, alias.name, alias.to_json())
        self._aliases[(alias.function, alias.name)] = alias
        self._notify(alias.function)

    async def delete_alias(self, function: str, name: str) -> None:
        await asyncio.to_thread(self.store.delete_alias, function, name)
        self._aliases.pop((function, name), None)
        self._notify(function)

    def _notify(self, name: str) -> None:
        for listener in self._listeners:
            listener(name)
