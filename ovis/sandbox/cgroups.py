"""Per-instance cgroups: memory and pids limits, CPU share, peak memory, freezing, killing a tree.

Supports cgroup v1 (one hierarchy per controller: memory, pids, freezer) and v2 (unified, with the
memory and pids controllers enabled). ``Cgroups.detect()`` picks what the host offers; ``None``
means no usable cgroups (not root, or no controllers), and the caller degrades to rlimits.
The CPU controller is optional (v1 ``cpu``, v2 ``cpu``): where the host has it, each instance
gets a CPU weight in proportion to its MemorySize, 1,769 MB = 1024 shares = one vCPU as on AWS
(``cpu_shares``), and a CFS quota of that many vCPUs, as Lambda caps them (``cpu_quota_us``),
so a CPU hog in one instance cannot starve its neighbours; where it has not, the
description says so and instances share the CPU as plain processes.
Contract: every method is cheap (a few small file writes); ``remove()`` is idempotent and kills
what is left inside first.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

V1_ROOT = Path("/sys/fs/cgroup")
_V1_CONTROLLERS = ("memory", "pids", "freezer")
_V1_OPTIONAL = ("cpu",)  # used where mounted and writable; instances work without it
MB_PER_VCPU = 1769  # AWS: a function with 1,769 MB has the equivalent of one vCPU
SHARES_PER_VCPU = 1024  # cgroup v1's default cpu.shares: one full CPU's weight
CFS_PERIOD_US = 100_000
CFS_QUOTA_MIN_US = 1_000  # the kernel's smallest quota


def cpu_shares(memory_mb: int) -> int:
    """cgroup v1 cpu.shares for a MemorySize: proportional, 1,769 MB = 1024 (kernel minimum 2)."""
    return max(2, memory_mb * SHARES_PER_VCPU // MB_PER_VCPU)


def cpu_quota_us(memory_mb: int) -> int:
    """cpu.cfs_quota_us per CFS_PERIOD_US: the MemorySize's vCPUs, as Lambda caps them (128 MB
    gets ~7% of one vCPU per period; a cold start's few milliseconds fit in one period)."""
    return max(CFS_QUOTA_MIN_US, CFS_PERIOD_US * memory_mb // MB_PER_VCPU)


def cpu_weight(memory_mb: int) -> int:
    """cgroup v2 cpu.weight (1-10000, default 100) for the same proportion."""
    return min(10000, max(1, memory_mb * 100 // MB_PER_VCPU))


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _read(path: Path) -> str:
    with open(path) as f:
        return f.read()


class Cgroup:
    """One instance's cgroup(s)."""

    def __init__(self, version: int, dirs: dict[str, Path]) -> None:
        self.version = version
        self.dirs = dirs  # controller ("memory", "pids", "freezer", "cpu" or "unified") -> dir
        self._peak_fd = -1  # kept open: read on every invocation's REPORT line

    def join_files(self) -> list[str]:
        """Files a process writes "0" to in order to join this group itself.

        On v1 that is ``tasks``: moving the calling (single-threaded) task skips the global
        threadgroup lock whose RCU grace period makes ``cgroup.procs`` writes cost 10-40 ms when
        they are spaced out, which would dominate a cold start.
        """
        name = "tasks" if self.version == 1 else "cgroup.procs"
        return [str(d / name) for d in self.dirs.values()]

    def _dir(self, controller: str) -> Path:
        return self.dirs["unified"] if self.version == 2 else self.dirs[controller]

    def peak_memory_bytes(self) -> int:
        try:
            if self._peak_fd < 0:
                name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
                self._peak_fd = os.open(self._dir("memory") / name, os.O_RDONLY | os.O_CLOEXEC)
            return int(os.pread(self._peak_fd, 32, 0))
        except (OSError, ValueError):
            return 0

    def _close_peak(self) -> None:
        if self._peak_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._peak_fd)
            self._peak_fd = -1

    def oom_killed(self) -> bool:
        try:
            if self.version == 2:
                events = _read(self._dir("memory") / "memory.events")
                return any(
                    line.split()[0] == "oom_kill" and int(line.split()[1]) > 0
                    for line in events.splitlines()
                )
            return int(_read(self._dir("memory") / "memory.failcnt")) > 0
        except (OSError, ValueError, IndexError):
            return False

    def freeze(self) -> None:
        if self.version == 2:
            _write(self._dir("freezer") / "cgroup.freeze", "1")
        else:
            _write(self._dir("freezer") / "freezer.state", "FROZEN")

    def thaw(self) -> None:
        if self.version == 2:
            _write(self._dir("freezer") / "cgroup.freeze", "0")
        else:
            _write(self._dir("freezer") / "freezer.state", "THAWED")

    def frozen(self) -> bool:
        try:
            if self.version == 2:
                return "frozen 1" in _read(self._dir("freezer") / "cgroup.events")
            return _read(self._dir("freezer") / "freezer.state").strip() == "FROZEN"
        except OSError:
            return False

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in _read(self._dir("pids") / "cgroup.procs").split()]
        except (OSError, ValueError):
            return []

    def kill_all(self) -> None:
        """SIGKILL every process inside, even ones that left the instance's process group."""
        if self.version == 2:
            kill = self.dirs["unified"] / "cgroup.kill"
            if kill.exists():
                with contextlib.suppress(OSError):
                    _write(kill, "1")
                    return
        with contextlib.suppress(OSError):
            self.thaw()  # frozen tasks die only once thawed
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def remove(self) -> bool:
        """Kill what is left and remove the directories; False if something is still alive."""
        self._close_peak()
        self.kill_all()
        ok = True
        for d in self.dirs.values():
            try:
                d.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                ok = False  # tasks still exiting; the caller retries later
        return ok


class Cgroups:
    """Creates instance cgroups under one parent group per server."""

    def __init__(self, version: int, parents: dict[str, Path]) -> None:
        self.version = version
        self.parents = parents

    @classmethod
    def detect(cls, group: str) -> tuple[Cgroups | None, str]:
        """(manager, description) for the host; manager None when cgroups are unusable."""
        if os.geteuid() != 0:
            return None, "not running as root"
        unified = V1_ROOT / "cgroup.controllers"
        if unified.exists():
            controllers = _read(unified).split()
            if not {"memory", "pids"} <= set(controllers):
                return None, "cgroup v2 without the memory and pids controllers"
            parent = V1_ROOT / group
            want = "+memory +pids" + (" +cpu" if "cpu" in controllers else "")
            try:
                parent.mkdir(parents=True, exist_ok=True)
                _write(V1_ROOT / "cgroup.subtree_control", want)
                _write(parent.parent / "cgroup.subtree_control", want)
                _write(parent / "cgroup.subtree_control", want)
            except OSError as e:
                return None, f"cgroup v2 not writable ({e})"
            return cls(2, {"unified": parent}), "cgroup v2"
        parents: dict[str, Path] = {}
        for ctrl in _V1_CONTROLLERS:
            root = V1_ROOT / ctrl
            if not (root / "cgroup.procs").exists():
                return None, f"cgroup v1 controller {ctrl} is not mounted"
            try:
                (root / group).mkdir(parents=True, exist_ok=True)
            except OSError as e:
                return None, f"cgroup v1 not writable ({e})"
            parents[ctrl] = root / group
        names = list(_V1_CONTROLLERS)
        for ctrl in _V1_OPTIONAL:
            root = V1_ROOT / ctrl
            if (root / "cpu.shares").exists():
                try:
                    (root / group).mkdir(parents=True, exist_ok=True)
                except OSError:
                    continue
                parents[ctrl] = root / group
                names.append(ctrl)
        note = f"cgroup v1 ({', '.join(names)})"
        if "cpu" not in parents:
            note += " [no cpu controller: no CPU share per instance]"
        return cls(1, parents), note

    def create(self, name: str, memory_mb: int, pids_max: int) -> Cgroup:
        dirs = {ctrl: parent / name for ctrl, parent in self.parents.items()}
        for d in dirs.values():
            d.mkdir(exist_ok=True)
        cg = Cgroup(self.version, dirs)
        limit = str(memory_mb * 1024 * 1024)
        if self.version == 2:
            d = dirs["unified"]
            _write(d / "memory.max", limit)
            with contextlib.suppress(OSError):
                _write(d / "memory.swap.max", "0")
            _write(d / "pids.max", str(pids_max))
            with contextlib.suppress(OSError):  # only where the cpu controller is enabled
                _write(d / "cpu.weight", str(cpu_weight(memory_mb)))
                _write(d / "cpu.max", f"{cpu_quota_us(memory_mb)} {CFS_PERIOD_US}")
        else:
            mem = dirs["memory"]
            _write(mem / "memory.limit_in_bytes", limit)
            with contextlib.suppress(OSError):  # only with swap accounting
                _write(mem / "memory.memsw.limit_in_bytes", limit)
            _write(dirs["pids"] / "pids.max", str(pids_max))
            if "cpu" in dirs:
                _write(dirs["cpu"] / "cpu.shares", str(cpu_shares(memory_mb)))
                with contextlib.suppress(OSError):  # a kernel without CFS bandwidth control
                    _write(dirs["cpu"] / "cpu.cfs_period_us", str(CFS_PERIOD_US))
                    _write(dirs["cpu"] / "cpu.cfs_quota_us", str(cpu_quota_us(memory_mb)))
        return cg

    def _groups(self, parent_of: dict[str, Path]) -> list[Cgroup]:
        names = {
            c.name for p in parent_of.values() if p.is_dir() for c in p.iterdir() if c.is_dir()
        }
        return [Cgroup(self.version, {k: p / n for k, p in parent_of.items()}) for n in names]

    def cleanup_stale(self) -> None:
        """Remove the groups of servers that are gone (one group per server pid)."""
        top = {k: p.parent for k, p in self.parents.items()}
        for server in self._groups(top):
            pid = next(iter(server.dirs.values())).name
            if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
                for inst in self._groups(server.dirs):
                    inst.remove()
                server.remove()

    def close(self) -> None:
        """Remove every instance group of this server, then the server's own group."""
        for inst in self._groups(self.parents):
            inst.remove()
        Cgroup(self.version, dict(self.parents)).remove()
