"""Deployment packages: validate a zip and extract it safely.

Refuses what AWS refuses (not a zip, too large unzipped) and what would escape the code root:
absolute names, ``..`` components, symlinks that point outside the tree. The unzipped size is
checked against the declared sizes first and then against the bytes actually written, so a zip
bomb with lying headers is stopped too.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import posixpath
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ovis.errors import InvalidParameterValueException, RequestEntityTooLargeException
from ovis.storage.code import CodeStore

MAX_ZIP_BYTES = 50 * 1024 * 1024  # direct upload limit
MAX_UNZIPPED_BYTES = 262_144_000  # 250 MB, function plus layers

UNZIP_ERROR = "Could not unzip uploaded file. Please check your file, then try to upload again."


@dataclass(frozen=True)
class PackageInfo:
    digest: str  # hex sha256
    sha256_b64: str
    size: int
    unzipped_size: int


def inspect_zip(data: bytes, budget: int = MAX_UNZIPPED_BYTES) -> PackageInfo:
    """Validate ``data`` as a deployment package; raise the API error AWS would."""
    if len(data) > MAX_ZIP_BYTES:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {MAX_ZIP_BYTES} bytes for the operation"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            bad = zf.testzip() if len(data) < 1024 * 1024 else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
        raise InvalidParameterValueException(UNZIP_ERROR) from e
    except Exception as e:  # zipfile raises odd types on corrupt input (e.g. NotImplementedError)
        raise InvalidParameterValueException(UNZIP_ERROR) from e
    if bad is not None:
        raise InvalidParameterValueException(UNZIP_ERROR)
    total = 0
    for info in infos:
        _safe_name(info.filename)
        total += info.file_size
    if total > budget:
        raise InvalidParameterValueException(f"Unzipped size must be smaller than {budget} bytes")
    digest = hashlib.sha256(data).digest()
    return PackageInfo(digest.hex(), base64.b64encode(digest).decode(), len(data), total)


def _safe_name(name: str) -> str:
    norm = posixpath.normpath(name.replace("\\", "/"))
    if name.startswith("/") or norm == ".." or norm.startswith("../") or "\x00" in name:
        raise InvalidParameterValueException(
            f"Could not unzip uploaded file: the entry {name!r} points outside the package."
        )
    return norm


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def extract_zip(data: bytes, dest: Path, budget: int = MAX_UNZIPPED_BYTES) -> None:
    """Extract into ``dest`` (an empty directory), enforcing the safety rules above."""
    written = 0
    root = os.path.realpath(dest)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                rel = _safe_name(info.filename)
                if rel in (".", ""):
                    continue
                target = os.path.join(root, rel)
                if not _inside(root, os.path.realpath(target)):  # through an earlier symlink
                    raise InvalidParameterValueException(
                        f"Could not unzip uploaded file: the entry {info.filename!r} points "
                        "outside the package."
                    )
                mode = info.external_attr >> 16
                if info.is_dir():
                    os.makedirs(target, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if stat.S_ISLNK(mode):
                    link = zf.read(info).decode("utf-8", "replace")
                    # realpath, not normpath: "L/.." is not "." when L is itself a symlink.
                    resolved = os.path.realpath(os.path.join(os.path.dirname(target), link))
                    if not _inside(root, resolved):
                        raise InvalidParameterValueException(
                            f"Could not unzip uploaded file: the symlink {info.filename!r} "
                            "points outside the package."
                        )
                    os.symlink(link, target)
                    continue
                with zf.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > budget:
                            raise InvalidParameterValueException(
                                f"Unzipped size must be smaller than {budget} bytes"
                            )
                        out.write(chunk)
                perm = stat.S_IMODE(mode) if mode else 0o644
                os.chmod(target, (perm | 0o444) & 0o755)
        # A link checked before a later link existed may now resolve elsewhere: check them all.
        for dirpath, dirs, files in os.walk(root):
            for n in dirs + files:
                p = os.path.join(dirpath, n)
                if os.path.islink(p) and not _inside(root, os.path.realpath(p)):
                    raise InvalidParameterValueException(
                        f"Could not unzip uploaded file: the symlink "
                        f"{os.path.relpath(p, root)!r} points outside the package."
                    )
    except InvalidParameterValueException:
        raise
    except Exception as e:
        raise InvalidParameterValueException(UNZIP_ERROR) from e


async def install_package(code: CodeStore, data: bytes) -> PackageInfo:
    """Check a deployment package (zip slip, links out, bombs, the unzipped limit), then store
    the zip and its extracted tree by digest, each atomically; idempotent for the same bytes."""
    info = await asyncio.to_thread(inspect_zip, data, MAX_UNZIPPED_BYTES)
    await asyncio.to_thread(code.put_zip, info.digest, data)
    await asyncio.to_thread(
        code.install_tree, info.digest, lambda d: extract_zip(data, d, MAX_UNZIPPED_BYTES)
    )
    return info
