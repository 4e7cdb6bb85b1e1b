"""Server side of a runtime zygote (see ovis/runtimes/python/zygote.py for the protocol).

Contract: ``start()`` once, then ``spawn()`` from the event loop thread, any number of times
concurrently; ``on_exit`` callbacks run on the loop when an instance process ends. ``close()`` is
idempotent; it kills the zygote, and with it (PR_SET_PDEATHSIG) every instance it forked.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import socket
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ovis.errors import SandboxError
from ovis.runtimes.python import wire
from ovis.runtimes.python.zygote import EXITED, SPAWN, SPAWN_FAILED, SPAWNED
from ovis.sandbox.ephemeral import EphemeralDisks

log = logging.getLogger(__name__)

ExitCallback = Callable[[str], None]


class Zygote:
    def __init__(
        self,
        argv: Sequence[str],
        preload: Sequence[str],
        env: dict[str, str],
        disks: EphemeralDisks | None = None,
    ) -> None:
        self._argv = list(argv)
        self._disks = disks  # each instance's /tmp disk, given back once it is gone
        self._preload = list(preload)
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctl: socket.socket | None = None
        self._pending: dict[str, asyncio.Future[int]] = {}
        self._exits: dict[int, ExitCallback] = {}
        self._early_exits: dict[int, str] = {}
        self._ids = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.pid = 0

    async def start(self, timeout: float = 60) -> None:
        self._loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(self._env, _OVIS_PRELOAD=json.dumps(self._preload))
        self._proc = subprocess.Popen(
            [*self._argv, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=env,
            cwd="/",
        )
        theirs.close()
        ours.setblocking(False)
        self._ctl = ours
        ready: asyncio.Future[int] = self._loop.create_future()
        self._pending["ready"] = ready
        self._loop.add_reader(ours.fileno(), self._on_readable)
        self.pid = await asyncio.wait_for(ready, timeout)

    def _on_readable(self) -> None:
        assert self._ctl is not None
        while True:
            try:
                msg = self._ctl.recv(1 << 16)
            except BlockingIOError:
                return
            except OSError:
                msg = b""
            if not msg:
                self._on_eof()
                return
            frame = wire.decode(msg)
            if frame is None:
                continue
            kind, head, _payload, _ = frame
            if kind == SPAWNED:
                if head["id"] == "ready" and head.get("root_error"):
                    log.warning(
                        "sandbox DEGRADED: no minimal root for %s instances (%s): they see "
                        "the host's root filesystem",
                        self._argv[0],
                        head["root_error"],
                    )
                fut = self._pending.pop(head["id"], None)
                if fut is not None and not fut.done():
                    fut.set_result(int(head["pid"]))
            elif kind == SPAWN_FAILED:
                fut = self._pending.pop(head["id"], None)
                if fut is not None and not fut.done():
                    fut.set_exception(SandboxError(head["error"]))
            elif kind == EXITED:
                cb = self._exits.pop(int(head["pid"]), None)
                if cb is not None:
                    cb(head["status"])
                else:  # exited before spawn() registered it
                    self._early_exits[int(head["pid"])] = head["status"]

    def _on_eof(self) -> None:
        assert self._loop is not None and self._ctl is not None
        self._loop.remove_reader(self._ctl.fileno())
        err = SandboxError("the runtime zygote exited")
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(err)
        self._pending.clear()
        for cb in self._exits.values():
            cb("signal: killed")
        self._exits.clear()

    async def spawn(self, spec: dict[str, Any], fds: list[int], on_exit: ExitCallback) -> int:
        """Fork an instance; returns its pid. ``fds`` are sent to the child (log, channel)."""
        if self._ctl is None or self._loop is None:
            raise SandboxError("zygote not started")
        sandbox = spec.get("sandbox") or {}
        if not (sandbox.get("tmp_disk") and self._disks is not None):
            return await self._spawn(spec, fds, on_exit)
        disks = self._disks
        disk = await disks.take_waiting(int(sandbox.get("tmp_mb", 512)))
        if disk is None:
            log.warning("no /tmp disk ready in time: this instance's /tmp is a tmpfs")
            del sandbox["tmp_disk"]
            return await self._spawn(spec, fds, on_exit)
        sandbox["tmp_disk"] = disk
        inner = on_exit

        def release_then(status: str) -> None:
            inner(status)
            disks.release(disk)

        try:
            return await self._spawn(spec, fds, release_then)
        except BaseException:
            disks.release(disk)
            raise

    async def _spawn(self, spec: dict[str, Any], fds: list[int], on_exit: ExitCallback) -> int:
        assert self._ctl is not None and self._loop is not None
        rid = str(next(self._ids))
        fut: asyncio.Future[int] = self._loop.create_future()
        self._pending[rid] = fut
        msg = wire.encode(SPAWN, dict(spec, id=rid))
        try:
            socket.send_fds(self._ctl, [msg], fds)
        except OSError as e:
            self._pending.pop(rid, None)
            raise SandboxError(f"cannot reach the runtime zygote: {e}") from e
        pid = await fut
        early = self._early_exits.pop(pid, None)
        if early is not None:
            on_exit(early)
        else:
            self._exits[pid] = on_exit
        return pid

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        if self._ctl is not None and self._loop is not None:
            try:
                self._loop.remove_reader(self._ctl.fileno())
            except (ValueError, RuntimeError):
                pass
            self._ctl.close()
            self._ctl = None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def python_zygote_argv(interpreter: str) -> list[str]:
    script = Path(__file__).resolve().parent.parent / "runtimes" / "python" / "zygote.py"
    # -I -S: no site-packages, no .pth or editable-install finders, no PYTHON* variables: the
    # zygote (and every instance it forks) imports only the stdlib and the runtime's SDK.
    return [interpreter, "-I", "-S", "-X", "frozen_modules=on", str(script)]


def close_quietly(*fds: int) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
