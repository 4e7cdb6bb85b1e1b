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

from ovis.storage.durable import fsync_dir, fsync_tree, write_atomic


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
        write_atomic(dest, data, self._tmp)
        return dest

    def install_tree(self, digest: str, build: Callable[[Path], None]) -> Path:
        """Build the tree for ``digest`` with ``build(tmpdir)`` unless it already exists."""
        dest = self.tree_path(digest)
        if dest.is_dir():
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
