"""The process a build or test command runs in: its own session and process group, its own
scratch directory as the working directory and HOME, an environment built from nothing (the
server's own environment, and so its secrets, never reaches it), and a time limit after which
the whole group is killed.

How far a build is confined is probed once at start (``confine``), strongest first, and said
in one log line:
1. ``uid``: as ``BUILD_UID`` with no capabilities (``setpriv``), when that uid can run the
   server's Python: the data directory (root's, 0700) is out of its reach;
2. ``namespace``: as root without any capability (so it cannot undo what follows) in a
   private mount namespace where the data directory is an empty, unreadable tmpfs, when the
   Python lives where only root can read it (a pyenv under /root, say);
3. ``none``: as the server's own user (not root, or neither tool works): DEGRADED.

Contract: ``await run(argv, cwd, env, deadline, on_line, cancel)`` returns the exit status
(``TIMED_OUT`` when the deadline passed, ``CANCELLED`` when ``cancel`` was set: in both cases
every process of the group is killed first). Output lines (stdout and stderr merged) go to
``on_line`` as they come, each cut at ``MAX_LINE`` characters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

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
log = logging.getLogger("ovis.apps")
CANCELLED = -1001
MAX_LINE = 8192


@dataclass(frozen=True)
class Confinement:
    kind: str  # "uid", "namespace", "none"
    prefix: tuple[str, ...] = ()  # argv put before the command
    uid: int | None = None  # who owns the scratch directory

    def describe(self) -> str:
        if self.kind == "uid":
            return f"uid {self.uid} without capabilities"
        if self.kind == "namespace":
            return "root without capabilities, the data directory hidden (mount namespace)"
        return "the server's own user (DEGRADED: not confined)"


_MASK = 'mount -t tmpfs -o size=4k,mode=000 ovis-hidden "$0" && exec "$@"'


def _works(prefix: tuple[str, ...]) -> bool:
    """Whether a build under ``prefix`` can run the server's Python as builds do (a shell
    finding ``python`` on the build's PATH, its standard library readable)."""
    argv = [*prefix, "sh", "-c", "python -c 'import json'"]
    env = {"PATH": build_path(), "HOME": "/"}
    try:
        out = subprocess.run(argv, capture_output=True, timeout=30, check=False, env=env)
        return out.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def confine(hide: Path) -> Confinement:
    """The strongest confinement this machine allows (see the module's docstring); blocking
    (a probe or two, once at start)."""
    if os.geteuid() == 0 and shutil.which("setpriv"):
        as_uid = (*SETPRIV, f"--reuid={BUILD_UID}", f"--regid={BUILD_UID}", "--")
        if _works(as_uid):
            return _said(Confinement("uid", as_uid, BUILD_UID))
        if shutil.which("unshare"):
            masked = (
                "unshare", "--mount", "--propagation", "private", "--",
                "sh", "-c", _MASK, str(hide), *SETPRIV, "--",
            )  # fmt: skip
            if _works(masked):
                return _said(Confinement("namespace", masked))
    return _said(Confinement("none"))


def _said(c: Confinement) -> Confinement:
    level = logging.WARNING if c.kind == "none" else logging.INFO
    log.log(level, "pipeline builds run as %s", c.describe())
    return c


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
) -> int:
    if confinement is not None:  # setpriv, not Popen's user=: uvloop's has no such options
        argv = [*confinement.prefix, *argv]
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

    pumping = asyncio.ensure_future(pump())
    waits: set[asyncio.Future[object]] = {asyncio.ensure_future(proc.wait())}
    if cancel is not None:
        waits.add(asyncio.ensure_future(cancel.wait()))
    try:
        done, _ = await asyncio.wait(
            waits, timeout=max(0.0, deadline - time.monotonic()), return_when="FIRST_COMPLETED"
        )
        finished = proc.returncode is not None
        if not finished:
            _kill_group(proc.pid)
            await proc.wait()
            status = CANCELLED if done else TIMED_OUT
        else:
            _kill_group(proc.pid)  # what the command left running in the background
            status = proc.returncode if proc.returncode is not None else TIMED_OUT
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(pumping, 5)
        return status
    finally:
        for w in waits:
            w.cancel()
        pumping.cancel()
        if proc.returncode is None:
            _kill_group(proc.pid)


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
