"""Makes real instances: each is forked by the zygote of its launch spec's interpreter, with a
log stream name of its own and a uid from the shared allocator.

Contract: as ``pooled.Launcher``. ``start()`` starts the server's own interpreter's zygote (the
one most instances fork from) so the first cold start does not pay for it.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Awaitable, Sequence

from ovis.runtimes.base import LaunchSpec, Start
from ovis.runtimes.python import sdk
from ovis.runtimes.python.adapter import OWN_PYTHON
from ovis.sandbox.instance import Instance, InstanceSpec
from ovis.sandbox.isolation import UID_STATE, Isolation, UidAllocator
from ovis.sandbox.zygote import Zygote
from ovis.sandbox.zygotes import Zygotes


class ZygoteLauncher:
    def __init__(
        self, isolation: Isolation, spawn_mode: str = "zygote", preload: Sequence[str] = ("boto3",)
    ) -> None:
        self.isolation = isolation
        self.spawn_mode = spawn_mode
        self.uids = UidAllocator(UID_STATE if isolation.drop_uid else None)
        self.zygotes = Zygotes(isolation.namespaces, preload, isolation.disks)

    async def start(self) -> None:
        await self._zygote_for(None)

    def _zygote_for(self, launch: LaunchSpec | None) -> Awaitable[Zygote]:
        """Managed Python forks from its interpreter's zygote (one that did not preload the SDK
        if the function ships its own); everything that execs, from the server's own zygote."""
        if launch is not None and launch.start is Start.FORK:
            preload = launch.preload_sdk
            return self.zygotes.get(launch.interpreter, launch.sdk_dir, preload)
        return self.zygotes.get(sys.executable, str(sdk.sdk_dir(OWN_PYTHON)), True)

    async def create(self, spec: InstanceSpec) -> Instance:
        zygote = await self._zygote_for(spec.launch)
        return Instance(
            spec,
            zygote,
            log_stream_name(spec.key[1]),
            self.isolation,
            self.uids,
            fresh_interpreter=self.spawn_mode == "exec",
        )

    def close(self) -> None:
        self.zygotes.close()


def log_stream_name(version: str) -> str:
    return time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]{secrets.token_hex(16)}"
