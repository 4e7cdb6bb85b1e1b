"""What isolation this host allows, probed once at start-up, and each instance's sandbox spec.

Full isolation needs root: new mount/pid/ipc/uts namespaces, cgroups for memory and pids, and a
distinct unprivileged uid per instance. Where something is missing the server says so once at
start-up and degrades (plain processes with rlimits); it never degrades silently.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ovis.sandbox.cgroups import Cgroup, Cgroups
from ovis.sandbox.ephemeral import EphemeralDisks
from ovis.sandbox.users import SandboxUsers
from ovis.sandbox.watchdog import Watchdog

log = logging.getLogger(__name__)

UID_BASE = 100_000  # instance uids: UID_BASE .. UID_LAST, each used once (UidAllocator)
UID_LAST = 2**31 - 2
UID_STATE = Path("/var/lib/ovis/next-instance-uid")  # one counter per host, for every server
PIDS_MAX = 1024  # Lambda's limit on processes and threads per instance
NOFILE = 1024  # Lambda's file descriptor limit
RUNTIME_ROOT = Path(__file__).resolve().parent.parent  # the ovis package (runtimes/ lives here)

_PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
flags = 0x00020000 | 0x20000000 | 0x08000000 | 0x04000000
if libc.unshare(flags) != 0:
    raise SystemExit("unshare: " + os.strerror(ctypes.get_errno()))
if libc.mount(None, b"/", None, ctypes.c_ulong(16384 | (1 << 18)), None) != 0:
    raise SystemExit("mount: " + os.strerror(ctypes.get_errno()))
if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", ctypes.c_ulong(0), b"size=1m") != 0:
    raise SystemExit("tmpfs: " + os.strerror(ctypes.get_errno()))
"""


@dataclass
class Isolation:
    namespaces: bool
    cgroups: Cgroups | None
    drop_uid: bool
    description: str
    users: SandboxUsers | None = None  # passwd/group entries of instance uids (namespaces only)
    watchdog: Watchdog | None = None  # kills this server's instances when it ends (cgroups only)
    disks: EphemeralDisks | None = None  # each instance's /tmp on a disk (namespaces only)

    @classmethod
    def probe(cls, enabled: bool = True) -> Isolation:
        if not enabled:
            return cls(False, None, False, "isolation disabled by configuration (rlimits only)")
        notes: list[str] = []
        namespaces = False
        if os.geteuid() != 0:
            notes.append("namespaces off: not running as root")
        else:
            try:
                Path("/var/task").mkdir(parents=True, exist_ok=True)
                Path("/opt").mkdir(parents=True, exist_ok=True)
                r = subprocess.run(
                    [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=20
                )
                namespaces = r.returncode == 0
                if not namespaces:
                    notes.append(f"namespaces off: {r.stderr.strip().splitlines()[-1:]}")
            except (OSError, subprocess.SubprocessError) as e:
                notes.append(f"namespaces off: {e}")
        cgroups, cg_note = Cgroups.detect(f"ovis/{os.getpid()}")
        disks = None
        watchdog = None
        if cgroups is None:
            notes.append(f"cgroups off: {cg_note}")
        else:
            cgroups.cleanup_stale()
        drop_uid = os.geteuid() == 0
        parts = []
        if namespaces:
            parts.append("mount/pid/ipc/uts namespaces")
            disks, disk_note = EphemeralDisks.probe()
            if disks is None:
                notes.append(f"/tmp is a tmpfs counted as instance memory ({disk_note})")
            parts.append(
                "a minimal root, private /tmp (" + (disk_note if disks else "tmpfs")
                + "), /var/tmp and /dev/shm per instance"
            )  # fmt: skip
        if cgroups is not None:
            parts.append(cg_note)
        if drop_uid:
            parts.append("a distinct unprivileged uid per instance")
        desc = "isolation: " + (", ".join(parts) if parts else "none beyond rlimits")
        if notes:
            desc += " [DEGRADED: " + "; ".join(notes) + "]"
        users = None
        if namespaces and drop_uid:
            users = SandboxUsers("/run" if os.access("/run", os.W_OK) else None)
        if cgroups is not None:
            try:
                remove = [users.dir] if users else []
                remove += [disks.images] if disks else []
                unmount = [disks.mounts] if disks else []
                watchdog = Watchdog.start(cgroups.parents.values(), remove, unmount)
            except OSError as e:
                log.warning("no watchdog (%s): a kill -9 leaves frozen instances until restart", e)
        return cls(namespaces, cgroups, drop_uid, desc, users, watchdog, disks)

    def close(self) -> None:
        if self.cgroups is not None:
            self.cgroups.close()
        if self.disks is not None:
            self.disks.close()
        if self.users is not None:
            self.users.close()
        if self.watchdog is not None:
            self.watchdog.close()


class UidAllocator:
    """Hands out instance uids, never the same one twice on this host.

    A uid's kernel user keyring outlives its processes, and a restarted server (or a second
    server on the same host) must not give another function a uid something of the previous
    owner may remain under. So uids come from one counter per host, persisted in ``state``
    (root-only, under an exclusive lock: concurrent servers share it), reserved ``BLOCK`` at a
    time so the file is written once per ``BLOCK`` instances; a block left unused by a server
    that stopped is simply skipped. Without a writable state file (not root) the counter lives
    in memory, from UID_BASE, as before. Instances also empty their uid's keyrings on entry.
    """

    BLOCK = 256

    def __init__(self, state: Path | None = None) -> None:
        self.state = state
        self._next = UID_BASE
        self._end = UID_BASE  # the reserved block is [_next, _end)
        self._memory = state is None
        if state is not None:
            try:
                state.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as e:
                log.warning("instance uids: %s not writable (%s); counting in memory", state, e)
                self._memory = True
        if self._memory:
            self._end = UID_LAST + 1

    def _reserve(self) -> None:
        assert self.state is not None
        fd = os.open(self.state, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 32, 0).strip()
            start = int(raw) if raw.isdigit() else UID_BASE
            if start + self.BLOCK > UID_LAST:  # 2 billion instances later: start over
                start = UID_BASE
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(start + self.BLOCK).encode(), 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._next, self._end = start, start + self.BLOCK

    def take(self) -> int:
        if self._next >= self._end:
            if self._memory:
                raise RuntimeError("no free instance uid")
            self._reserve()
        uid = self._next
        self._next += 1
        return uid

    def give_back(self, uid: int) -> None:
        """Nothing to do: a uid is never handed out again (see the class docstring)."""


def exposed_paths(interpreter: str, executables: Sequence[str] = ()) -> list[str]:
    """Host directories an instance needs to see: its interpreter's prefixes, Ovis's runtime,
    and the directory of any other runtime executable (node) that is not under /usr."""
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    real = os.path.realpath(interpreter)
    paths.add(os.path.dirname(os.path.dirname(real)))  # .../versions/3.x (bin/..)
    paths.add(str(RUNTIME_ROOT))
    for exe in executables:
        where = os.path.dirname(os.path.realpath(exe))
        if not (where == "/usr" or where.startswith("/usr/")):
            paths.add(where)
    ordered = sorted(paths, key=len)
    out: list[str] = []
    for p in ordered:
        if not any(p == q or p.startswith(q + "/") for q in out):
            out.append(p)
    return out


def sandbox_spec(
    iso: Isolation,
    *,
    cgroup: Cgroup | None,
    uid: int | None,
    task_root: str,
    layers: list[str],
    tmp_mb: int,
    interpreter: str,
    executables: Sequence[str] = (),
    rootfs: str | None = None,
    seccomp: bool = True,
) -> dict[str, Any]:
    """The instance's sandbox spec for ``isolate.enter``. ``seccomp=False`` exempts an instance
    from the syscall wall (ovis/runtimes/python/seccomp.py), e.g. a debug instance whose
    debugger needs ptrace; every other instance gets it."""
    spec: dict[str, Any] = {"rlimits": {"RLIMIT_NOFILE": (NOFILE, NOFILE), "RLIMIT_CORE": (0, 0)}}
    if cgroup is not None:
        spec["cgroup_join"] = cgroup.join_files()
    if iso.namespaces and rootfs is not None:  # a container image: its root filesystem is /
        spec.update(namespaces=True, rootfs=rootfs, tmp_mb=tmp_mb, hostname="ovis-instance")
    elif iso.namespaces:
        spec.update(
            namespaces=True,
            task_root=task_root,
            layers=layers,
            tmp_mb=tmp_mb,
            expose=exposed_paths(interpreter, executables),
            hostname="ovis-instance",
        )
        if iso.disks is not None:  # the zygote client takes one of the server's disks for it
            spec["tmp_disk"] = True
        if uid is not None and iso.users is not None:
            passwd, group = iso.users.files(uid, uid)
            spec["etc"] = {"/etc/passwd": passwd, "/etc/group": group}
        bash = shutil.which("bash")
        if bash:  # /bin/sh is bash on Lambda's Amazon Linux; scripts rely on it (`source`...)
            spec["sh"] = os.path.realpath(bash)
    if uid is not None:
        spec.update(uid=uid, gid=uid)
    if not seccomp:
        spec["seccomp"] = False
    return spec
