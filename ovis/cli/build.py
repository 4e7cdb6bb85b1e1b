"""`ovis build`: resolve a function folder's dependencies into its package, as `sam build` does.

- `requirements.txt`: `pip install --target` for the Lambda platform (`--platform
  manylinux2014_<arch> --only-binary=:all: --implementation cp --python-version 3.X`); when some
  requirement has no such wheel, a plain install for this machine instead, said in the output.
- `package.json`: `npm ci --omit=dev` with a `package-lock.json`, else `npm install --omit=dev`.

Each resolution is cached under `DIR/.ovis-build/deps/`, keyed by the hash of the requirements
or lock file (and the Python version and platform), so a second build with the same file
installs nothing. An install goes to a temporary folder renamed into place when it succeeds:
an interrupted build leaves no half cache. pip and npm read their usual settings (PIP_INDEX_URL,
PIP_FIND_LINKS, .npmrc...), so private or offline sources work as they do for them.

`ovis deploy` builds the same way before it zips (unless `--no-build`).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from ovis.cli.connection import fail
from ovis.cli.packaging import build_zip, human_size, package_files

BUILD_DIR = ".ovis-build"
DEFAULT_PYTHON = "python3.11"


@dataclass
class BuildResult:
    """The folders of resolved dependencies to merge into the package, and what was done."""

    deps: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "big") + p)
    return h.hexdigest()[:16]


def _run(cmd: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    except FileNotFoundError:
        fail(f"Error: {what} needs `{cmd[0]}`, which is not installed")
    except subprocess.TimeoutExpired:
        fail(f"Error: {what} did not finish within 15 minutes")


def _cached(cache: Path, install: Callable[[Path], None]) -> tuple[Path, bool]:
    """`cache` if it exists (a hit), else `install(tmp)` into a fresh folder renamed to it."""
    if cache.is_dir():
        return cache, True
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=cache.name + ".", dir=cache.parent))
    try:
        install(tmp)
        tmp.rename(cache)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return cache, False


def python_version(runtime: str) -> str:
    """'python3.12' -> '3.12' (the running Python's for a non-Python runtime)."""
    if runtime.startswith("python"):
        return runtime.removeprefix("python")
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _arch(architecture: str | None) -> str:
    arch = architecture or ("arm64" if platform.machine() == "aarch64" else "x86_64")
    return "aarch64" if arch == "arm64" else "x86_64"


def resolve_requirements(
    src: Path, runtime: str, architecture: str | None, out: BuildResult
) -> None:
    req = src / "requirements.txt"
    version = python_version(runtime)
    plat = f"manylinux2014_{_arch(architecture)}"
    key = _digest(req.read_bytes(), version.encode(), plat.encode())
    cache = src / BUILD_DIR / "deps" / f"pip-{key}"
    base = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-compile"]
    base += ["--quiet", "-r", str(req.resolve())]

    def install(tmp: Path) -> None:
        lambda_platform = [
            *base,
            "--target",
            str(tmp),
            "--platform",
            plat,
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            version,
        ]
        r = _run(lambda_platform, src, "resolving requirements.txt")
        if r.returncode == 0:
            out.notes.append(f"requirements.txt: installed {plat} wheels for Python {version}")
            return
        shutil.rmtree(tmp)
        tmp.mkdir()
        r2 = _run([*base, "--target", str(tmp)], src, "resolving requirements.txt")
        if r2.returncode != 0:
            fail(f"Error: pip could not resolve {req}:\n{r2.stderr.strip() or r.stderr.strip()}")
        out.notes.append(
            f"requirements.txt: no {plat} wheels for every requirement; "
            "installed for this machine's platform instead (plain pip install)"
        )

    folder, hit = _cached(cache, install)
    if hit:
        out.notes.append(f"requirements.txt: cached ({folder.name}), nothing installed")
    out.deps.append(folder)


def resolve_package_json(src: Path, out: BuildResult) -> None:
    lock = src / "package-lock.json"
    manifest = src / "package.json"
    keyed = lock if lock.is_file() else manifest
    cache = src / BUILD_DIR / "deps" / f"npm-{_digest(keyed.read_bytes(), keyed.name.encode())}"

    def install(tmp: Path) -> None:
        shutil.copy2(manifest, tmp / "package.json")
        if lock.is_file():
            shutil.copy2(lock, tmp / "package-lock.json")
            cmd = ["npm", "ci", "--omit=dev"]
        else:
            cmd = ["npm", "install", "--omit=dev"]
        cmd += ["--no-audit", "--no-fund", "--loglevel=error"]
        r = _run(cmd, tmp, "resolving package.json")
        if r.returncode != 0:
            fail(f"Error: {' '.join(cmd[:3])} failed for {manifest}:\n{r.stderr.strip()}")
        for name in ("package.json", "package-lock.json"):  # the function's own copies win
            (tmp / name).unlink(missing_ok=True)
        (tmp / "node_modules").mkdir(exist_ok=True)
        out.notes.append(f"package.json: {' '.join(cmd[:3])}")

    folder, hit = _cached(cache, install)
    if hit:
        out.notes.append(f"package.json: cached ({folder.name}), nothing installed")
    out.deps.append(folder)


def resolve(src: Path, runtime: str | None, architecture: str | None = None) -> BuildResult:
    """Resolve whatever dependency files `src` has (none: nothing to do)."""
    out = BuildResult()
    if (src / "requirements.txt").is_file() and not (runtime or "").startswith("nodejs"):
        resolve_requirements(src, runtime or DEFAULT_PYTHON, architecture, out)
    if (src / "package.json").is_file() and not (runtime or "").startswith("python"):
        resolve_package_json(src, out)
    return out


@click.command(short_help="Resolve requirements.txt / package.json into a package zip.")
@click.argument(
    "path",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--runtime", help="The function's runtime (picks the Python version for pip).")
@click.option(
    "--architecture",
    type=click.Choice(["x86_64", "arm64"]),
    help="The function's architecture (default: this machine's).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Where to write the zip (default: PATH/{BUILD_DIR}/package.zip).",
)
def build(path: Path, runtime: str | None, architecture: str | None, output: Path | None) -> None:
    """Resolve PATH's dependencies (requirements.txt with pip for the Lambda platform,
    package.json with npm) and write the deployment package zip, as `sam build` does.

    Resolutions are cached by the hash of the requirements or lock file under
    PATH/.ovis-build/, so building again with the same file installs nothing.
    """
    result = resolve(path, runtime, architecture)
    for note in result.notes:
        click.echo(note)
    if not result.deps:
        click.echo("No requirements.txt or package.json: the package is the folder as it is")
    target = output or path / BUILD_DIR / "package.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    data = build_zip(path, deps=result.deps)
    files = len(package_files(path, result.deps))
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    click.echo(f"Wrote {target} ({files} files, {human_size(len(data))})")
