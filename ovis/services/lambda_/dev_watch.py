"""Watching a dev-mounted directory: inotify (stdlib + ctypes) on the event loop, else polling.

Why the server watches (not the CLI): the server learns of a save from the kernel within a
millisecond, with nothing in between that could lose or delay it, and the invoke path stays a
dict lookup (no stat per invoke). The CLI only holds the mount open. Where inotify is missing or
out of watches, the watcher polls the tree's mtimes every 50 ms instead, in a thread, and says
so once in the log.

Contract: ``DirWatcher(path, on_change)`` calls ``on_change()`` on the loop thread after a file
under ``path`` is written and closed, created, deleted or renamed (not for ``__pycache__``,
``.git``, compiled or editor swap files). Subdirectories created later are watched too.
``close()`` stops it; idempotent.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import struct
import threading
from collections.abc import Callable

log = logging.getLogger("ovis.dev")

IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_FROM, IN_MOVED_TO = 0x4, 0x8, 0x40, 0x80
IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_ISDIR = 0x100, 0x200, 0x400, 0x40000000
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
MASK = IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF
SKIP_DIRS = frozenset({"__pycache__", ".git", ".ovis-build"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".swp", ".swx", "~")
POLL_S = 0.05
EVENT = struct.Struct("iIII")


def _skipped(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(SKIP_SUFFIXES) or name.startswith(".#")


class DirWatcher:
    def __init__(self, path: str, on_change: Callable[[], None]) -> None:
        self.path = path
        self.on_change = on_change
        self.loop = asyncio.get_running_loop()
        self._wds: dict[int, str] = {}
        self._closed = False
        self._fd = self._inotify()
        if self._fd < 0:
            self._thread = threading.Thread(target=self._poll, name="dev-poll", daemon=True)
            self._thread.start()

    @property
    def mode(self) -> str:
        return "inotify" if self._fd >= 0 else "polling"

    # ---- inotify ---------------------------------------------------------------------------

    def _inotify(self) -> int:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = int(libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC))
        except (AttributeError, OSError):
            fd = -1
        if fd < 0:
            log.warning("dev mount %s: inotify unavailable; polling mtimes every 50 ms", self.path)
            return -1
        self._libc = libc
        self._fd = fd
        try:
            self._watch_tree(self.path)
        except OSError as e:
            os.close(fd)
            log.warning("dev mount %s: inotify failed (%s); polling every 50 ms", self.path, e)
            return -1
        self.loop.add_reader(fd, self._read)
        return fd

    def _watch_tree(self, top: str) -> None:
        for folder, dirs, _files in os.walk(top):
            dirs[:] = [d for d in dirs if not _skipped(d)]
            wd = int(self._libc.inotify_add_watch(self._fd, folder.encode(), MASK))
            if wd < 0:
                err = ctypes.get_errno()
                raise OSError(err, f"inotify_add_watch {folder}: {os.strerror(err)}")
            self._wds[wd] = folder

    def _read(self) -> None:
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        changed = False
        offset = 0
        while offset + EVENT.size <= len(data):
            wd, mask, _cookie, length = EVENT.unpack_from(data, offset)
            raw = data[offset + EVENT.size : offset + EVENT.size + length]
            offset += EVENT.size + length
            name = raw.split(b"\0", 1)[0].decode(errors="replace")
            if name and _skipped(name):
                continue
            folder = self._wds.get(wd)
            if mask & IN_CREATE and mask & IN_ISDIR and folder is not None:
                try:  # a new subdirectory: watch it (and whatever was made in it already)
                    self._watch_tree(os.path.join(folder, name))
                except OSError:
                    pass
            if mask & IN_CREATE and not mask & IN_ISDIR:
                continue  # its IN_CLOSE_WRITE follows once the content is there
            changed = True
        if changed:
            self.on_change()

    # ---- polling fallback ------------------------------------------------------------------

    def _signature(self) -> tuple[tuple[str, int, int], ...]:
        out: list[tuple[str, int, int]] = []
        for folder, dirs, files in os.walk(self.path):
            dirs[:] = [d for d in dirs if not _skipped(d)]
            for f in files:
                if _skipped(f):
                    continue
                p = os.path.join(folder, f)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                out.append((p, st.st_mtime_ns, st.st_size))
        return tuple(sorted(out))

    def _poll(self) -> None:
        seen = self._signature()
        stop = threading.Event()
        while not self._closed and not stop.wait(POLL_S):
            now = self._signature()
            if now != seen:
                seen = now
                self.loop.call_soon_threadsafe(self.on_change)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._fd >= 0:
            self.loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = -1
