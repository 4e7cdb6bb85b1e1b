"""Install the runtime-owned Node.js bundles: ``python -m ovis.runtimes.node.install``.

Each bundle (``installs.BUNDLES``: the AWS SDK for JavaScript v3, Node 22) is the committed
``package.json`` + ``package-lock.json`` beside this file, installed with ``npm ci`` from the npm
registry into ``installs.runtime_dir()/<bundle>``.

Contract:
- idempotent: a bundle whose installed lock digest matches the committed one is left alone, so
  running it again costs a hash of two files per bundle;
- atomic: ``npm ci`` runs in a staging directory that is renamed into place only once complete,
  so a running server never sees half a bundle and a failed install keeps the previous one;
- everything installed is readable (and its directories searchable) by every uid;
- without ``npm`` on PATH it installs nothing, says so and exits 0 (the Python runtimes do not
  need it; Node functions then run without the SDK on the host's own node, if any); ``--require``
  makes that an error. An ``npm ci`` that fails is always an error (exit 1).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ovis.runtimes.node.installs import BUNDLES, SOURCES, runtime_dir

LOCK_FILES = ("package.json", "package-lock.json")
STAMP = ".ovis-lock-sha256"  # in an installed bundle: the digest of the lock it was built from
NPM_CI = ("ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")


class InstallError(Exception):
    """An install that was attempted and failed."""


def lock_digest(source: Path) -> str:
    """The digest of a bundle's committed package.json and lock: what an install is built from."""
    h = hashlib.sha256()
    for name in LOCK_FILES:
        h.update(name.encode() + b"\0" + (source / name).read_bytes() + b"\0")
    return h.hexdigest()


def is_current(source: Path, dest: Path) -> bool:
    stamp = dest / STAMP
    return stamp.is_file() and stamp.read_text().strip() == lock_digest(source)


def make_readable(root: Path) -> None:
    """a+r on files, a+rx on directories (and executables): instances run as other uids."""
    for dirpath, _dirs, filenames in os.walk(root):
        os.chmod(dirpath, os.stat(dirpath).st_mode | 0o555)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                mode = os.stat(path).st_mode
                os.chmod(path, mode | 0o444 | (0o111 if mode & 0o100 else 0))


def install_bundle(npm: str, source: Path, dest: Path) -> None:
    """``npm ci`` of ``source``'s lock into ``dest``, atomically (see the module contract)."""
    staging = dest.with_name(f".{dest.name}.{os.getpid()}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for name in LOCK_FILES:
            shutil.copyfile(source / name, staging / name)
        done = subprocess.run([npm, *NPM_CI], cwd=staging, capture_output=True, text=True)
        if done.returncode != 0:
            raise InstallError(f"npm ci for {source.name} failed:\n{done.stderr.strip()}")
        (staging / STAMP).write_text(lock_digest(source) + "\n")
        make_readable(staging)
        old = dest.with_name(f".{dest.name}.{os.getpid()}.old")
        if dest.exists():
            dest.rename(old)
        staging.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install(root: Path, bundles: tuple[str, ...], require_npm: bool) -> int:
    """Install every bundle of ``bundles`` not current under ``root``; the exit status."""
    root.mkdir(parents=True, exist_ok=True)
    for d in (root.parent, root):  # share/ovis and share/ovis/node: searchable by instances
        os.chmod(d, os.stat(d).st_mode | 0o555)
    stale = [b for b in bundles if not is_current(SOURCES / b, root / b)]
    if not stale:
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print(
            f"warning: npm not found, not installed: {', '.join(stale)} (the AWS SDK for "
            "Node.js functions, nodejs22.x)",
            file=sys.stderr,
        )
        return 1 if require_npm else 0
    with open(root / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another install of the same tree waits its turn
        for bundle in stale:
            if is_current(SOURCES / bundle, root / bundle):
                continue  # installed meanwhile by whoever held the lock
            print(f"installing the Node.js runtime bundle {bundle} into {root / bundle}")
            try:
                install_bundle(npm, SOURCES / bundle, root / bundle)
            except (InstallError, OSError) as e:
                print(f"error: {e}", file=sys.stderr)
                return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=runtime_dir(), help="install under ROOT")
    parser.add_argument("--require", action="store_true", help="fail when npm is missing")
    parser.add_argument("bundles", nargs="*", metavar="BUNDLE", help=f"of {', '.join(BUNDLES)}")
    args = parser.parse_args(argv)
    unknown = set(args.bundles) - set(BUNDLES)
    if unknown:
        parser.error(f"unknown bundle(s): {', '.join(sorted(unknown))}")
    return install(args.root, tuple(args.bundles or BUNDLES), args.require)


if __name__ == "__main__":
    sys.exit(main())
