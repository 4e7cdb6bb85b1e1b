"""Content-addressed code store: zips and their extracted trees, keyed by hex SHA-256.

Writes are atomic: content is built in a temporary directory under the store, fsynced, then renamed
into place, so a crash never leaves a half-written blob or tree. Installing the same digest twice is
a no-op. Thread-safe (rename is the commit point; a lost race just discards the loser's copy).

Reclaiming: ``remove_stale(digest, before)`` deletes a digest's zip and tree unless either was
written or reused (``put_zip``/``install_tree`` of an existing digest touch it) at or after
``before``. The check and the delete run under the same lock as the reuse's touch, so a digest
being reused is either kept (touched first) or written again (deleted first): the collector
(services/lambda_/garbage.py) only has to read references after choosing ``before``, and writers
must record a reference within the grace period after their ``put_zip``/``install_tree``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ovis.storage.durable import fsync_dir, fsync_tree, write_atomic


class CodeStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs"
        self._trees = root / "trees"
        self._tmp = root / "tmp"
        self._lock = threading.Lock()  # reuse's touch vs the collector's check-and-delete
        for d in (self._blobs, self._trees, self._tmp):
            d.mkdir(parents=True, exist_ok=True)
        # Leftovers of a crash mid-install are garbage by construction.
        for leftover in self._tmp.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)

    def zip_path(self, digest: str) -> Path:
        return self._blobs / f"{digest}.zip"

    def tree_path(self, digest: str) -> Path:
        return self._trees / digest

    def has_tree(self, digest: str) -> bool:
        return self.tree_path(digest).is_dir()

    def put_zip(self, digest: str, data: bytes) -> Path:
        dest = self.zip_path(digest)
        if self._reuse(dest):
            return dest
        write_atomic(dest, data, self._tmp)
        return dest

    def install_tree(self, digest: str, build: Callable[[Path], None]) -> Path:
        """Build the tree for ``digest`` with ``build(tmpdir)`` unless it already exists."""
        dest = self.tree_path(digest)
        if self._reuse(dest):
            return dest
        tmp = Path(tempfile.mkdtemp(dir=self._tmp))
        try:
            build(tmp)
            fsync_tree(tmp)
            os.chmod(tmp, 0o755)
            try:
                os.rename(tmp, dest)
            except OSError:
                if not dest.is_dir():
                    raise
                shutil.rmtree(tmp, ignore_errors=True)  # lost a race to an identical install
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync_dir(self._trees)
        return dest

    # ---- reclaiming ----------------------------------------------------------------------

    def _reuse(self, path: Path) -> bool:
        """Whether ``path`` exists; if so it is touched, so a collector pass spares it."""
        with self._lock:
            try:
                os.utime(path)
            except FileNotFoundError:
                return False
            return True

    def digests(self) -> set[str]:
        """Every digest with a zip or a tree in the store."""
        out = {p.name.removesuffix(".zip") for p in self._blobs.iterdir() if p.suffix == ".zip"}
        out.update(p.name for p in self._trees.iterdir())
        return out

    def remove_stale(self, digest: str, before: float) -> int:
        """Delete ``digest``'s zip and tree if neither was written or reused since ``before``
        (epoch seconds); the bytes freed (0 when kept or absent)."""
        paths = (self.zip_path(digest), self.tree_path(digest))
        with self._lock:
            stamps = [_mtime(p) for p in paths]
            if any(t is not None and t >= before for t in stamps):
                return 0
            # Renamed out of place under the lock: a reuse after this writes the digest afresh.
            doomed: list[Path] = []
            for p in paths:
                if _mtime(p) is not None:
                    target = self._tmp / f"gc-{p.name}-{time.monotonic_ns()}"
                    os.rename(p, target)
                    doomed.append(target)
        freed = 0
        for d in doomed:
            freed += _size(d)
            if d.is_dir():
                shutil.rmtree(d, ignore_errors=True)
            else:
                d.unlink(missing_ok=True)
        return freed


def _mtime(path: Path) -> float | None:
    try:
        return path.lstat().st_mtime
    except FileNotFoundError:
        return None


def _size(path: Path) -> int:
    if not path.is_dir():
        return path.lstat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total
