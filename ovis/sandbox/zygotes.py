"""Runtime zygotes, one per (Python interpreter, SDK directory, preloading or not), started on
first use and restarted when they died.

Most instances fork from the zygote that preloaded the runtime's SDK (boto3): that is the fast
cold start. A function that ships its own copy of an SDK package forks from one that did not, so
its copy is the one it imports.

Contract: event-loop thread only; ``get()`` may be awaited concurrently (one start at a time, a
lock). ``close()`` is idempotent and kills every zygote (and with them, their instances).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from ovis.runtimes.python import sdk
from ovis.sandbox import rootfs
from ovis.sandbox.ephemeral import EphemeralDisks
from ovis.sandbox.zygote import Zygote, python_zygote_argv

log = logging.getLogger(__name__)

ZygoteKey = tuple[str, str, bool]  # (interpreter, SDK directory, preloads the SDK)


class Zygotes:
    def __init__(
        self,
        namespaces: bool,
        preload: Sequence[str] = ("boto3",),
        disks: EphemeralDisks | None = None,
    ) -> None:
        self.namespaces = namespaces
        self.disks = disks
        self.preload = list(preload)
        self._zygotes: dict[ZygoteKey, Zygote] = {}
        self._lock = asyncio.Lock()
        self._sdks: set[str] = set()  # SDK directories built (or found current) by this server

    async def get(self, interpreter: str, sdk_dir: str = "", preload: bool = True) -> Zygote:
        """The live zygote of ``interpreter`` whose instances import from ``sdk_dir`` (built
        first if missing), preloading it or not; started (or restarted) if needed."""
        key = (interpreter, sdk_dir, preload)
        z = self._zygotes.get(key)
        if z is not None and z.alive():
            return z
        async with self._lock:
            z = self._zygotes.get(key)
            if z is not None and z.alive():
                return z
            if z is not None:
                log.warning("runtime zygote for %s died; restarting it", interpreter)
                z.close()
            if sdk_dir and sdk_dir not in self._sdks:
                path = await asyncio.to_thread(sdk.ensure, Path(sdk_dir).name, interpreter)
                versions = sdk.read_manifest(path) or {}
                log.info("Python runtime SDK: boto3 %s in %s", versions.get("boto3", "?"), path)
                self._sdks.add(sdk_dir)
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "LANG": "C.UTF-8",
                # the zygote pre-forks "blank" children with the namespaces instances will use
                "_OVIS_NAMESPACES": "1" if self.namespaces else "0",
                "_OVIS_SDK_DIR": sdk_dir,
            }
            if self.namespaces:  # the minimal root its instances pivot into
                env["_OVIS_ROOT"] = json.dumps(rootfs.plan(interpreter))
            argv = python_zygote_argv(interpreter)
            z = Zygote(argv, self.preload if preload else [], env, self.disks)
            await z.start()
            self._zygotes[key] = z
            return z

    def close(self) -> None:
        for z in self._zygotes.values():
            z.close()
        self._zygotes.clear()
