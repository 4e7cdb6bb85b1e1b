"""A deployment package as the console's Code tab shows and edits it.

Contract: ``files(zip)`` lists every file of a package with its size, and the text of the ones
the editor can show (UTF-8, at most ``MAX_TEXT_FILE`` bytes); ``edited(zip, changes)`` is a new
package: the old one's entries, in their order and with their modes, with ``changes`` (path ->
new text) replacing or adding files; binary files the editor never saw are carried over byte for
byte. Like Lambda's console, a package is editable in the browser only up to ``MAX_EDITABLE``
bytes (unzipped); past that the tab lists the files and says to upload a zip. Paths that could
escape the package (absolute, ``..``, backslashes, empty parts) are refused with ValueError.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

MAX_EDITABLE = 3 * 1024 * 1024
MAX_TEXT_FILE = 1024 * 1024


@dataclass(frozen=True)
class PackageFile:
    path: str
    size: int
    text: str | None  # None: binary or too large to edit


def files(package: bytes) -> tuple[list[PackageFile], bool]:
    """(the files, whether the package is small enough to edit here)."""
    out: list[PackageFile] = []
    total = 0
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            total += info.file_size
            text: str | None = None
            if info.file_size <= MAX_TEXT_FILE:
                try:
                    text = zf.read(info).decode("utf-8")
                except UnicodeDecodeError:
                    text = None
            out.append(PackageFile(info.filename, info.file_size, text))
    return out, total <= MAX_EDITABLE


def check_path(path: str) -> str:
    parts = path.split("/")
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or any(p in ("", ".", "..") for p in parts)
        or len(path) > 1024
    ):
        raise ValueError(f"Not a valid file path in a package: {path!r}.")
    return path


def edited(package: bytes, changes: dict[str, str]) -> bytes:
    for path in changes:
        check_path(path)
    pending = dict(changes)
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(package)) as old,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            if info.filename in pending:
                new.writestr(info, pending.pop(info.filename).encode(), zipfile.ZIP_DEFLATED)
            else:
                new.writestr(info, old.read(info))
        for path, text in sorted(pending.items()):
            info = zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            new.writestr(info, text.encode(), zipfile.ZIP_DEFLATED)
    total = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(buf.getvalue())).infolist())
    if total > MAX_EDITABLE:
        raise ValueError("The package is too large to edit in the console; upload a zip instead.")
    return buf.getvalue()
