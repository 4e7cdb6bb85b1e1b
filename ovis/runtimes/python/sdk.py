"""The Python runtime's AWS SDK: boto3 and its dependencies in a directory of their own.

On Lambda a Python function imports the standard library, the runtime's boto3/botocore (and what
they need), /var/task and /opt; nothing else. Ovis gives its Python instances the same: the SDK
directory built here is the only non-stdlib entry of their ``sys.path`` besides the function's
own code and layers, and nothing of the server (its site-packages, its editable install) is on it.

The SDK is the boto3 the server itself has installed, with its dependency closure (botocore,
s3transfer, jmespath, python-dateutil, six, urllib3), copied from the server's environment:
hard links where the filesystem allows (no space, instant), else copies. That needs no network,
so it works offline right after install, and a new server version of boto3 makes a new SDK.

Contract:
- ``ensure()`` is idempotent and safe to run concurrently from several servers: the directory is
  built aside and renamed into place; an existing one whose manifest matches is kept as is.
- The directory holds the packages, their ``.dist-info`` (so ``importlib.metadata`` answers
  inside) and ``ovis-sdk.json`` (the manifest: distribution -> version).
- ``python -m ovis.runtimes.python.sdk`` builds it and prints its path and versions.

Where: ``$OVIS_PYTHON_SDK_DIR`` if set, else ``<sys.prefix>/share/ovis/python-sdk`` (the
server's virtualenv), else, when that is not writable, ``~/.cache/ovis/python-sdk``; one
subdirectory per interpreter version (``python3.11``).
"""

from __future__ import annotations

import contextlib
import importlib.metadata as metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT_PACKAGE = "boto3"
# What boto3 brings (and the zygote preloads), for when the SDK directory is not built yet.
DEFAULT_TOP_LEVEL = frozenset(
    ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
)
MANIFEST = "ovis-sdk.json"
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def root_dir() -> Path:
    """Where SDK directories live (see the module docstring)."""
    override = os.environ.get("OVIS_PYTHON_SDK_DIR")
    if override:
        return Path(override)
    share = Path(sys.prefix) / "share" / "ovis" / "python-sdk"
    if _writable(share):
        return share
    return Path.home() / ".cache" / "ovis" / "python-sdk"


def _writable(path: Path) -> bool:
    for p in (path, *path.parents):
        if p.exists():
            return os.access(p, os.W_OK | os.X_OK)
    return False


def sdk_dir(python_version: str, root: Path | None = None) -> Path:
    """The SDK directory of ``python3.X`` (it may not exist yet: see ``ensure``)."""
    return (root or root_dir()) / python_version


def closure(root: str = ROOT_PACKAGE) -> dict[str, metadata.Distribution]:
    """Installed distributions ``root`` needs (extras left out), by canonical name."""
    found: dict[str, metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = _canonical(todo.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement that is not installed
        found[name] = dist
        for req in dist.requires or ():
            if "extra" in req.partition(";")[2]:  # an optional extra (boto3[crt])
                continue
            m = _REQ_NAME.match(req)
            if m:
                todo.append(m.group(1))
    return found


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def versions(dists: dict[str, metadata.Distribution] | None = None) -> dict[str, str]:
    """Distribution -> version of what the SDK holds (from the server's environment)."""
    dists = closure() if dists is None else dists
    return {name: dists[name].version for name in sorted(dists)}


def read_manifest(path: Path) -> dict[str, str] | None:
    try:
        data = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def ensure(python_version: str | None = None, interpreter: str | None = None) -> Path:
    """The SDK directory for ``python3.X`` (default: this interpreter's), built if missing or
    stale. ``interpreter`` (default: this one) precompiles it, so fresh interpreters (exec mode)
    import boto3 as fast as the zygote does. RuntimeError if the server has no boto3."""
    version = python_version or f"python{sys.version_info[0]}.{sys.version_info[1]}"
    target = sdk_dir(version)
    dists = closure()
    if ROOT_PACKAGE not in dists:
        raise RuntimeError("boto3 is not installed in the server's environment")
    want = versions(dists)
    if read_manifest(target) == want:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    try:
        for dist in dists.values():
            _install(dist, work)
        if not (work / ROOT_PACKAGE / "__init__.py").is_file():
            raise RuntimeError(f"could not copy {ROOT_PACKAGE} from the server's environment")
        _compile(work, interpreter or sys.executable)
        (work / MANIFEST).write_text(json.dumps(want, indent=1, sort_keys=True) + "\n")
        os.chmod(work, 0o755)  # instances run as other uids: the SDK must be readable by all
        _swap_in(work, target, want)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _install(dist: metadata.Distribution, dest: Path) -> None:
    """Link or copy ``dist``'s files under site-packages (not its scripts) into ``dest``."""
    if dist.files is None:  # no RECORD (some distributions' packages): its top-level packages
        for top in (dist.read_text("top_level.txt") or "").split():
            src = Path(str(dist.locate_file(top)))
            if src.is_dir():
                shutil.copytree(src, dest / top, copy_function=_link_or_copy, dirs_exist_ok=True)
            elif src.with_suffix(".py").is_file():
                _link_or_copy(str(src.with_suffix(".py")), str(dest / f"{top}.py"))
        return
    for rel in dist.files:
        parts = Path(str(rel)).parts
        if not parts or parts[0] == ".." or Path(str(rel)).is_absolute():
            continue  # console scripts and anything else outside site-packages
        src = Path(str(dist.locate_file(rel)))
        if not src.is_file():
            continue
        out = dest.joinpath(*parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(str(src), str(out))


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)  # shares the inode: an upgrade rewrites files, never ours
    except OSError:
        shutil.copy2(src, dst)  # copy2 keeps mtimes, so copied .pyc files stay valid
    return dst


def _compile(path: Path, interpreter: str) -> None:
    """Byte-compile what has no valid .pyc yet for ``interpreter`` (best effort)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            [interpreter, "-I", "-S", "-m", "compileall", "-q", "-j", "0", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )


def _swap_in(work: Path, target: Path, want: dict[str, str]) -> None:
    """Rename ``work`` to ``target``; a stale ``target`` is moved aside first. If another
    process put a matching one in place meanwhile, keep that."""
    for _ in range(5):
        try:
            os.rename(work, target)
            return
        except OSError:
            if read_manifest(target) == want:
                return
            old = target.with_name(f".{target.name}-old-{os.getpid()}")
            with contextlib.suppress(OSError):
                os.rename(target, old)
                shutil.rmtree(old, ignore_errors=True)
    raise RuntimeError(f"cannot install the Python SDK into {target}")


def top_level_names(path: Path) -> frozenset[str]:
    """Importable top-level names the SDK directory provides (boto3, botocore, urllib3...)."""
    try:
        entries = os.listdir(path)
    except OSError:
        return frozenset()
    names = set()
    for entry in entries:
        if entry.endswith((".dist-info", ".egg-info")) or entry.startswith((".", "__")):
            continue
        if entry.endswith(".py"):
            names.add(entry[:-3])
        elif (path / entry).is_dir():
            names.add(entry)
    return frozenset(names)


def bundled(names: Iterable[str], dirs: Sequence[str]) -> list[str]:
    """Which of ``names`` (SDK top-level names) a function ships itself in ``dirs`` (its code,
    its layers' python directories): a package directory or a module file there."""
    found = []
    for name in sorted(names):
        for d in dirs:
            if os.path.isdir(os.path.join(d, name)) or os.path.isfile(
                os.path.join(d, name + ".py")
            ):
                found.append(name)
                break
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ovis.runtimes.python.sdk``: build the SDK of this interpreter, print it."""
    del argv
    path = ensure()
    print(path)
    for name, version in sorted((read_manifest(path) or {}).items()):
        print(f"{name}=={version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
