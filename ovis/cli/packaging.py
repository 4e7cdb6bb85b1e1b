"""Deployment packages: zipping a folder the same way every time (pure, no server needed)."""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

EXCLUDED_DIRS = frozenset({"__pycache__", ".git", ".ovis-build"})  # .ovis-build: build.py
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
# Zip cannot store dates before 1980; a fixed date keeps the bytes independent of mtimes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def package_files(path: Path, deps: Sequence[Path] = ()) -> list[tuple[str, Path]]:
    """(archive name, file) for every file under `path` that belongs in a package, sorted by
    archive name. Raises NotADirectoryError if `path` is not a folder.

    `deps` are resolved dependency folders (`ovis build`) merged into the package root: the
    function's own files win a name clash, except under a top-level folder a deps folder
    provides (its `node_modules` replaces the source's)."""
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    files: dict[str, Path] = {}
    provided = {e.name for d in deps for e in Path(d).iterdir() if e.is_dir()}
    for name, file in _walk(root):
        if name.split("/", 1)[0] not in provided or "/" not in name:
            files[name] = file
    for d in deps:
        for name, file in _walk(Path(d)):
            files.setdefault(name, file)
    return sorted(files.items())


def build_zip(
    path: Path, on_file: Callable[[str], None] | None = None, deps: Sequence[Path] = ()
) -> bytes:
    """Zip the folder at `path` into a deployment package, deterministically.

    Entries are sorted by their (posix) path, carry a fixed timestamp and a normalised
    mode (0755 if the file has any executable bit, else 0644), so the same tree gives the
    same bytes on every run and machine. `__pycache__` and `.git` folders and compiled
    `*.pyc` / `*.pyo` files are skipped. Directory entries are not written. `on_file` is
    called with each entry's name once it is written (for a progress bar). `deps`: see
    `package_files`.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, file in package_files(path, deps):
            zf.writestr(_zip_info(name, file.stat().st_mode), file.read_bytes())
            if on_file is not None:
                on_file(name)
    return buf.getvalue()


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    seen_dirs: set[Path] = set()

    def walk(folder: Path, prefix: str) -> Iterator[tuple[str, Path]]:
        real = folder.resolve()
        if real in seen_dirs:  # a symlink loop
            return
        seen_dirs.add(real)
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            name = prefix + entry.name
            if entry.is_dir():
                if entry.name not in EXCLUDED_DIRS:
                    yield from walk(entry, name + "/")
            elif entry.is_file() and not entry.name.endswith(EXCLUDED_SUFFIXES):
                yield name, entry

    yield from walk(root, "")


def _zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    """A ZipInfo with a fixed date and a normalised unix mode (regular file 0755 or 0644)."""
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so unzip and Lambda honour external_attr
    perms = 0o755 if mode & 0o111 else 0o644
    info.external_attr = (stat.S_IFREG | perms) << 16
    return info


def zip_entry_names(data: bytes) -> list[str]:
    """The entry names of a zip archive held in memory."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


def handler_module_missing(names: Iterable[str], handler: str) -> str | None:
    """For a Python handler `pkg.mod.func`, the module file expected in the package if absent."""
    module = handler.rpartition(".")[0]
    if not module:
        return None
    base = module.replace(".", "/")
    candidates = (base + ".py", base + "/__init__.py")
    present = set(names)
    return None if any(c in present for c in candidates) else candidates[0]


def human_size(n: int) -> str:
    """1536 -> '1.5 KB'."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"
