"""Content-addressed code store: zips and their extracted trees, keyed by hex SHA-256.

Writes are atomic: content is built in a temporary directory under the store, fsynced, then renamed
into place, so a crash never leaves a half-written blob or tree. Installing the same digest twice is
a no-op. Thread-safe (rename is the commit point; a lost race just discards the loser's copy).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                continue
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class CodeStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs"
        self._trees = root / "trees"
        self._tmp = root / "tmp"
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
        if dest.exists():
            return dest
        fd, tmp = tempfile.mkstemp(dir=self._tmp, suffix=".zip")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._fsync_dir(self._blobs)
        return dest

    def install_tree(self, digest: str, build: Callable[[Path], None]) -> Path:
        """Build the tree for ``digest`` with ``build(tmpdir)`` unless it already exists."""
        dest = self.tree_path(digest)
        if dest.is_dir():
            return dest
        tmp = Path(tempfile.mkdtemp(dir=self._tmp))
        try:
            build(tmp)
            _fsync_tree(tmp)
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
        self._fsync_dir(self._trees)
        return dest

    @staticmethod
    def _fsync_dir(path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
