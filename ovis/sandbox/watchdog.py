"""The watchdog: instances die with the server, even frozen ones, even after a kill -9.

An instance dies with its zygote (PR_SET_PDEATHSIG) and the zygote with the server, but a frozen
instance (cgroup freezer) cannot act on a signal until it is thawed, so a server killed with -9
used to leave its frozen instances alive until the next start. The watchdog is a tiny process
(stdlib only, its own session) holding the read end of a pipe whose write end only the server
has: when the server ends, however it ends, the read returns EOF, and the watchdog kills every
process in every instance cgroup under the server's parent groups, thaws them so the kill lands,
removes the groups, and exits.

Contract: ``Watchdog.start(parents)`` spawns it (cheap: one small interpreter, ~10 MB);
``close()`` (idempotent) is the clean shutdown: the server has removed its groups already, the
watchdog finds nothing and exits. Start-up cleanup (``Cgroups.cleanup_stale``) still covers a
watchdog that was itself killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

SWEEP_S = 10.0  # how long the watchdog keeps retrying to remove groups whose tasks are exiting


class Watchdog:
    def __init__(self, proc: subprocess.Popen[bytes], write_fd: int) -> None:
        self.proc = proc
        self._w = write_fd

    @classmethod
    def start(
        cls, parents: Iterable[Path], remove: Iterable[Path] = (), unmount: Iterable[Path] = ()
    ) -> Watchdog:
        """Watch the server's cgroup ``parents``; ``remove`` are directories of the server's
        own (the instances' passwd files, the /tmp disks' images) deleted after the sweep, and
        ``unmount`` directories whose mounts are detached first (the /tmp disks)."""
        r, w = os.pipe2(os.O_CLOEXEC)
        args = [*map(str, parents), *(f"--unmount={p}" for p in unmount)]
        args += [f"--remove={p}" for p in remove]
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", __file__, *args],
                stdin=r,
                stdout=subprocess.DEVNULL,
                close_fds=True,
                start_new_session=True,  # a signal to the server's process group spares it
                cwd="/",
            )
        finally:
            os.close(r)
        return cls(proc, w)

    def close(self, timeout: float = 15) -> None:
        if self._w >= 0:
            os.close(self._w)
            self._w = -1
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)


def _groups(parent: Path) -> list[Path]:
    try:
        return [p for p in parent.iterdir() if p.is_dir()]
    except OSError:
        return []


def _write(path: Path, value: str) -> None:
    with contextlib.suppress(OSError), open(path, "w") as f:
        f.write(value)


def _kill(group: Path) -> None:
    if (group / "cgroup.kill").exists():  # v2: the kernel kills the whole group, frozen or not
        _write(group / "cgroup.kill", "1")
        return
    with contextlib.suppress(OSError):
        for pid in (group / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
    if (group / "freezer.state").exists():
        _write(group / "freezer.state", "THAWED")  # the pending SIGKILL lands once thawed


def sweep(parents: list[Path], deadline_s: float = SWEEP_S) -> None:
    """Kill everything in every group under ``parents``, then remove the groups and parents."""
    deadline = time.monotonic() + deadline_s
    while True:
        left = False
        for parent in parents:
            for group in _groups(parent):
                _kill(group)
                try:
                    group.rmdir()
                except FileNotFoundError:
                    pass
                except OSError:
                    left = True  # tasks still exiting
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)  # polling the kernel's exit of killed tasks, bounded by the deadline
    for parent in parents:
        with contextlib.suppress(OSError):
            parent.rmdir()


def main(argv: list[str]) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # only the end of the server ends the watchdog
    while os.read(0, 4096):  # nothing is ever written: this returns b"" when the server ends
        pass
    sweep([Path(p) for p in argv if not p.startswith("--")])
    for arg in argv:
        if arg.startswith("--unmount="):  # the instances' /tmp disks (sandbox/ephemeral.py)
            _unmount_under(arg.removeprefix("--unmount="))
        if arg.startswith(("--remove=", "--unmount=")):
            shutil.rmtree(arg.split("=", 1)[1], ignore_errors=True)


def _unmount_under(top: str) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    prefix = top.rstrip("/") + "/"
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for mp in sorted((m for m in points if m.startswith(prefix)), reverse=True):
        libc.umount2(mp.encode(), 2)  # MNT_DETACH


if __name__ == "__main__":
    main(sys.argv[1:])
