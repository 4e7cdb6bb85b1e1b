"""The object blob store: S3 object and part contents, one file each, under the data dir.

Contract: a blob is written through a ``BlobWriter`` into a temporary file under the store;
``commit()`` fsyncs it, renames it into place and fsyncs the directory, so a blob that has an
id is complete on disk; a crash (kill -9) mid-write leaves only a temporary file, which the
next start deletes. Blobs are immutable once committed and named by a random id (the caller's
metadata says which blob an object is). ``delete`` is idempotent. Thread-safe: every write goes
to its own file; rename is the commit point.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

from ovis.storage.durable import fsync_dir

_COPY_BLOCK = 1 << 20


class BlobWriter:
    """One blob being written; ``commit()`` or ``abort()`` exactly once."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store
        fd, tmp = tempfile.mkstemp(dir=store.tmp)
        self._path = Path(tmp)
        self._file: BinaryIO = os.fdopen(fd, "wb", buffering=_COPY_BLOCK)
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        self._file.write(data)
        self.size += len(data)

    def append_blob(self, blob: str, start: int = 0, length: int | None = None) -> None:
        """Copy (a range of) a committed blob into this one (multipart completion, copies)."""
        with open(self._store.path(blob), "rb") as src:
            src.seek(start)
            left = length
            while left is None or left > 0:
                block = src.read(_COPY_BLOCK if left is None else min(_COPY_BLOCK, left))
                if not block:
                    break
                self.write(block)
                if left is not None:
                    left -= len(block)

    def commit(self) -> str:
        """Make the blob durable and answer its id."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        blob = uuid.uuid4().hex
        dest = self._store.path(blob)
        dest.parent.mkdir(exist_ok=True)
        os.replace(self._path, dest)
        fsync_dir(dest.parent)
        return blob

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._path.unlink(missing_ok=True)


class ObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self._blobs = root / "blobs"
        for d in (self.tmp, self._blobs):
            d.mkdir(parents=True, exist_ok=True)
        # Uploads cut short by a crash: never committed, so never visible; garbage.
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(exist_ok=True)

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def path(self, blob: str) -> Path:
        return self._blobs / blob[:2] / blob

    def delete(self, blob: str) -> None:
        self.path(blob).unlink(missing_ok=True)

    def blobs(self) -> list[str]:
        """Every committed blob id (the orphan sweep compares them with the metadata)."""
        return [p.name for d in self._blobs.iterdir() if d.is_dir() for p in d.iterdir()]
