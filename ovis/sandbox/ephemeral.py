"""Each instance's /tmp on disk: an ext4 filesystem of EphemeralStorage size, not memory.

A tmpfs /tmp is charged to the instance's memory cgroup (a 128 MB function writing 128 MB to
/tmp was OOM-killed); Lambda's /tmp is separate storage. This kernel has no project quotas
(CONFIG_QUOTA is off) and cgroup v1 has no separate tmpfs accounting, so each instance gets a
filesystem of its own: a sparse file (a copy of a pre-formatted image of that size, 0.4 ms) on
a loop device (autoclear, direct I/O: no second copy in the page cache), mounted ext4. Its page
cache is reclaimable, so writing past the memory limit is written back, and writing past the
size is ENOSPC, as on Lambda.

Mounting costs ~15 ms, more than a cold start's budget, so disks are prepared ahead by a worker
thread (``SPARE`` per EphemeralStorage size in use) and mounted under ``MOUNTS``/<server pid>, a
shared-propagation mount: the zygotes' namespaces (slaves of the host's) receive each new disk,
and the instance binds it at /tmp and /var/tmp before its pivot_root. When none is ready a cold
start waits for the worker's next one, up to WAIT_S, then gets a tmpfs (logged).

Contract: ``probe()`` once (root only); ``take(size_mb)`` (never blocks) hands a mounted
disk's path or None, ``take_waiting`` (a coroutine) waits a little for one; ``release(path)``
once the instance is gone (any thread): the worker unmounts and deletes it. ``close()``
releases everything. After a crash the watchdog and the next start-up (``cleanup_stale``)
unmount and delete what a dead server left.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import itertools
import logging
import os
import shutil
import struct
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MOUNTS = Path("/run/ovis-tmp")  # mount points, one directory per server pid
IMAGES = Path("/var/lib/ovis/tmp-images")  # backing files, one directory per server pid
SPARE = 2  # disks kept ready per EphemeralStorage size
DEFAULT_MB = 512
WAIT_S = 2.0  # how long a cold start waits for a disk before it takes a tmpfs
LOOP_CTL_GET_FREE, LOOP_CONFIGURE = 0x4C82, 0x4C0A
LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO = 4, 16
MS_NOSUID, MS_NODEV, MS_BIND, MS_SHARED, MNT_DETACH = 2, 4, 4096, 1 << 20, 2

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(src: str, target: str, fstype: str | None, flags: int) -> None:
    rc = _libc.mount(
        src.encode() if src else None,
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        None,
    )
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _mount_points() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f]


def unmount_under(top: Path) -> None:
    """Detach every mount at or under ``top`` (deepest first)."""
    prefix = str(top).rstrip("/") + "/"
    for mp in sorted((m for m in _mount_points() if m.startswith(prefix)), reverse=True):
        _libc.umount2(mp.encode(), MNT_DETACH)


def _shared(path: Path) -> None:
    """Make ``path`` a mount with shared propagation (once per host, under a lock)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o755)
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if str(path) not in _mount_points():
            _mount(str(path), str(path), None, MS_BIND)
        _mount("", str(path), None, MS_SHARED)


def cleanup_stale() -> None:
    """Unmount and delete the disks of servers that are gone."""
    for top in (MOUNTS, IMAGES):
        if not top.is_dir():
            continue
        for d in top.iterdir():
            if d.is_dir() and d.name.isdigit() and not Path(f"/proc/{d.name}").exists():
                unmount_under(d)
                shutil.rmtree(d, ignore_errors=True)


def _attach_and_mount(image: str, mp: str) -> None:
    """Mount ``image`` at ``mp`` through a free loop device (autoclear: it detaches itself once
    unmounted; so the device stays open until the mount holds it)."""
    ctl = os.open("/dev/loop-control", os.O_RDWR | os.O_CLOEXEC)
    backing = os.open(image, os.O_RDWR | os.O_CLOEXEC)
    try:
        for _ in range(20):  # another process may take the free device first
            dev = f"/dev/loop{fcntl.ioctl(ctl, LOOP_CTL_GET_FREE)}"
            loop = os.open(dev, os.O_RDWR | os.O_CLOEXEC)
            try:
                if _configure(loop, backing):
                    _mount(dev, mp, "ext4", MS_NOSUID | MS_NODEV)
                    return
            finally:
                os.close(loop)
        raise OSError(16, "no free loop device")
    finally:
        os.close(backing)
        os.close(ctl)


def _configure(loop: int, backing: int) -> bool:
    """Back ``loop`` by ``backing``; False if another process took the device meanwhile."""
    for flags in (LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO, LO_FLAGS_AUTOCLEAR):
        info = struct.pack("5Q4I64s64s32s2Q", 0, 0, 0, 0, 0, 0, 0, 0, flags, b"", b"", b"", 0, 0)
        try:
            fcntl.ioctl(loop, LOOP_CONFIGURE, struct.pack("II", backing, 0) + info + bytes(64))
            return True
        except OSError as e:
            if e.errno == 16:  # EBUSY
                return False
            if flags == LO_FLAGS_AUTOCLEAR:  # direct I/O refused: without it then
                raise
    return False


def _sparse_copy(src: str, dst: str) -> None:
    fi = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    fo = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        size = os.fstat(fi).st_size
        os.ftruncate(fo, size)
        off = 0
        while off < size:
            try:
                data = os.lseek(fi, off, os.SEEK_DATA)
            except OSError:  # ENXIO: only a hole is left
                break
            hole = os.lseek(fi, data, os.SEEK_HOLE)
            os.pwrite(fo, os.pread(fi, hole - data, data), data)
            off = hole
    finally:
        os.close(fi)
        os.close(fo)


def _hand(fut: asyncio.Future[str], mp: str, release: Callable[[str], None]) -> None:
    if fut.done():  # its cold start gave up meanwhile
        release(mp)
    else:
        fut.set_result(mp)


class EphemeralDisks:
    def __init__(self, mounts: Path, images: Path, mkfs: str) -> None:
        self.mounts = mounts
        self.images = images
        self.mkfs = mkfs
        self._ids = itertools.count()
        self._ready: dict[int, list[str]] = {}
        self._wanted: set[int] = {DEFAULT_MB}
        self._released: list[str] = []
        self._waiters: dict[int, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[str]]]] = {}
        self._images_of: dict[str, str] = {}  # mount point -> backing file
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="ephemeral-disks", daemon=True)

    @classmethod
    def probe(cls) -> tuple[EphemeralDisks | None, str]:
        """A started pool with one disk made (which proves the whole chain), or None and why."""
        mkfs = shutil.which("mkfs.ext4") or shutil.which("mkfs.ext4", path="/usr/sbin:/sbin")
        if os.geteuid() != 0:
            return None, "not running as root"
        if mkfs is None or not os.path.exists("/dev/loop-control"):
            return None, "no mkfs.ext4 or no /dev/loop-control"
        try:
            cleanup_stale()
            _shared(MOUNTS)
            me = str(os.getpid())
            (MOUNTS / me).mkdir(mode=0o755, exist_ok=True)
            (IMAGES / me).mkdir(parents=True, mode=0o700, exist_ok=True)
            os.chmod(IMAGES, 0o700)
            disks = cls(MOUNTS / me, IMAGES / me, mkfs)
            disks._ready[DEFAULT_MB] = [disks._prepare(DEFAULT_MB)]
        except (OSError, subprocess.SubprocessError) as e:
            unmount_under(MOUNTS / str(os.getpid()))
            return None, str(e)
        disks._thread.start()
        return disks, "an ext4 disk per instance"

    def take(self, size_mb: int) -> str | None:
        """A ready disk of ``size_mb``, or None (the worker then makes more of that size)."""
        with self._cond:
            self._wanted.add(size_mb)
            ready = self._ready.get(size_mb) or []
            path = ready.pop() if ready else None
            self._cond.notify()
            return path

    async def take_waiting(self, size_mb: int, timeout: float = WAIT_S) -> str | None:
        """``take``, but when none is ready wait up to ``timeout`` for the worker's next one
        (a burst of cold starts drains the spares); None after that."""
        path = self.take(size_mb)
        if path is not None:
            return path
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[str] = loop.create_future()
        with self._cond:
            self._waiters.setdefault(size_mb, []).append((loop, fut))
            self._cond.notify()
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            with self._cond:
                waiting = self._waiters.get(size_mb, [])
                if (loop, fut) in waiting:
                    waiting.remove((loop, fut))
                    return None
            return await fut  # handed over just now

    def release(self, path: str) -> None:
        with self._cond:
            self._released.append(path)
            self._cond.notify()

    def _golden(self, size_mb: int) -> str:
        path = self.images / f"golden-{size_mb}.img"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            with open(tmp, "wb") as f:  # ext4's own metadata takes about 3.7%
                f.truncate((size_mb * 1038 // 1000 + 1) << 20)
            subprocess.run(
                [self.mkfs, "-q", "-F", "-O", "^has_journal", "-m", "0", "-E",
                 "lazy_itable_init=1,nodiscard", str(tmp)],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            os.replace(tmp, path)
        return str(path)

    def _prepare(self, size_mb: int) -> str:
        n = next(self._ids)
        image, mp = str(self.images / f"{n}.img"), str(self.mounts / str(n))
        _sparse_copy(self._golden(size_mb), image)
        try:
            os.mkdir(mp, 0o755)
            _attach_and_mount(image, mp)
        except OSError:
            os.unlink(image)
            raise
        os.rmdir(f"{mp}/lost+found")  # an empty /tmp, as Lambda's
        os.chmod(mp, 0o1777)
        self._images_of[mp] = image
        return mp

    def _drop(self, mp: str) -> None:
        _libc.umount2(mp.encode(), MNT_DETACH)
        with contextlib.suppress(OSError):
            os.rmdir(mp)
        image = self._images_of.pop(mp, None)
        if image:
            with contextlib.suppress(OSError):
                os.unlink(image)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._released and not self._short():
                    self._cond.wait()
                if self._closed:
                    return
                released, self._released = self._released, []
                short = self._short()
            for mp in released:
                self._drop(mp)
            if short is not None:
                try:
                    mp = self._prepare(short)
                except (OSError, subprocess.SubprocessError) as e:
                    log.warning("could not prepare a %d MB /tmp disk: %s", short, e)
                    with self._cond:
                        self._wanted.discard(short)
                    continue
                with self._cond:
                    waiting = self._waiters.get(short)
                    if waiting:  # straight to a cold start that is waiting for it
                        loop, fut = waiting.pop(0)
                        loop.call_soon_threadsafe(_hand, fut, mp, self.release)
                    else:
                        self._ready.setdefault(short, []).append(mp)

    def _short(self) -> int | None:
        """A size with waiters, else one with fewer than SPARE ready disks."""
        for size, waiting in self._waiters.items():
            if waiting:
                return size
        return next((s for s in self._wanted if len(self._ready.get(s, [])) < SPARE), None)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(30)
        unmount_under(self.mounts)
        shutil.rmtree(self.mounts, ignore_errors=True)
        shutil.rmtree(self.images, ignore_errors=True)
