"""The cgroup a pipeline run's build and test processes run in: a memory limit (the app's
``BuildMemorySize``, no swap), a process limit (``PIDS_MAX``, threads counted, as the kernel
counts them) and a CPU share and quota in proportion to the memory, as functions get
(``ovis.sandbox.cgroups``: 1,769 MB = one vCPU). One group per run, under this server's
``ovis-builds/PID`` parent, so a build never shares a limit with a function instance or another
build.

Contract: ``BuildGroups.probe()`` returns the manager, or ``None`` with the reason where the
host has no usable cgroups (not root, no controllers): builds then run without limits, and the
pipeline's log says so. It removes the groups of servers that are gone (their builds killed)
and starts the sandbox's watchdog over the parent, so a kill -9 of the server kills its
builds at once. ``run_group(name, memory_mb)`` creates a run's group; ``exceeded(cg)`` names
the limit a group hit (memory: the kernel killed a process of it; pids: a fork failed),
else ``""``; ``kill(cg)`` kills every process inside (frozen first, so a fork bomb cannot
outrun it) and removes the group. Blocking but cheap (a few small files).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from pathlib import Path

from ovis.sandbox.cgroups import Cgroup, Cgroups, cpu_quota_us
from ovis.sandbox.watchdog import Watchdog

log = logging.getLogger("ovis.apps")

PIDS_MAX = 1024  # processes and threads of one build (a parallel npm or pip stays far below)
KILL_WAIT_S = 5.0


def _read(path: Path) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _counter(text: str, name: str) -> int:
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name and parts[1].isdigit():
            return int(parts[1])
    return 0


def memory_killed(cg: Cgroup) -> bool:
    """Whether the kernel's OOM killer killed a process of the group (v2 ``memory.events``,
    v1 ``memory.oom_control``'s ``oom_kill``: hitting the limit alone, reclaiming page cache,
    is no failure)."""
    if cg.version == 2:
        return _counter(_read(cg.dirs["unified"] / "memory.events"), "oom_kill") > 0
    return _counter(_read(cg.dirs["memory"] / "memory.oom_control"), "oom_kill") > 0


def pids_refused(cg: Cgroup) -> bool:
    """Whether a fork or clone of the group failed at its process limit (``pids.events``)."""
    d = cg.dirs["unified"] if cg.version == 2 else cg.dirs["pids"]
    return _counter(_read(d / "pids.events"), "max") > 0


def kill_all(cg: Cgroup) -> None:
    """SIGKILL every process of the group, the group frozen meanwhile so that nothing inside
    forks between our reading its list and our killing; repeated until it is empty."""
    end = time.monotonic() + KILL_WAIT_S
    while (pids := cg.pids()) and time.monotonic() < end:
        with contextlib.suppress(OSError):
            cg.freeze()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            cg.thaw()  # frozen tasks die only once thawed
        time.sleep(0.005)


def vcpus(memory_mb: int) -> float:
    return cpu_quota_us(memory_mb) / 100_000


class BuildGroups:
    def __init__(self, cgroups: Cgroups, watchdog: Watchdog | None, note: str) -> None:
        self.cgroups = cgroups
        self.watchdog = watchdog
        self.note = note
        self.has_cpu = cgroups.version == 2 or "cpu" in cgroups.parents

    @classmethod
    def probe(cls) -> tuple[BuildGroups | None, str]:
        cgroups, note = Cgroups.detect(f"ovis-builds/{os.getpid()}")
        if cgroups is None:
            return None, note
        cgroups.cleanup_stale()  # a killed server's builds, if its watchdog died with it
        try:
            watchdog: Watchdog | None = Watchdog.start(cgroups.parents.values())
        except OSError as e:
            log.warning("no watchdog for builds (%s): a kill -9 leaves them until restart", e)
            watchdog = None
        return cls(cgroups, watchdog, note), note

    def run_group(self, name: str, memory_mb: int) -> Cgroup:
        return self.cgroups.create(name, memory_mb, PIDS_MAX)

    def exceeded(self, cg: Cgroup, memory_mb: int) -> str:
        if memory_killed(cg):
            return (
                f"the build ran out of memory: it is limited to {memory_mb} MB "
                "(BuildMemorySize) and the kernel killed a process of it"
            )
        if pids_refused(cg):
            return (
                f"the build reached its limit of {PIDS_MAX} processes and threads "
                "(a fork bomb?): every process of it was killed"
            )
        return ""

    def kill(self, cg: Cgroup) -> None:
        """Every process of the group killed, then the group removed."""
        kill_all(cg)
        end = time.monotonic() + KILL_WAIT_S
        while not cg.remove() and time.monotonic() < end:
            time.sleep(0.02)  # the last tasks are exiting

    def close(self) -> None:
        self.cgroups.close()
        if self.watchdog is not None:
            self.watchdog.close()
