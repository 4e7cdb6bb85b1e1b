"""The process a build or test command runs in: its own session and process group, its own
scratch directory as the working directory and HOME, an environment built from nothing (the
server's own environment, and so its secrets, never reaches it), and a time limit after which
the whole group is killed.

Contract: ``await run(argv, cwd, env, deadline, on_line, cancel)`` returns the exit status
(``TIMED_OUT`` when the deadline passed, ``CANCELLED`` when ``cancel`` was set: in both cases
every process of the group is killed first). Output lines (stdout and stderr merged) go to
``on_line`` as they come, each cut at ``MAX_LINE`` characters.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

TIMED_OUT = -1000
CANCELLED = -1001
MAX_LINE = 8192


def base_env(scratch: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The build's environment: a PATH that finds the server's Python first (so ``python``
    and ``python -m pytest`` are the interpreter the server runs on), HOME in the scratch
    directory, and ``extra`` (the buildspec's variables, the pipeline's own)."""
    home = scratch / ".home"
    home.mkdir(exist_ok=True)
    path = os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"])
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
) -> int:
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
