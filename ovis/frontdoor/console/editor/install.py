"""Build the console's editor bundle: ``python -m ovis.frontdoor.console.editor.install``.

``npm ci`` of the committed lock (CodeMirror 6 and, as a devDependency, esbuild) in a staging
directory, then esbuild bundles ``entry.js`` into one minified ES module (the bundled packages'
licences in a leading comment) installed as ``bundle_dir()/codemirror.js``.

Contract:
- idempotent: a bundle whose stamp (``codemirror.js.sha256``: the digest of package.json, the
  lock and entry.js) matches the sources is left alone, so running it again costs hashing three
  small files;
- atomic: the bundle is written beside its place and renamed over it, then its stamp; a failed
  build keeps the previous bundle and a running server never reads half a file;
- without ``npm`` on PATH it builds nothing, says so and exits 0 (the console then offers a
  plain textarea); ``--require`` makes that an error. A failed ``npm ci`` or esbuild is always
  an error (exit 1).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ovis.frontdoor.console.editor import BUNDLE, SOURCE, bundle_dir

SOURCES = ("package.json", "package-lock.json", "entry.js")
STAMP = BUNDLE + ".sha256"
NPM_CI = ("ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
ESBUILD = ("--bundle", "--format=esm", "--minify", "--legal-comments=none", "--log-level=error")


# Part of the stamp: a change of how the bundle is built (flags, licence header) rebuilds it.
RECIPE = " ".join(ESBUILD) + " +licences"


class BuildError(Exception):
    """A build that was attempted and failed."""


def source_digest(source: Path = SOURCE) -> str:
    h = hashlib.sha256(RECIPE.encode() + b"\0")
    for name in SOURCES:
        h.update(name.encode() + b"\0" + (source / name).read_bytes() + b"\0")
    return h.hexdigest()


def is_current(root: Path, source: Path = SOURCE) -> bool:
    stamp = root / STAMP
    return (
        (root / BUNDLE).is_file()
        and stamp.is_file()
        and stamp.read_text().strip() == source_digest(source)
    )


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"{what} failed:\n{(done.stderr or done.stdout).strip()}")


def _licences(modules: Path) -> bytes:
    """One leading comment with the licence of every bundled package (MIT asks that the
    notice go with the code); esbuild, the build tool, is not in the bundle."""
    parts = []
    for pkg in sorted(modules.glob("*/package.json")) + sorted(modules.glob("@*/*/package.json")):
        name = pkg.parent.relative_to(modules).as_posix()
        if name.startswith(("esbuild", "@esbuild/")):
            continue
        for lic in sorted(pkg.parent.glob("LICEN[CS]E*")):
            text = lic.read_text(errors="replace").replace("*/", "* /").strip()
            parts.append(f"{name}:\n{text}")
    return ("/*\n" + "\n\n".join(parts) + "\n*/\n").encode()


def build(npm: str, root: Path, source: Path = SOURCE) -> None:
    """``npm ci`` + esbuild in a staging directory, the bundle renamed into ``root``."""
    with tempfile.TemporaryDirectory(prefix="ovis-editor-") as tmp:
        staging = Path(tmp)
        for name in SOURCES:
            shutil.copyfile(source / name, staging / name)
        _run([npm, *NPM_CI], staging, "npm ci for the console editor")
        # esbuild's own launcher (a node script): with --ignore-scripts no postinstall ran, and
        # the launcher finds the platform's binary package by itself
        esbuild = staging / "node_modules" / "esbuild" / "bin" / "esbuild"
        node = shutil.which("node")
        if node is None:
            raise BuildError("node not found (esbuild needs it)")
        out = staging / BUNDLE
        _run([node, str(esbuild), "entry.js", *ESBUILD, f"--outfile={out}"], staging, "esbuild")
        part = root / f".{BUNDLE}.{os.getpid()}.part"
        part.write_bytes(_licences(staging / "node_modules") + out.read_bytes())
        os.chmod(part, 0o644)
        os.replace(part, root / BUNDLE)
    (root / STAMP).write_text(source_digest(source) + "\n")


def install(root: Path, require_npm: bool) -> int:
    """Build the bundle into ``root`` unless it is current; the exit status."""
    root.mkdir(parents=True, exist_ok=True)
    if is_current(root):
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print(
            "warning: npm not found, the console's code editor is not built "
            "(the console offers a plain textarea)",
            file=sys.stderr,
        )
        return 1 if require_npm else 0
    with open(root / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another build of the same tree waits its turn
        if is_current(root):
            return 0  # built meanwhile by whoever held the lock
        print(f"building the console's code editor into {root / BUNDLE}")
        try:
            build(npm, root)
        except (BuildError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=bundle_dir(), help="install under ROOT")
    parser.add_argument("--require", action="store_true", help="fail when npm is missing")
    args = parser.parse_args(argv)
    return install(args.root, args.require)


if __name__ == "__main__":
    sys.exit(main())
