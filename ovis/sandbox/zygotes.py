"""One runtime zygote per Python interpreter, started on first use and restarted when it died.

Contract: event-loop thread only; ``get()`` may be awaited concurrently (one start at a time, a
lock). ``close()`` is idempotent and kills every zygote (and with them, their instances).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence

from ovis.sandbox.zygote import Zygote, python_zygote_argv

log = logging.getLogger(__name__)


class Zygotes:
    def __init__(self, namespaces: bool, preload: Sequence[str] = ("boto3",)) -> None:
        self.namespaces = namespaces
        self.preload = list(preload)
        self._zygotes: dict[str, Zygote] = {}
        self._lock = asyncio.Lock()

    async def get(self, interpreter: str) -> Zygote:
        """The live zygote of ``interpreter``, starting (or restarting) it if needed."""
        z = self._zygotes.get(interpreter)
        if z is not None and z.alive():
            return z
        async with self._lock:
            z = self._zygotes.get(interpreter)
            if z is not None and z.alive():
                return z
            if z is not None:
                log.warning("runtime zygote for %s died; restarting it", interpreter)
                z.close()
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "LANG": "C.UTF-8",
                # the zygote pre-forks "blank" children with the namespaces instances will use
                "_OVIS_NAMESPACES": "1" if self.namespaces else "0",
            }
            z = Zygote(python_zygote_argv(interpreter), self.preload, env)
            await z.start()
            self._zygotes[interpreter] = z
            return z

    def close(self) -> None:
        for z in self._zygotes.values():
            z.close()
        self._zygotes.clear()
