"""The process a build or test command runs in: its own session and process group, its own
scratch directory as the working directory and HOME, an environment built from nothing (the
server's own environment, and so its secrets, never reaches it), the run's cgroup (``limits.py``:
memory, processes, CPU), and a time limit after which every process of it is killed.

How far a build is confined is probed once at start (``confine``), strongest first, and said
in one log line:
1. ``uid``: as ``BUILD_UID`` with no capabilities (``setpriv``), when that uid can run the
   server's Python: the data directory (root's, 0700) is out of its reach;
2. ``namespace``: as root without any capability (so it cannot undo what follows), when the
   Python lives where only root can read it (a pyenv under /root, say);
3. ``none``: as the server's own user (not root, or neither tool works): DEGRADED.
In 1 and 2, where ``unshare`` works, the command also runs in a private mount namespace: the
data directory is an empty, unreadable tmpfs, and /tmp, /var/tmp and /dev/shm are tmpfs of
its own (their pages count against the run's memory limit), the scratch directory bound back
at its path.

Contract: ``await run(argv, cwd, env, deadline, on_line, cancel, confinement, cgroup)``
returns the exit status (``TIMED_OUT`` when the deadline passed, ``CANCELLED`` when ``cancel``
was set, ``LIMITED`` when a fork failed at the cgroup's process limit: in these cases every
process of the group, and of the cgroup, is killed first; after a normal exit, what the command
left running is killed too). Output lines (stdout and stderr merged) go to ``on_line`` as they
come, each cut at ``MAX_LINE`` characters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ovis.apps import limits
from ovis.sandbox.cgroups import Cgroup

# Builds run as this uid when the server is root: below the instances' range
# (sandbox/isolation.py's UID_BASE), so a build never shares a uid with a function instance.
BUILD_UID = 99_000
# Drop to the build uid with no capability left to regain (inheritable, ambient and bounding
# sets emptied, no_new_privs): a server running with ambient capabilities passes none on.
SETPRIV = (
    "setpriv",
    "--clear-groups",
    "--inh-caps=-all",
    "--ambient-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
)
TIMED_OUT = -1000
CANCELLED = -1001
LIMITED = -1002
MAX_LINE = 8192
WATCH_S = 0.2  # how often a running build's cgroup is checked for a refused fork
log = logging.getLogger("ovis.apps")

# In the build's own mount namespace (run as root, before the capabilities are dropped):
# $0 the data directory, hidden; $1 the scratch directory; $2 the size of each private tmpfs.
# The scratch directory (often under /tmp) is bound back from the working directory, which
# still names it once /tmp is covered (so "." is passed as it is, not resolved to a path).
_PRIVATE = (
    'h="$0"; s="$1"; m="$2"; shift 2; '
    'mount -t tmpfs -o size=4k,mode=000 ovis-hidden "$h" || exit 125; '
    "for d in /tmp /var/tmp /dev/shm; do "
    '[ -d "$d" ] || continue; '
    'mount -t tmpfs -o "size=${m}m,mode=1777" ovis-tmp "$d" || exit 125; done; '
    'mkdir -p "$s" && mount --no-canonicalize --bind . "$s" && cd "$s" || exit 125; '
    'exec "$@"'
)
_UNSHARE = ("unshare", "--mount", "--propagation", "private", "--", "sh", "-c", _PRIVATE)


@dataclass(frozen=True)
class Confinement:
    kind: str  # "uid", "namespace", "none"
    uid: int | None = None  # who runs the build and owns the scratch directory
    hide: str = ""  # the data directory, hidden in the private mount namespace
    private: bool = False  # a private mount namespace (own /tmp, data directory hidden)

    def prefix(self, scratch: Path, tmp_mb: int) -> tuple[str, ...]:
        """The argv put before a command run in ``scratch``."""
        if self.kind == "none":
            return ()
        drop: tuple[str, ...] = (*SETPRIV, "--")
        if self.uid is not None:
            drop = (*SETPRIV, f"--reuid={self.uid}", f"--regid={self.uid}", "--")
        if not self.private:
            return drop
        return (*_UNSHARE, self.hide, str(scratch), str(tmp_mb), *drop)

    def describe(self) -> str:
        private = (
            ", in a private mount namespace (own /tmp, /var/tmp, /dev/shm; the data directory "
            "hidden)"
            if self.private
            else " (no mount namespace: /tmp is the host's)"
        )
        if self.kind == "uid":
            return f"uid {self.uid} without capabilities{private}"
        if self.kind == "namespace":
            return f"root without capabilities{private}"
        return "the server's own user (DEGRADED: not confined)"


def _works(c: Confinement, probe: Path) -> bool:
    """Whether a build under ``c`` can run the server's Python as builds do (a shell finding
    ``python`` on the build's PATH, its standard library readable) in ``probe``."""
    argv = [*c.prefix(probe, 1), "sh", "-c", "python -c 'import json'"]
    env = {"PATH": build_path(), "HOME": "/"}
    try:
        out = subprocess.run(argv, cwd=probe, capture_output=True, timeout=30, check=False, env=env)
        return out.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def confine(hide: Path, probe: Path) -> Confinement:
    """The strongest confinement this machine allows (see the module's docstring), tried in
    the empty directory ``probe``; blocking (a few probes, once at start)."""
    if os.geteuid() == 0 and shutil.which("setpriv"):
        ns = shutil.which("unshare") is not None
        tries = [
            Confinement("uid", BUILD_UID, str(hide), True),
            Confinement("namespace", None, str(hide), True),
            Confinement("uid", BUILD_UID),
        ]
        for c in tries:
            if (c.private and not ns) or not _works(c, probe):
                continue
            return _said(c)
    return _said(Confinement("none"))


def _said(c: Confinement) -> Confinement:
    level = logging.WARNING if c.kind == "none" else logging.INFO
    log.log(level, "pipeline builds run as %s", c.describe())
    return c


def joining(cgroup: Cgroup | None) -> tuple[str, ...]:
    """The argv that moves a command into ``cgroup`` before it runs (as root, before any
    privilege is dropped; its children are born inside)."""
    if cgroup is None:
        return ()
    files = " ".join(shlex.quote(f) for f in cgroup.join_files())
    script = f'for f in {files}; do echo $$ > "$f" || exit 125; done; exec "$@"'
    return ("sh", "-c", script, "sh")


def prepare(scratch: Path, uid: int | None) -> None:
    """Make ``scratch`` (the checked-out tree) the build user's: HOME inside it, every file
    its own, nothing else of the machine writable to it."""
    (scratch / ".home").mkdir(exist_ok=True)
    if uid is None:
        return
    os.chown(scratch, uid, uid)
    for path in scratch.rglob("*"):
        os.chown(path, uid, uid, follow_symlinks=False)


def build_path() -> str:
    return os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"])


def base_env(scratch: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The build's environment: a PATH that finds the server's Python first (so ``python``
    and ``python -m pytest`` are the interpreter the server runs on), HOME in the scratch
    directory, and ``extra`` (the buildspec's variables, the pipeline's own)."""
    home = scratch / ".home"
    path = build_path()
    return {
        "PATH": path,
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def run(
    argv: list[str],
    cwd: Path,
    env: Mapping[str, str],
    deadline: float,
    on_line: Callable[[str], None],
    cancel: asyncio.Event | None = None,
    confinement: Confinement | None = None,
    cgroup: Cgroup | None = None,
    tmp_mb: int = 512,
) -> int:
    # setpriv and a shell, not Popen's user= or preexec_fn: uvloop's has no such options
    prefix = confinement.prefix(cwd, tmp_mb) if confinement is not None else ()
    argv = [*joining(cgroup), *prefix, *argv]
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group: the limit kills every child too
    )
    assert proc.stdout is not None
    stdout = proc.stdout

    async def pump() -> None:
        while line := await stdout.readline():
            on_line(line.decode("utf-8", "replace").rstrip("\n")[:MAX_LINE])

    async def kill() -> None:
        _kill_group(proc.pid)
        if cgroup is not None:  # what left the process group (setsid, daemons) too
            await asyncio.to_thread(limits.kill_all, cgroup)

    pumping = asyncio.ensure_future(pump())
    waits: set[asyncio.Future[object]] = {asyncio.ensure_future(proc.wait())}
    if cancel is not None:
        waits.add(asyncio.ensure_future(cancel.wait()))
    try:
        status: int | None = None
        while status is None:
            left = deadline - time.monotonic()
            step = min(left, WATCH_S) if cgroup is not None else left
            done, _ = await asyncio.wait(
                waits, timeout=max(0.0, step), return_when="FIRST_COMPLETED"
            )
            if proc.returncode is not None:
                status = proc.returncode
            elif done:
                status = CANCELLED
            elif cgroup is not None and limits.pids_refused(cgroup):
                status = LIMITED
            elif time.monotonic() >= deadline:
                status = TIMED_OUT
        await kill()  # a command that ended may have left some running in the background
        await proc.wait()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(pumping, 5)
        return status
    finally:
        for w in waits:
            w.cancel()
        pumping.cancel()
        if proc.returncode is None:
            _kill_group(proc.pid)
            if cgroup is not None:
                limits.kill_all(cgroup)


def kill_leftovers(root: Path) -> int:
    """Kill the process group of every process working under ``root`` (builds a kill -9 of
    the server orphaned: they run in sessions of their own, so they outlive it). Returns how
    many groups were killed. Linux only (``/proc``); elsewhere nothing is found."""
    prefix = str(root.resolve()) + os.sep
    groups: set[int] = set()
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{entry.name}/cwd").startswith(prefix):
                    groups.add(os.getpgid(int(entry.name)))
    for pgid in groups:
        _kill_group(pgid)
    return len(groups)
